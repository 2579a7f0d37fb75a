// The zone model: every RRset of one zone in canonical order (RFC 4034 §6),
// with what each RRset is to DNSSEC: authoritative data, a delegation, glue,
// or data occluded by a cut or DNAME.
//
// A zone of millions of records has to fit beside a signer's other work, so
// the model is three arenas rather than objects per record:
//   - owner names, in wire form, each distinct owner once, in canonical order;
//   - one small fixed-size slot per RRset (owner, type, covered type, TTL,
//     role, where its RDATA starts, how many RRs it has);
//   - RDATA, the RRs of each RRset contiguous and in canonical RDATA order
//     (RFC 4034 §6.3), without duplicates, each after a 2-octet length.
// That is about 24 octets per RRset and 2 per RR beyond the wire bytes of
// the names and RDATA themselves. The NameViews and RDATA string_views a
// zone hands out look into its arenas: they stay valid while the zone lives,
// moved or not. An RRsetView refers to the Zone object itself, so it does not
// survive a move of the zone. A built zone does not change: any number of
// threads may read it at once.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <signet/base/error.h>
#include <signet/dns/name.h>
#include <signet/dns/rdata.h>
#include <signet/dns/zone_reader.h>

namespace signet::dns {

enum class Role : uint8_t {
    Authoritative, // signed
    Delegation, // NS at a zone cut: not signed
    Glue, // addresses at or below a cut: not signed, kept
    Occluded, // other data below a cut or a DNAME: not signed, kept, warned about
};

std::string_view role_to_text(Role role);

class Zone;

// The RDATA of one RRset in canonical RDATA order: a forward range of
// std::string_view, each the wire form of one RR's RDATA.
class RdataRange {
public:
    class iterator {
    public:
        using iterator_concept = std::forward_iterator_tag;
        using iterator_category = std::forward_iterator_tag;
        using value_type = std::string_view;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = std::string_view;

        iterator() = default;
        std::string_view operator*() const
        {
            return std::string_view(at_ + 2, (static_cast<size_t>(static_cast<uint8_t>(at_[0])) << 8)
                                                 | static_cast<uint8_t>(at_[1]));
        }
        iterator& operator++()
        {
            at_ += 2 + (**this).size();
            return *this;
        }
        iterator operator++(int)
        {
            iterator before = *this;
            ++*this;
            return before;
        }
        bool operator==(const iterator& other) const { return at_ == other.at_; }

    private:
        friend class RdataRange;
        explicit iterator(const char* at)
            : at_(at)
        {
        }
        const char* at_ = nullptr; // a 2-octet length, then that many octets
    };

    iterator begin() const { return iterator(begin_); }
    iterator end() const { return iterator(end_); }

private:
    friend class RRsetView;
    RdataRange(const char* begin, const char* end)
        : begin_(begin)
        , end_(end)
    {
    }
    const char* begin_;
    const char* end_;
};

// One RRset of a Zone: RRs of one owner, class IN and type. RRSIGs are
// grouped by the type they cover (`covers()`), since each such group is what
// one RRset's signatures are; for other types `covers()` is 0. A small value
// (a zone pointer and an index) to pass and copy freely.
class RRsetView {
public:
    NameView owner() const;
    RRType type() const;
    uint16_t covers() const;
    uint32_t ttl() const;
    Role role() const;
    // Number of RRs; never 0.
    size_t size() const;
    // The RDATA of the `i`-th RR in canonical order. RDATA is stored with
    // length prefixes, so this walks from the first RR: O(i). Use rdatas()
    // to visit them all.
    std::string_view rdata(size_t i) const;
    RdataRange rdatas() const;
    // Position in the zone's canonical order: zone.rrset(index()) is this.
    size_t index() const { return index_; }

