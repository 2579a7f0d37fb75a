// ZoneBuilder: records staged as they come, then sorted, assembled into the
// Zone's arenas and checked (the rules themselves are in zone_checks.cc).
#include <signet/dns/zone.h>

#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cstring>
#include <limits>
#include <new>
#include <span>
#include <utility>

#include <fmt/format.h>

#include "detail/label_offsets.h"
#include "detail/zone_checks.h"

namespace signet::dns {

namespace {

using detail::label_offsets;
using detail::RecordPlace;

constexpr uint32_t outside = std::numeric_limits<uint32_t>::max();
// How many items ahead to prefetch when gathering scattered staging data.
constexpr size_t prefetch_distance = 8;

bool has_upper(std::string_view bytes)
{
    return std::any_of(bytes.begin(), bytes.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// Anonymous memory straight from the kernel, given back when freed. The
// staging of a large zone is freed part by part while the zone is built;
// memory from malloc would mostly stay with the process, and in its peak.
class Mapping {
public:
    Mapping() = default;
    explicit Mapping(size_t size)
        : size_(size)
    {
        if (size == 0)
            return;
        void* at = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (at == MAP_FAILED)
            throw std::bad_alloc();
        data_ = static_cast<char*>(at);
    }
    ~Mapping()
    {
        if (data_)
            ::munmap(data_, size_);
    }
    Mapping(Mapping&& other) noexcept
        : data_(std::exchange(other.data_, nullptr))
        , size_(std::exchange(other.size_, 0))
    {
    }
    Mapping& operator=(Mapping&& other) noexcept
    {
        std::swap(data_, other.data_);
        std::swap(size_, other.size_);
        return *this;
    }

    char* data() const { return data_; }

private:
    char* data_ = nullptr;
    size_t size_ = 0;
};

// Staging memory comes in blocks that are never moved or grown: appending
// never copies what is there, never needs the old and the new copy of a
// doubling vector at once, and each block can be freed on its own.
class ChunkedArena {
public:
    static constexpr unsigned block_bits = 20;
    static constexpr size_t block_size = size_t(1) << block_bits;

    // `length` contiguous bytes (at most block_size); `position` names them.
    char* allocate(size_t length, uint64_t& position)
    {
        assert(length <= block_size);
        if (blocks_.empty() || block_size - used_.back() < length) {
            blocks_.emplace_back(block_size);
            used_.push_back(0);
        }
        position = (static_cast<uint64_t>(blocks_.size() - 1) << block_bits) | used_.back();
        char* at = blocks_.back().data() + used_.back();
        used_.back() += static_cast<uint32_t>(length);
        return at;
    }

    const char* at(uint64_t position) const
    {
        return blocks_[position >> block_bits].data() + (position & (block_size - 1));
    }

    size_t block_count() const { return blocks_.size(); }
    // Visits the items of one block in the order they were allocated;
    // `item_size` tells the length of the item at a pointer.
    template <typename Size, typename Visit>
    void for_each_in_block(size_t block, Size&& item_size, Visit&& visit) const
    {
        const char* base = blocks_[block].data();
        for (size_t offset = 0; offset < used_[block]; offset += item_size(base + offset))
            visit(base + offset);
    }
    template <typename Size, typename Visit>
    void for_each(Size&& item_size, Visit&& visit) const
    {
        for (size_t block = 0; block < blocks_.size(); ++block)
            for_each_in_block(block, item_size, visit);
    }
    void release_block(size_t block) { blocks_[block] = Mapping(); }
    void release()
    {
        blocks_ = decltype(blocks_)();
        used_ = decltype(used_)();
    }

private:
    std::vector<Mapping> blocks_;
    std::vector<uint32_t> used_;
};

// What the staging arena holds before each record's RDATA.
struct StagedHeader {
    uint32_t owner; // while staging the index of the record's run, then its owner's rank
    uint32_t ttl;
    uint32_t line;
    uint16_t file;
    uint16_t type;
    uint16_t covers;
    uint16_t length; // of the RDATA that follows
};
static_assert(sizeof(StagedHeader) == 20);

StagedHeader header_at(const char* at)
{
    StagedHeader header;
    std::memcpy(&header, at, sizeof header);
    return header;
}

size_t staged_size(const char* at) { return sizeof(StagedHeader) + header_at(at).length; }

// The first 16 octets of the canonical key (NameView::canonical_key) of
// `name` without its last `skip` labels, as two big-endian integers, padded
// with zeros. The padding keeps the order: 0x00 octets end labels, and a
// label is never empty, so no key has a 0x00 where a key it starts with ends.
std::pair<uint64_t, uint64_t> relative_key_prefix(NameView name, size_t skip)
{
    std::array<uint8_t, 128> offsets;
    size_t count = label_offsets(name.wire(), offsets);
    std::array<uint8_t, 16> key {};
    size_t n = 0;
    auto put = [&](uint8_t c) {
        if (n < key.size())
            key[n++] = c;
    };
    for (size_t l = count - skip; l-- > 0 && n < key.size();) {
        size_t pos = offsets[l];
        size_t length = static_cast<uint8_t>(name.wire()[pos]);
        for (size_t i = pos + 1; i <= pos + length && n < key.size(); ++i) {
            auto c = static_cast<uint8_t>(name.wire()[i]);
            if (c >= 'A' && c <= 'Z')
                c = static_cast<uint8_t>(c + 32);
            if (c <= 1) {
                put(1);
                put(static_cast<uint8_t>(c + 1));
            } else {
                put(c);
            }
        }
        put(0);
    }
    uint64_t high = 0;
    uint64_t low = 0;
    for (size_t i = 0; i < 8; ++i) {
        high = (high << 8) | key[i];
        low = (low << 8) | key[i + 8];
    }
    return { high, low };
}

// An owner name in a staging arena: a length octet, then the wire form.
NameView staged_name(const char* at)
{
    return NameView::from_valid_wire(std::string_view(at + 1, static_cast<uint8_t>(at[0])));
}

} // namespace

struct ZoneBuilder::Staging {
    // Each record: a StagedHeader, then its RDATA.
    ChunkedArena records;
    // Each run's owner: a length octet, then its wire form.
    ChunkedArena names;
    // Where each run's owner is in `names`. A run is a sequence of records
    // with the same owner, octet for octet, as master files list them.
    std::vector<uint64_t> runs;
    Bytes last_owner;
    size_t count = 0;
    uint64_t rdata_bytes = 0;
    uint64_t name_bytes = 0;
    // The first record that cannot be kept (RDATA above 65535 octets).
    std::optional<std::pair<uint16_t, uint32_t>> oversized;
    size_t oversized_length = 0;

    NameView owner(uint32_t run) const { return staged_name(names.at(runs[run])); }
};

ZoneBuilder::ZoneBuilder(Name origin)
    : origin_(std::move(origin))
    , staging_(std::make_unique<Staging>())
{
}

ZoneBuilder::~ZoneBuilder() = default;
ZoneBuilder::ZoneBuilder(ZoneBuilder&&) noexcept = default;
ZoneBuilder& ZoneBuilder::operator=(ZoneBuilder&&) noexcept = default;

size_t ZoneBuilder::size() const { return staging_ ? staging_->count : 0; }

void ZoneBuilder::add(const RecordView& record)
{
    Staging& st = *staging_;
    if (record.rdata.size() > 0xffff) {
        if (!st.oversized) {
            st.oversized.emplace(record.file, record.line);
            st.oversized_length = record.rdata.size();
        }
        return;
    }
    std::string_view owner = record.owner.wire();
    if (st.runs.empty() || owner != std::string_view(st.last_owner)) {
        uint64_t position = 0;
        char* at = st.names.allocate(1 + owner.size(), position);
        at[0] = static_cast<char>(owner.size());
        std::memcpy(at + 1, owner.data(), owner.size());
        st.runs.push_back(position);
        st.last_owner.assign(owner);
        st.name_bytes += 1 + owner.size();
    }
    StagedHeader header {
        static_cast<uint32_t>(st.runs.size() - 1),
        record.ttl,
        record.line,
        record.file,
        static_cast<uint16_t>(record.type),
        0,
        static_cast<uint16_t>(record.rdata.size()),
    };
    // RRSIGs are grouped by the type they cover (RFC 4034 §3.1.1).
    if (record.type == RRType::RRSIG && record.rdata.size() >= 2)
        header.covers = static_cast<uint16_t>((static_cast<uint8_t>(record.rdata[0]) << 8)
                                              | static_cast<uint8_t>(record.rdata[1]));
    uint64_t position = 0;
    char* at = st.records.allocate(sizeof header + record.rdata.size(), position);
    std::memcpy(at, &header, sizeof header);
    std::memcpy(at + sizeof header, record.rdata.data(), record.rdata.size());
    ++st.count;
    st.rdata_bytes += record.rdata.size();
}

RecordSink ZoneBuilder::sink()
{
    return [this](const RecordView& record) { add(record); };
}

// One run of build(). The steps each free what the next no longer needs, so
// that the peak stays near the staging's own size:
//   1. mark_outside: owners outside the zone are reported;
//   2. rank_owners: the distinct owners are ranked in canonical order and
//      their names written to the zone; the staging names are freed;
//   3. partition: records move, block by block, into partitions that each
//      hold the records of a range of owners; each staging block is freed
//      once read, and the staging itself at the end;
//   4. assemble: partition by partition, records are sorted into RRsets
//      whose RDATA and slots are appended to the zone, and the owner's rules
//      checked; each partition is freed once done.
// Gathering from partitions of a few megabytes, rather than from all of the
// staging at random, also keeps the memory accesses cache-friendly. What the
// zone's content must satisfy is ZoneChecks' business; these steps only say
// what they meet.
class ZoneBuilder::Steps {
public:
    Steps(const Name& origin, std::unique_ptr<Staging> staging, Diagnostics& diag)
        : origin_(origin)
        , diag_(diag)
        , errors_before_(diag.errors.size())
        , staging_(std::move(staging))
        , checks_(origin, diag)
    {
        zone_.origin_ = origin;
    }

    Result<void> check_limits();
    void mark_outside();
    void rank_owners();
    Result<void> partition();
    void assemble();
    Result<Zone> finish() &&;

private:
    // A partition: the records of owners [first_owner, next partition's).
    struct Partition {
        uint32_t first_owner;
        uint64_t bytes = 0;
        size_t records = 0;
        Mapping data;
        uint64_t used = 0;
    };
    // One record of the owner being assembled, to group them into RRsets.
    struct Member {
        uint16_t type;
        uint16_t covers;
        uint32_t offset; // in the partition; records keep their file order there
        auto operator<=>(const Member&) const = default;
    };
    // One RR of the RRset being assembled.
    struct Rdata {
        std::string_view original;
        std::string_view key; // the canonical form, to sort and compare by
        uint32_t offset;
        size_t canonical; // offset in `canonicals_`, or npos when it is `original`
    };

    void assemble_owner(uint32_t rank, const char* base, std::span<const uint32_t> records);
    detail::OwnerRRset assemble_rrset(NameView owner, uint32_t owner_offset, const char* base,
                                      std::span<const Member> members);
    void collect_rdata(NameView owner, const Zone::Slot& slot, const char* base, std::span<const Member> members);
    uint64_t append_rdata(NameView owner, Zone::Slot& slot, const char* base);
    std::unexpected<Error> first_error() const { return fail(diag_.errors[errors_before_]); }

    const Name& origin_;
    Diagnostics& diag_;
    const size_t errors_before_;
    std::unique_ptr<Staging> staging_; // until partition() has read it
    detail::ZoneChecks checks_;
    Zone zone_;

    std::vector<uint32_t> rank_; // by run: its owner's rank, or `outside`; until partition()
    size_t inside_ = 0; // records
    uint64_t inside_rdata_ = 0; // octets of their RDATA
    std::vector<uint32_t> owner_offsets_; // in zone_.names_, by rank
    std::vector<uint32_t> counts_; // records per owner, by rank
    std::vector<Partition> partitions_;

    // Reused from owner to owner.
    std::vector<Member> members_;
    std::vector<Rdata> rdatas_;
    Bytes canonicals_;
    std::vector<detail::OwnerRRset> rrsets_;
};

Result<void> ZoneBuilder::Steps::check_limits()
{
    const Staging& st = *staging_;
    if (st.oversized) {
        diag_.errors.emplace_back(ErrorCode::Parse,
                                  fmt::format("RDATA is {} octets long; the limit is 65535", st.oversized_length),
                                  diag_.where(st.oversized->first, st.oversized->second));
    }
    // Counts and name offsets are 32-bit.
    if (st.count >= outside || st.name_bytes >= outside) {
        diag_.errors.push_back(Error(ErrorCode::Parse,
                                     fmt::format("zone is too large: {} records, {} octets of owner names", st.count,
                                                 st.name_bytes)));
        return first_error();
    }
    return {};
}

// 1. Owners outside the zone, checked once per run and reported for each
// record, in file order.
void ZoneBuilder::Steps::mark_outside()
{
    const Staging& st = *staging_;
    rank_.assign(st.runs.size(), 0);
    bool any_outside = false;
    for (size_t run = 0; run < st.runs.size(); ++run) {
        if (!checks_.in_zone(st.owner(static_cast<uint32_t>(run)))) {
            rank_[run] = outside;
            any_outside = true;
        }
    }
    inside_ = st.count;
    inside_rdata_ = st.rdata_bytes;
    if (!any_outside)
        return;
    st.records.for_each(staged_size, [&](const char* at) {
        StagedHeader header = header_at(at);
        if (rank_[header.owner] != outside)
            return;
        --inside_;
        inside_rdata_ -= header.length;
        checks_.outside_zone(st.owner(header.owner), RecordPlace { header.file, header.line });
    });
}

// 2. The distinct owners in canonical order. A run's sort key is the start of
// its owner's canonical key without the origin's labels, which every owner
// shares (relative_key_prefix); names with the same 16 octets there are
// compared in full.
void ZoneBuilder::Steps::rank_owners()
{
    Staging& st = *staging_;
    struct RunKey {
        uint64_t high;
        uint64_t low;
        uint32_t run;
        uint32_t name; // position in st.names
        bool same_prefix(const RunKey& other) const { return high == other.high && low == other.low; }
    };
    const size_t origin_labels = origin_.label_count();
    std::vector<RunKey> order;
    order.reserve(st.runs.size());
    for (size_t run = 0; run < st.runs.size(); ++run) {
        if (rank_[run] == outside)
            continue;
        auto [high, low] = relative_key_prefix(st.owner(static_cast<uint32_t>(run)), origin_labels);
        order.push_back(RunKey { high, low, static_cast<uint32_t>(run), static_cast<uint32_t>(st.runs[run]) });
    }
    st.runs = decltype(st.runs)();
    auto name_at = [&](uint32_t position) { return staged_name(st.names.at(position)); };
    std::sort(order.begin(), order.end(), [&](const RunKey& a, const RunKey& b) {
        if (a.high != b.high)
            return a.high < b.high;
        if (a.low != b.low)
            return a.low < b.low;
        auto c = name_at(a.name) <=> name_at(b.name);
        if (c != 0)
            return c < 0;
        return a.run < b.run; // the first spelling in the file names the owner
    });
    // Rank the runs; the first run of each owner gives its spelling.
    std::vector<uint32_t> spelling; // position in st.names, by rank
    spelling.reserve(order.size());
    size_t bytes = 0;
    for (size_t i = 0; i < order.size(); ++i) {
        // The names are scattered over the staging: ask for them early, so
        // that the memory fetches overlap.
        if (i + prefetch_distance < order.size())
            __builtin_prefetch(st.names.at(order[i + prefetch_distance].name));
        if (i == 0 || !order[i - 1].same_prefix(order[i]) || name_at(order[i - 1].name) != name_at(order[i].name)) {
            spelling.push_back(order[i].name);
            bytes += 1 + static_cast<uint8_t>(*st.names.at(order[i].name));
        }
        rank_[order[i].run] = static_cast<uint32_t>(spelling.size() - 1);
    }
    order = decltype(order)();
    zone_.names_.reserve(bytes);
    owner_offsets_.reserve(spelling.size());
    for (size_t r = 0; r < spelling.size(); ++r) {
        if (r + prefetch_distance < spelling.size())
            __builtin_prefetch(st.names.at(spelling[r + prefetch_distance]));
        const char* at = st.names.at(spelling[r]);
        owner_offsets_.push_back(static_cast<uint32_t>(zone_.names_.size()));
        zone_.names_.insert(zone_.names_.end(), at, at + 1 + static_cast<uint8_t>(at[0]));
    }
    st.names.release();
}

// 3. Partitions: consecutive ranges of owners, a few megabytes of records
// each, filled by reading the staging block by block.
Result<void> ZoneBuilder::Steps::partition()
{
    Staging& st = *staging_;
    const size_t owners = owner_offsets_.size();
    counts_.assign(owners, 0);
    {
        std::vector<uint64_t> sizes(owners, 0);
        st.records.for_each(staged_size, [&](const char* at) {
            StagedHeader header = header_at(at);
            uint32_t r = rank_[header.owner];
            if (r != outside) {
                ++counts_[r];
                sizes[r] += sizeof header + header.length;
            }
        });
        constexpr uint64_t target = uint64_t(4) << 20;
        for (size_t r = 0; r < owners; ++r) {
            if (partitions_.empty() || partitions_.back().bytes >= target)
                partitions_.push_back(Partition { static_cast<uint32_t>(r) });
            partitions_.back().bytes += sizes[r];
            partitions_.back().records += counts_[r];
        }
    }
    for (auto& partition : partitions_) {
        // Offsets in a partition are 32-bit; only one owner's records could
        // take more than that.
        if (partition.bytes >= outside) {
            diag_.errors.emplace_back(ErrorCode::Parse, "zone is too large: one owner's records take over 4 GiB");
            return first_error();
        }
        partition.data = Mapping(partition.bytes);
    }
    std::vector<uint32_t> firsts;
    for (const auto& partition : partitions_)
        firsts.push_back(partition.first_owner);
    for (size_t block = 0; block < st.records.block_count(); ++block) {
        st.records.for_each_in_block(block, staged_size, [&](const char* at) {
            StagedHeader header = header_at(at);
            uint32_t r = rank_[header.owner];
            if (r == outside)
                return;
            Partition& partition = partitions_[std::upper_bound(firsts.begin(), firsts.end(), r) - firsts.begin() - 1];
            char* to = partition.data.data() + partition.used;
            header.owner = r;
            std::memcpy(to, &header, sizeof header);
            std::memcpy(to + sizeof header, at + sizeof header, header.length);
            partition.used += sizeof header + header.length;
        });
        st.records.release_block(block);
    }
    rank_ = decltype(rank_)();
    staging_.reset();
    return {};
}

// The parts of step 4. They run for every RRset of the zone, and are split
// for reading only: always inlined, so that no RRset pays for a call.

// The RRset's RDATA into `rdatas_`, sorted in canonical order (RFC 4034
// §6.3); TTLs that differ from the first are reported.
[[gnu::always_inline]] inline void
ZoneBuilder::Steps::collect_rdata(NameView owner, const Zone::Slot& slot, const char* base,
                                  std::span<const Member> members)
{
    const auto type = static_cast<RRType>(slot.type);
    rdatas_.clear();
    canonicals_.clear();
    const bool lowercases = canonical_lowercases_names(type);
    for (const Member& member : members) {
        const char* at = base + member.offset;
        StagedHeader header = header_at(at);
        if (header.ttl != slot.ttl)
            checks_.differing_ttl(owner, slot.type, slot.covers, header.ttl, slot.ttl,
                                  RecordPlace { header.file, header.line });
        std::string_view original(at + sizeof header, header.length);
        size_t canonical = std::string_view::npos;
        // RFC 4034 §6.2: only names are lower-cased, so RDATA without an
        // upper-case letter is its own canonical form.
        if (members.size() > 1 && lowercases && has_upper(original)) {
            canonical = canonicals_.size();
            rdata_canonical(type, original, canonicals_);
        }
        rdatas_.push_back(Rdata { original, original, member.offset, canonical });
    }
    if (rdatas_.size() > 1) {
        // A canonical form is as long as its RDATA; `canonicals_` has
        // stopped growing, so views of it hold.
        for (auto& rdata : rdatas_) {
            if (rdata.canonical != std::string_view::npos)
                rdata.key = std::string_view(canonicals_).substr(rdata.canonical, rdata.original.size());
        }
        // RFC 4034 §6.3: RDATA as left-justified unsigned octet strings.
        std::sort(rdatas_.begin(), rdatas_.end(), [](const Rdata& x, const Rdata& y) {
            int c = x.key.compare(y.key);
            if (c != 0)
                return c < 0;
            return x.offset < y.offset;
        });
    }
}

// The sorted RDATA into the zone's arena, each after its 2-octet length,
// duplicates reported and left out; sets the slot's count and returns the
// octets of RDATA written.
[[gnu::always_inline]] inline uint64_t
ZoneBuilder::Steps::append_rdata(NameView owner, Zone::Slot& slot, const char* base)
{
    uint32_t count = 0;
    uint64_t rdata_octets = 0;
    for (size_t k = 0; k < rdatas_.size(); ++k) {
        if (k > 0 && rdatas_[k].key == rdatas_[k - 1].key) {
            StagedHeader header = header_at(base + rdatas_[k].offset);
            checks_.duplicate(owner, slot.type, slot.covers, RecordPlace { header.file, header.line });
            continue;
        }
        std::string_view data = rdatas_[k].original;
        zone_.rdata_.push_back(static_cast<char>(data.size() >> 8));
        zone_.rdata_.push_back(static_cast<char>(data.size() & 0xff));
        zone_.rdata_.insert(zone_.rdata_.end(), data.begin(), data.end());
        rdata_octets += data.size();
        ++count;
    }
    slot.count = count;
    return rdata_octets;
}

// One RRset: the records of one owner, type and covered type, in file order.
[[gnu::always_inline]] inline detail::OwnerRRset
ZoneBuilder::Steps::assemble_rrset(NameView owner, uint32_t owner_offset, const char* base,
                                   std::span<const Member> members)
{
    const StagedHeader first = header_at(base + members.front().offset);
    Zone::Slot slot {};
    slot.owner = owner_offset;
    slot.ttl = first.ttl;
    slot.type = first.type;
    slot.covers = first.covers;
    slot.role = Role::Authoritative;
    const uint64_t rdata_at = zone_.rdata_.size();
    slot.rdata_low = static_cast<uint32_t>(rdata_at);
    slot.rdata_high = static_cast<uint16_t>(rdata_at >> 32);

    collect_rdata(owner, slot, base, members);
    const uint64_t rdata_octets = append_rdata(owner, slot, base);
    zone_.record_count_ += slot.count;
    zone_.slots_.push_back(slot);
    const RecordPlace where { first.file, first.line };
    return detail::OwnerRRset { slot.type, slot.covers, slot.count, rdata_octets, where };
}

// One owner: its records grouped into RRsets, then its rules and roles.
[[gnu::always_inline]] inline void
ZoneBuilder::Steps::assemble_owner(uint32_t rank, const char* base, std::span<const uint32_t> records)
{
    members_.clear();
    for (uint32_t offset : records) {
        StagedHeader header = header_at(base + offset);
        members_.push_back(Member { header.type, header.covers, offset });
    }
    if (members_.size() > 1)
        std::sort(members_.begin(), members_.end());

    const uint32_t owner_offset = owner_offsets_[rank];
    const NameView owner = zone_.owner_at(owner_offset);
    const size_t first_slot = zone_.slots_.size();
    rrsets_.clear();
    for (size_t a = 0; a < members_.size();) {
        size_t b = a + 1;
        while (b < members_.size() && members_[b].type == members_[a].type && members_[b].covers == members_[a].covers)
            ++b;
        const auto rrset = std::span<const Member>(members_).subspan(a, b - a);
        rrsets_.push_back(assemble_rrset(owner, owner_offset, base, rrset));
        a = b;
    }
    if (auto soa = checks_.owner(owner, rrsets_))
        zone_.soa_index_ = first_slot + *soa;
    for (size_t i = 0; i < rrsets_.size(); ++i) {
        Zone::Slot& slot = zone_.slots_[first_slot + i];
        slot.role = rrsets_[i].role;
        if (static_cast<RRType>(slot.type) == RRType::DS && slot.role != Role::Occluded)
            checks_.ds_rrset(owner, zone_.rrset(first_slot + i), rrsets_[i].where);
        if ((static_cast<RRType>(slot.type) == RRType::SVCB || static_cast<RRType>(slot.type) == RRType::HTTPS)
            && slot.role != Role::Occluded)
            checks_.svcb_rrset(owner, zone_.rrset(first_slot + i), rrsets_[i].where);
        if (static_cast<RRType>(slot.type) == RRType::IPSECKEY && slot.role != Role::Occluded)
            checks_.ipseckey_rrset(owner, zone_.rrset(first_slot + i), rrsets_[i].where);
        if (static_cast<RRType>(slot.type) == RRType::NS
            && (slot.role == Role::Delegation || slot.role == Role::Authoritative))
            checks_.ns_rrset(first_slot + i, rrsets_[i].where);
    }
}

// 4. Owner by owner, in canonical order: RRsets by type (and covered type),
// RDATA in canonical order without duplicates, then the owner's rules and
// roles.
void ZoneBuilder::Steps::assemble()
{
    const size_t owners = owner_offsets_.size();
    zone_.slots_.reserve(inside_);
    zone_.rdata_.reserve(inside_rdata_ + 2 * inside_);
    std::vector<uint32_t> order; // record offsets in a partition, by owner
    std::vector<uint32_t> ends; // where each owner's records end in `order`
    for (size_t p = 0; p < partitions_.size(); ++p) {
        Partition& partition = partitions_[p];
        const uint32_t first = partition.first_owner;
        const uint32_t last
            = p + 1 < partitions_.size() ? partitions_[p + 1].first_owner : static_cast<uint32_t>(owners);
        // A counting sort on the owners' ranks keeps each owner's records in
        // file order.
        ends.assign(last - first + 1, 0);
        for (uint32_t r = first; r < last; ++r)
            ends[r - first + 1] = ends[r - first] + counts_[r];
        order.resize(partition.records);
        const char* base = partition.data.data();
        for (uint64_t offset = 0; offset < partition.used; offset += staged_size(base + offset))
            order[ends[header_at(base + offset).owner - first]++] = static_cast<uint32_t>(offset);
        for (uint32_t r = first; r < last; ++r) {
            const uint32_t begin = r == first ? 0 : ends[r - first - 1];
            assemble_owner(r, base, std::span<const uint32_t>(order).subspan(begin, ends[r - first] - begin));
        }
        partition.data = Mapping();
    }
    zone_.owner_count_ = owners;
}

Result<Zone> ZoneBuilder::Steps::finish() &&
{
    checks_.finish(zone_);
    if (diag_.errors.size() > errors_before_) {
        if (diag_.errors.size() > diag_.max_errors)
            diag_.errors.erase(diag_.errors.begin() + static_cast<std::ptrdiff_t>(diag_.max_errors),
                               diag_.errors.end());
        return first_error();
    }
    // The slots' reservation was for one RRset per record; give back a
    // large excess (from many multi-record RRsets or duplicates).
    if (zone_.slots_.capacity() > zone_.slots_.size() + zone_.slots_.size() / 4 + 1024)
        zone_.slots_.shrink_to_fit();
    return std::move(zone_);
}

Result<Zone> ZoneBuilder::build(Diagnostics& diagnostics) &&
{
    Steps steps(origin_, staging_ ? std::move(staging_) : std::make_unique<Staging>(), diagnostics);
    SIGNET_TRY(steps.check_limits());
    steps.mark_outside();
    steps.rank_owners();
    SIGNET_TRY(steps.partition());
    steps.assemble();
    return std::move(steps).finish();
}

Result<Zone> load_zone_file(const std::filesystem::path& path, const Name& origin, Diagnostics& diagnostics)
{
    ZoneBuilder builder(origin);
    if (!read_master_file(path, origin, builder.sink(), diagnostics))
        return fail(diagnostics.errors.front());
    return std::move(builder).build(diagnostics);
}

Result<Zone> load_zone_text(std::string_view text, const Name& origin, Diagnostics& diagnostics, std::string label)
{
    ZoneBuilder builder(origin);
    if (!read_master_text(text, std::move(label), origin, builder.sink(), diagnostics))
        return fail(diagnostics.errors.front());
    return std::move(builder).build(diagnostics);
}

} // namespace signet::dns