    bool operator==(const RRsetView& other) const = default;

private:
    friend class Zone;
    RRsetView(const Zone* zone, size_t index)
        : zone_(zone)
        , index_(index)
    {
    }
    const Zone* zone_;
    size_t index_;
};

// RFC 1982 serial number arithmetic (SERIAL_BITS = 32): whether serial `a`
// is after `b`.
bool serial_greater(uint32_t a, uint32_t b);
// The SERIAL field of valid SOA RDATA (RFC 1035 §3.3.13).
uint32_t soa_serial(std::string_view rdata);

class Zone {
public:
    // Random access over the RRsets in canonical order, yielding RRsetViews.
    class iterator {
    public:
        using iterator_concept = std::random_access_iterator_tag;
        using iterator_category = std::random_access_iterator_tag;
        using value_type = RRsetView;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = RRsetView;

        iterator() = default;
        RRsetView operator*() const { return RRsetView(zone_, index_); }
        RRsetView operator[](difference_type n) const { return RRsetView(zone_, index_ + static_cast<size_t>(n)); }
        iterator& operator++()
        {
            ++index_;
            return *this;
        }
        iterator operator++(int)
        {
            iterator before = *this;
            ++index_;
            return before;
        }
        iterator& operator--()
        {
            --index_;
            return *this;
        }
        iterator operator--(int)
        {
            iterator before = *this;
            --index_;
            return before;
        }
        iterator& operator+=(difference_type n)
        {
            index_ += static_cast<size_t>(n);
            return *this;
        }
        iterator& operator-=(difference_type n)
        {
            index_ -= static_cast<size_t>(n);
            return *this;
        }
        friend iterator operator+(iterator it, difference_type n) { return it += n; }
        friend iterator operator+(difference_type n, iterator it) { return it += n; }
        friend iterator operator-(iterator it, difference_type n) { return it -= n; }
        friend difference_type operator-(const iterator& a, const iterator& b)
        {
            return static_cast<difference_type>(a.index_) - static_cast<difference_type>(b.index_);
        }
        bool operator==(const iterator& other) const { return index_ == other.index_; }
        std::strong_ordering operator<=>(const iterator& other) const { return index_ <=> other.index_; }

    private:
        friend class Zone;
        iterator(const Zone* zone, size_t index)
            : zone_(zone)
            , index_(index)
        {
        }
        const Zone* zone_ = nullptr;
        size_t index_ = 0;
    };

    // An empty zone at the root: no RRsets, so no SOA either.
    Zone() = default;

    const Name& origin() const { return origin_; }

    // RRsets, in canonical order: by owner (RFC 4034 §6.1), then type, then
    // for RRSIG the covered type.
    size_t size() const { return slots_.size(); }
    bool empty() const { return slots_.empty(); }
    RRsetView rrset(size_t index) const { return RRsetView(this, index); }
    RRsetView operator[](size_t index) const { return RRsetView(this, index); }
    iterator begin() const { return iterator(this, 0); }
    iterator end() const { return iterator(this, slots_.size()); }

    // Number of RRs, over all RRsets.
    size_t record_count() const { return record_count_; }
    // Number of distinct owner names.
    size_t owner_count() const { return owner_count_; }
    // One past the last RRset with the same owner as RRset `index`: the
    // RRsets of one owner are rrset(i) for i in [lower_bound(owner),
    // owner_end(lower_bound(owner))). Walk a zone owner by owner with
    // `for (i = 0; i < size(); i = owner_end(i))`.
    size_t owner_end(size_t index) const;
    // The first RRset with the same owner as RRset `index`.
    size_t owner_begin(size_t index) const;

    // Index of the first RRset whose owner is at or after `owner` in
    // canonical order (size() when there is none): the RRsets of `owner`, if
    // any, start there.
    size_t lower_bound(NameView owner) const;
    // The RRset of `owner` and `type` (and `covers` for RRSIG), or nothing.
    std::optional<RRsetView> find(NameView owner, RRType type, uint16_t covers = 0) const;
    // The apex SOA RRset. A zone that ZoneBuilder made always has one.
    RRsetView soa() const { return rrset(soa_index_); }
    // SOA serial (RFC 1035 §3.3.13).
    uint32_t serial() const;

    // Delegation points (owners of NS other than the apex), canonical order.
    std::vector<NameView> cuts() const;
    // Names that own no RRset but have descendants that do (RFC 4592 §2.2.2),
    // in canonical order. The views look into the owner names of their
    // descendants.
    std::vector<NameView> empty_non_terminals() const;

    // Bytes the arenas hold (their capacity), for tests and benchmarks.
    size_t memory_usage() const;

private:
    friend class RRsetView;
    friend class ZoneBuilder;
    friend class ZoneAssembler;
    friend class ZoneSnapshot;

    // One RRset. Offsets are into names_ (a length octet, then the owner's
    // wire form) and rdata_ (48 bits, so RDATA may exceed 4 GiB).
    struct Slot {
        uint32_t owner;
        uint32_t ttl;
        uint32_t count;
        uint32_t rdata_low;
        uint16_t rdata_high;
        uint16_t type;
        uint16_t covers;
        Role role;
        uint8_t unused;

        uint64_t rdata() const { return (static_cast<uint64_t>(rdata_high) << 32) | rdata_low; }
    };
    static_assert(sizeof(Slot) == 24);

    NameView owner_at(uint32_t offset) const
    {
        return NameView::from_valid_wire(
            std::string_view(names_.data() + offset + 1, static_cast<uint8_t>(names_[offset])));
    }
    uint64_t rdata_end(size_t index) const
    {
        return index + 1 < slots_.size() ? slots_[index + 1].rdata() : rdata_.size();
    }

    Name origin_;
    std::vector<char> names_;
    std::vector<char> rdata_;
    std::vector<Slot> slots_;
    size_t soa_index_ = 0;
    size_t record_count_ = 0;
    size_t owner_count_ = 0;
};

inline NameView RRsetView::owner() const { return zone_->owner_at(zone_->slots_[index_].owner); }
inline RRType RRsetView::type() const { return static_cast<RRType>(zone_->slots_[index_].type); }
inline uint16_t RRsetView::covers() const { return zone_->slots_[index_].covers; }
inline uint32_t RRsetView::ttl() const { return zone_->slots_[index_].ttl; }
inline Role RRsetView::role() const { return zone_->slots_[index_].role; }
inline size_t RRsetView::size() const { return zone_->slots_[index_].count; }

inline RdataRange RRsetView::rdatas() const
{
    const char* base = zone_->rdata_.data();
    return RdataRange(base + zone_->slots_[index_].rdata(), base + zone_->rdata_end(index_));
}

inline std::string_view RRsetView::rdata(size_t i) const
{
    auto it = rdatas().begin();
    while (i-- > 0)
        ++it;
    return *it;
}

// Collects records (from the reader or elsewhere) and checks them into a Zone:
// exactly one SOA at the apex; NS at the apex; nothing outside the zone; no
// CNAME beside other data; DS only at delegations; duplicates merged; an
// RRset's differing TTLs reported and made one (RFC 2181 §5.2).
//
// Records are copied into a compact staging arena as they come (owner names
// once per run of records with the same owner); build() sorts small index
// entries, writes the Zone's arenas and frees the staging as it goes.
class ZoneBuilder {
public:
    explicit ZoneBuilder(Name origin);
    ~ZoneBuilder();
    ZoneBuilder(ZoneBuilder&&) noexcept;
    ZoneBuilder& operator=(ZoneBuilder&&) noexcept;

    // Copies `record`; its file and line name it in messages.
    void add(const RecordView& record);
    // A sink that adds to this builder, which must outlive it.
    RecordSink sink();
    // Records added so far.
    size_t size() const;
    // Uses `diagnostics` for file names and to report errors and warnings.
    // Fails with the first error when there is any.
    Result<Zone> build(Diagnostics& diagnostics) &&;

private:
    struct Staging;
    class Steps; // build()'s steps, in zone_builder.cc
    Name origin_;
    std::unique_ptr<Staging> staging_;
};

// Reads and checks a zone file. On failure the first error is returned and
// `diagnostics.errors` holds the first few.
Result<Zone> load_zone_file(const std::filesystem::path& path, const Name& origin, Diagnostics& diagnostics);
Result<Zone> load_zone_text(std::string_view text, const Name& origin, Diagnostics& diagnostics,
                            std::string label = "<text>");

} // namespace signet::dns
