#include <signet/dns/zone.h>

#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cstring>
#include <limits>
#include <new>
#include <utility>

#include <fmt/format.h>

#include <signet/base/excerpt.h>

namespace signet::dns {

std::string_view role_to_text(Role role)
{
    switch (role) {
    case Role::Authoritative: return "authoritative";
    case Role::Delegation: return "delegation";
    case Role::Glue: return "glue";
    case Role::Occluded: return "occluded";
    }
    return "?";
}

namespace {

constexpr uint32_t outside = std::numeric_limits<uint32_t>::max();
constexpr uint64_t max_message_size = 65535;
// How many items ahead to prefetch when gathering scattered staging data.
constexpr size_t prefetch_distance = 8;

// Offsets of the length octets of each label, root excluded; returns the count.
size_t label_offsets(std::string_view wire, std::array<uint8_t, 128>& offsets)
{
    size_t count = 0;
    for (size_t pos = 0; wire[pos] != '\0'; pos += 1 + static_cast<uint8_t>(wire[pos]))
        offsets[count++] = static_cast<uint8_t>(pos);
    return count;
}

bool label_equal(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i) {
        auto x = static_cast<uint8_t>(a[i]);
        auto y = static_cast<uint8_t>(b[i]);
        if (x != y && ((x | 0x20) != (y | 0x20) || (x | 0x20) < 'a' || (x | 0x20) > 'z'))
            return false;
    }
    return true;
}

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

// An owner name as messages show it: names come from the input, and one of
// 255 octets of escapes would fill a screen. 80 characters keep a full
// ip6.arpa name.
std::string shown(NameView name) { return excerpt(name.to_text(), 80); }

std::string rrset_text(NameView owner, uint16_t type, uint16_t covers)
{
    if (static_cast<RRType>(type) == RRType::RRSIG)
        return fmt::format("{} RRSIG({})", shown(owner), type_to_text(static_cast<RRType>(covers)));
    return fmt::format("{} {}", shown(owner), type_to_text(static_cast<RRType>(type)));
}

} // namespace

// --- Zone -----------------------------------------------------------------

size_t Zone::lower_bound(NameView owner) const
{
    size_t low = 0;
    size_t high = slots_.size();
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (owner_at(slots_[middle].owner) < owner)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

std::optional<RRsetView> Zone::find(NameView owner, RRType type, uint16_t covers) const
{
    size_t i = lower_bound(owner);
    if (i == slots_.size() || owner_at(slots_[i].owner) != owner)
        return std::nullopt;
    // The RRsets of one owner share its name in the arena.
    for (const uint32_t at = slots_[i].owner; i < slots_.size() && slots_[i].owner == at; ++i) {
        if (slots_[i].type == static_cast<uint16_t>(type) && slots_[i].covers == covers)
            return rrset(i);
    }
    return std::nullopt;
}

size_t Zone::owner_end(size_t index) const
{
    // The RRsets of one owner share its name in the arena.
    const uint32_t at = slots_[index].owner;
    size_t end = index + 1;
    while (end < slots_.size() && slots_[end].owner == at)
        ++end;
    return end;
}

uint32_t Zone::serial() const
{
    std::string_view rdata = soa().rdata(0);
    size_t offset = 0;
    // Skip MNAME and RNAME; the reader checked the layout.
    for (int names = 0; names < 2; ++names) {
        while (rdata[offset] != 0)
            offset += 1 + static_cast<uint8_t>(rdata[offset]);
        ++offset;
    }
    uint32_t serial = 0;
    for (int i = 0; i < 4; ++i)
        serial = (serial << 8) | static_cast<uint8_t>(rdata[offset + i]);
    return serial;
}

std::vector<NameView> Zone::cuts() const
{
    std::vector<NameView> out;
    for (const Slot& slot : slots_) {
        if (slot.role == Role::Delegation)
            out.push_back(owner_at(slot.owner));
    }
    return out;
}

std::vector<NameView> Zone::empty_non_terminals() const
{
    // In canonical order every name's subtree is one contiguous run that
    // starts with the name itself. So an ancestor A of owner O is empty
    // exactly when it is not also an ancestor (or the name) of the owner
    // before O: had A owned data, or had an earlier owner been below A, the
    // owner just before O would be A or below A. Those ancestors are O's
    // suffixes with more labels than O shares with the previous owner, and
    // they sort between the two, shallowest first.
    std::vector<NameView> out;
    std::array<uint8_t, 128> offsets;
    std::array<uint8_t, 128> previous_offsets;
    NameView previous = origin_;
    size_t previous_count = label_offsets(previous.wire(), previous_offsets);
    const size_t origin_labels = previous_count;
    for (size_t i = 0; i < slots_.size(); ++i) {
        if (i > 0 && slots_[i].owner == slots_[i - 1].owner)
            continue;
        NameView owner = owner_at(slots_[i].owner);
        size_t count = label_offsets(owner.wire(), offsets);
        size_t common = 0;
        while (common < count && common < previous_count) {
            size_t a = offsets[count - 1 - common];
            size_t b = previous_offsets[previous_count - 1 - common];
            std::string_view label_a = owner.wire().substr(a + 1, static_cast<uint8_t>(owner.wire()[a]));
            std::string_view label_b = previous.wire().substr(b + 1, static_cast<uint8_t>(previous.wire()[b]));
            if (!label_equal(label_a, label_b))
                break;
            ++common;
        }
        for (size_t labels = std::max(common, origin_labels) + 1; labels < count; ++labels)
            out.push_back(NameView::from_valid_wire(owner.wire().substr(offsets[count - labels])));
        previous = owner;
        previous_offsets = offsets;
        previous_count = count;
    }
    return out;
}

size_t Zone::memory_usage() const
{
    return names_.capacity() + rdata_.capacity() + slots_.capacity() * sizeof(Slot) + origin_.wire().capacity();
}

// --- ZoneBuilder ----------------------------------------------------------

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
    uint64_t record_bytes = 0; // headers and RDATA
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
    st.record_bytes += sizeof header + record.rdata.size();
    st.rdata_bytes += record.rdata.size();
}

RecordSink ZoneBuilder::sink()
{
    return [this](const RecordView& record) { add(record); };
}

// The build runs in steps that each free what the next no longer needs, so
// that the peak stays near the staging's own size:
//   1. owners outside the zone are reported;
//   2. the distinct owners are ranked in canonical order and their names
//      written to the zone; the staging names are freed;
//   3. records move, block by block, into partitions that each hold the
//      records of a range of owners; each staging block is freed once read;
//   4. partition by partition, records are sorted into RRsets whose RDATA
//      and slots are appended to the zone, and the owner's rules checked;
//      each partition is freed once done.
// Gathering from partitions of a few megabytes, rather than from all of the
// staging at random, also keeps the memory accesses cache-friendly.
Result<Zone> ZoneBuilder::build(Diagnostics& diag) &&
{
    if (!staging_)
        staging_ = std::make_unique<Staging>();
    Staging& st = *staging_;
    const size_t errors_before = diag.errors.size();
    auto report = [&](uint16_t file, uint32_t line, std::string message) {
        diag.errors.emplace_back(ErrorCode::Parse, std::move(message), diag.where(file, line));
    };
    if (st.oversized) {
        report(st.oversized->first, st.oversized->second,
               fmt::format("RDATA is {} octets long; the limit is 65535", st.oversized_length));
    }
    // Counts and name offsets are 32-bit.
    if (st.count >= outside || st.name_bytes >= outside) {
        diag.errors.emplace_back(ErrorCode::Parse, fmt::format("zone is too large: {} records, {} octets of owner names",
                                                               st.count, st.name_bytes));
        return fail(diag.errors[errors_before]);
    }

    // 1. Owners outside the zone, checked once per run and reported for
    // each record, in file order.
    std::vector<uint32_t> rank(st.runs.size(), 0);
    bool any_outside = false;
    for (size_t run = 0; run < st.runs.size(); ++run) {
        if (!st.owner(static_cast<uint32_t>(run)).is_subdomain_of(origin_)) {
            rank[run] = outside;
            any_outside = true;
        }
    }
    size_t inside = st.count;
    uint64_t inside_bytes = st.record_bytes;
    uint64_t inside_rdata = st.rdata_bytes;
    if (any_outside) {
        const std::string origin_text = origin_.to_text();
        st.records.for_each(staged_size, [&](const char* at) {
            StagedHeader header = header_at(at);
            if (rank[header.owner] != outside)
                return;
            --inside;
            inside_bytes -= sizeof header + header.length;
            inside_rdata -= header.length;
            if (!diag.full())
                report(header.file, header.line,
                       fmt::format("'{}' is outside the zone '{}'", shown(st.owner(header.owner)), origin_text));
        });
    }

    // 2. The distinct owners in canonical order. A run's sort key is the
    // start of its owner's canonical key without the origin's labels, which
    // every owner shares (relative_key_prefix); names with the same 16
    // octets there are compared in full.
    Zone zone;
    zone.origin_ = origin_;
    std::vector<uint32_t> owner_offsets; // in zone.names_, by rank
    {
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
            if (rank[run] == outside)
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
            // The names are scattered over the staging: ask for them early,
            // so that the memory fetches overlap.
            if (i + prefetch_distance < order.size())
                __builtin_prefetch(st.names.at(order[i + prefetch_distance].name));
            if (i == 0 || !order[i - 1].same_prefix(order[i]) || name_at(order[i - 1].name) != name_at(order[i].name)) {
                spelling.push_back(order[i].name);
                bytes += 1 + static_cast<uint8_t>(*st.names.at(order[i].name));
            }
            rank[order[i].run] = static_cast<uint32_t>(spelling.size() - 1);
        }
        order = decltype(order)();
        zone.names_.reserve(bytes);
        owner_offsets.reserve(spelling.size());
        for (size_t r = 0; r < spelling.size(); ++r) {
            if (r + prefetch_distance < spelling.size())
                __builtin_prefetch(st.names.at(spelling[r + prefetch_distance]));
            const char* at = st.names.at(spelling[r]);
            owner_offsets.push_back(static_cast<uint32_t>(zone.names_.size()));
            zone.names_.insert(zone.names_.end(), at, at + 1 + static_cast<uint8_t>(at[0]));
        }
    }
    st.names.release();
    const size_t owners = owner_offsets.size();

    // 3. Partitions: consecutive ranges of owners, a few megabytes of
    // records each, filled by reading the staging block by block.
    std::vector<uint32_t> counts(owners, 0); // records per owner
    struct Partition {
        uint32_t first_owner;
        uint64_t bytes = 0;
        size_t records = 0;
        Mapping data;
        uint64_t used = 0;
    };
    std::vector<Partition> partitions;
    {
        std::vector<uint64_t> sizes(owners, 0);
        st.records.for_each(staged_size, [&](const char* at) {
            StagedHeader header = header_at(at);
            uint32_t r = rank[header.owner];
            if (r != outside) {
                ++counts[r];
                sizes[r] += sizeof header + header.length;
            }
        });
        constexpr uint64_t target = uint64_t(4) << 20;
        for (size_t r = 0; r < owners; ++r) {
            if (partitions.empty() || partitions.back().bytes >= target)
                partitions.push_back(Partition { static_cast<uint32_t>(r) });
            partitions.back().bytes += sizes[r];
            partitions.back().records += counts[r];
        }
    }
    for (auto& partition : partitions) {
        // Offsets in a partition are 32-bit; only one owner's records could
        // take more than that.
        if (partition.bytes >= outside) {
            diag.errors.emplace_back(ErrorCode::Parse, "zone is too large: one owner's records take over 4 GiB");
            return fail(diag.errors[errors_before]);
        }
        partition.data = Mapping(partition.bytes);
    }
    std::vector<uint32_t> firsts;
    for (const auto& partition : partitions)
        firsts.push_back(partition.first_owner);
    for (size_t block = 0; block < st.records.block_count(); ++block) {
        st.records.for_each_in_block(block, staged_size, [&](const char* at) {
            StagedHeader header = header_at(at);
            uint32_t r = rank[header.owner];
            if (r == outside)
                return;
            Partition& partition = partitions[std::upper_bound(firsts.begin(), firsts.end(), r) - firsts.begin() - 1];
            char* to = partition.data.data() + partition.used;
            header.owner = r;
            std::memcpy(to, &header, sizeof header);
            std::memcpy(to + sizeof header, at + sizeof header, header.length);
            partition.used += sizeof header + header.length;
        });
        st.records.release_block(block);
    }
    rank = decltype(rank)();
    staging_.reset();

    // 4. Per owner: RRsets by type (and covered type), RDATA in canonical
    // order without duplicates, then the SOA, CNAME, DNAME and DS rules and
    // the roles. Warnings of the second kind (occlusion) follow all those
    // of the first kind (TTLs, duplicates), as when these were two passes.
    zone.slots_.reserve(inside);
    zone.rdata_.reserve(inside_rdata + 2 * inside);
    std::vector<Error> late_warnings;
    bool have_soa = false;
    bool apex_ns = false;
    std::optional<NameView> cut; // the closest enclosing delegation point
    std::optional<NameView> dname; // the closest enclosing DNAME owner

    struct Member {
        uint16_t type;
        uint16_t covers;
        uint32_t offset; // in the partition; records keep their file order there
        auto operator<=>(const Member&) const = default;
    };
    struct Rdata {
        std::string_view original;
        std::string_view key; // the canonical form, to sort and compare by
        uint32_t offset;
        size_t canonical; // offset in `canonicals`, or npos when it is `original`
    };
    struct Where {
        uint16_t file;
        uint32_t line;
    };
    std::vector<Member> members;
    std::vector<Rdata> rdatas;
    Bytes canonicals;
    std::vector<Where> where; // of each RRset of the owner: its first record

    auto build_owner = [&](uint32_t r, const char* base, std::span<const uint32_t> records) {
        members.clear();
        for (uint32_t offset : records) {
            StagedHeader header = header_at(base + offset);
            members.push_back(Member { header.type, header.covers, offset });
        }
        if (members.size() > 1)
            std::sort(members.begin(), members.end());

        const uint32_t owner_offset = owner_offsets[r];
        const NameView owner = zone.owner_at(owner_offset);
        const size_t first_slot = zone.slots_.size();
        where.clear();
        for (size_t a = 0; a < members.size();) {
            size_t b = a + 1;
            while (b < members.size() && members[b].type == members[a].type && members[b].covers == members[a].covers)
                ++b;
            const StagedHeader first = header_at(base + members[a].offset);
            const auto type = static_cast<RRType>(first.type);
            Zone::Slot slot {};
            slot.owner = owner_offset;
            slot.ttl = first.ttl;
            slot.type = first.type;
            slot.covers = first.covers;
            slot.role = Role::Authoritative;
            const uint64_t rdata_at = zone.rdata_.size();
            slot.rdata_low = static_cast<uint32_t>(rdata_at);
            slot.rdata_high = static_cast<uint16_t>(rdata_at >> 32);

            rdatas.clear();
            canonicals.clear();
            const bool lowercases = canonical_lowercases_names(type);
            for (size_t k = a; k < b; ++k) {
                const char* at = base + members[k].offset;
                StagedHeader header = header_at(at);
                if (header.ttl != slot.ttl && type != RRType::RRSIG) {
                    diag.warn(Error(
                        ErrorCode::Parse,
                        fmt::format("TTL {} differs from TTL {} of the RRset {}; using {} (RFC 2181 §5.2)", header.ttl,
                                    slot.ttl, rrset_text(owner, slot.type, slot.covers), slot.ttl),
                        diag.where(header.file, header.line)));
                }
                std::string_view original(at + sizeof header, header.length);
                size_t canonical = std::string_view::npos;
                // RFC 4034 §6.2: only names are lower-cased, so RDATA without
                // an upper-case letter is its own canonical form.
                if (b - a > 1 && lowercases && has_upper(original)) {
                    canonical = canonicals.size();
                    rdata_canonical(type, original, canonicals);
                }
                rdatas.push_back(Rdata { original, original, members[k].offset, canonical });
            }
            if (rdatas.size() > 1) {
                // A canonical form is as long as its RDATA; `canonicals` has
                // stopped growing, so views of it hold.
                for (auto& rdata : rdatas) {
                    if (rdata.canonical != std::string_view::npos)
                        rdata.key = std::string_view(canonicals).substr(rdata.canonical, rdata.original.size());
                }
                // RFC 4034 §6.3: RDATA as left-justified unsigned octet strings.
                std::sort(rdatas.begin(), rdatas.end(), [](const Rdata& x, const Rdata& y) {
                    int c = x.key.compare(y.key);
                    if (c != 0)
                        return c < 0;
                    return x.offset < y.offset;
                });
            }
            uint32_t count = 0;
            uint64_t rdata_octets = 0;
            for (size_t k = 0; k < rdatas.size(); ++k) {
                if (k > 0 && rdatas[k].key == rdatas[k - 1].key) {
                    StagedHeader header = header_at(base + rdatas[k].offset);
                    diag.warn(Error(
                        ErrorCode::Parse,
                        fmt::format("duplicate record in {} ignored", rrset_text(owner, slot.type, slot.covers)),
                        diag.where(header.file, header.line)));
                    continue;
                }
                std::string_view data = rdatas[k].original;
                zone.rdata_.push_back(static_cast<char>(data.size() >> 8));
                zone.rdata_.push_back(static_cast<char>(data.size() & 0xff));
                zone.rdata_.insert(zone.rdata_.end(), data.begin(), data.end());
                rdata_octets += data.size();
                ++count;
            }
            // Every answer carries a whole RRset (RFC 2181 §5), and no DNS
            // message exceeds 65535 octets (RFC 1035 §4.2.2). The smallest
            // answer: header, question, then each RR with its owner
            // compressed to a pointer, its type, class, TTL and length. An
            // RRset that cannot fit even that, before any RRSIG, could be
            // neither served nor transferred, and other servers refuse it.
            const uint64_t answer = 12 + owner.wire().size() + 4 + uint64_t(count) * (2 + 10) + rdata_octets;
            if (answer > max_message_size)
                report(first.file, first.line,
                       fmt::format("the RRset {} ({} records) is too large for a DNS message: answering a query for "
                                   "it takes {} octets, above the limit of 65535 (RFC 1035 §4.2.2)",
                                   rrset_text(owner, slot.type, slot.covers), count, answer));
            slot.count = count;
            zone.record_count_ += count;
            zone.slots_.push_back(slot);
            where.push_back(Where { first.file, first.line });
            a = b;
        }

        // The owner's rules.
        const size_t end_slot = zone.slots_.size();
        auto& sets = zone.slots_;
        auto report_at = [&](size_t i, std::string message) {
            report(where[i - first_slot].file, where[i - first_slot].line, std::move(message));
        };
        const bool apex = owner == origin_;
        bool has_ns = false, has_ds = false;
        std::optional<size_t> cname_index;
        RRType other = RRType::A;
        bool has_other = false; // data that may not stand beside a CNAME
        for (size_t i = first_slot; i < end_slot; ++i) {
            auto type = static_cast<RRType>(sets[i].type);
            if (type == RRType::NS)
                has_ns = true;
            else if (type == RRType::DS)
                has_ds = true;
            else if (type == RRType::CNAME) {
                cname_index = i;
                if (sets[i].count > 1)
                    report_at(i, fmt::format("more than one CNAME record at '{}'", shown(owner)));
            } else if (type == RRType::DNAME && sets[i].count > 1) {
                report_at(i, fmt::format("more than one DNAME record at '{}'", shown(owner)));
            } else if (type == RRType::SOA) {
                if (!apex)
                    report_at(i, fmt::format("SOA record at '{}', which is not the zone apex '{}'", shown(owner),
                                             origin_.to_text()));
                else if (sets[i].count > 1)
                    report_at(i, "more than one SOA record at the zone apex");
                else {
                    have_soa = true;
                    zone.soa_index_ = i;
                }
            }
            // RFC 4035 §2.5: RRSIG and NSEC may stand beside a CNAME.
            if (type != RRType::CNAME && type != RRType::RRSIG && type != RRType::NSEC) {
                if (!has_other)
                    other = type;
                has_other = true;
            }
        }
        if (cname_index && has_other)
            report_at(*cname_index, fmt::format("CNAME at '{}' beside other data ({}); RFC 1034 §3.6.2 forbids it",
                                                shown(owner), type_to_text(other)));
        if (apex)
            apex_ns = has_ns;
        if (has_ds && (apex || !has_ns)) {
            for (size_t i = first_slot; i < end_slot; ++i) {
                if (static_cast<RRType>(sets[i].type) == RRType::DS)
                    report_at(i, apex ? std::string("DS record at the zone apex: it belongs in the parent zone")
                                      : fmt::format("DS record at '{}', which is not a delegation (no NS)",
                                                    shown(owner)));
            }
        }

        if (cut && !owner.is_subdomain_of(*cut))
            cut.reset();
        if (dname && !owner.is_subdomain_of(*dname))
            dname.reset();
        const bool below_dname = dname && owner != *dname;
        const bool below_cut = cut.has_value(); // strictly below: the cut itself is handled next
        const bool at_cut = !below_cut && !apex && has_ns;
        for (size_t i = first_slot; i < end_slot; ++i) {
            auto type = static_cast<RRType>(sets[i].type);
            bool address = type == RRType::A || type == RRType::AAAA;
            Role role = Role::Authoritative;
            if (below_dname)
                role = Role::Occluded;
            else if (below_cut)
                role = address ? Role::Glue : Role::Occluded;
            else if (at_cut) {
                if (type == RRType::NS)
                    role = Role::Delegation;
                else if (address)
                    role = Role::Glue;
                else if (type != RRType::DS && type != RRType::NSEC && type != RRType::RRSIG)
                    role = Role::Occluded;
            }
            sets[i].role = role;
            if (role == Role::Occluded && !diag.full()
                && diag.warnings.size() + late_warnings.size() < diag.max_warnings)
                late_warnings.emplace_back(
                    ErrorCode::Parse,
                    fmt::format("{} is occluded by the {} at '{}' and will not be served or signed",
                                rrset_text(owner, sets[i].type, sets[i].covers), below_dname ? "DNAME" : "delegation",
                                below_dname ? shown(*dname) : (cut ? shown(*cut) : shown(owner))),
                    diag.where(where[i - first_slot].file, where[i - first_slot].line));
        }
        if (at_cut)
            cut = owner;
        if (!dname && !below_cut) {
            for (size_t i = first_slot; i < end_slot; ++i) {
                if (static_cast<RRType>(sets[i].type) == RRType::DNAME)
                    dname = owner;
            }
        }
    };

    std::vector<uint32_t> order; // record offsets in a partition, by owner
    std::vector<uint32_t> ends; // where each owner's records end in `order`
    for (size_t p = 0; p < partitions.size(); ++p) {
        Partition& partition = partitions[p];
        const uint32_t first = partition.first_owner;
        const uint32_t last = p + 1 < partitions.size() ? partitions[p + 1].first_owner : static_cast<uint32_t>(owners);
        // A counting sort on the owners' ranks keeps each owner's records in
        // file order.
        ends.assign(last - first + 1, 0);
        for (uint32_t r = first; r < last; ++r)
            ends[r - first + 1] = ends[r - first] + counts[r];
        order.resize(partition.records);
        const char* base = partition.data.data();
        for (uint64_t offset = 0; offset < partition.used; offset += staged_size(base + offset))
            order[ends[header_at(base + offset).owner - first]++] = static_cast<uint32_t>(offset);
        for (uint32_t r = first; r < last; ++r) {
            const uint32_t begin = r == first ? 0 : ends[r - first - 1];
            build_owner(r, base, std::span<const uint32_t>(order).subspan(begin, ends[r - first] - begin));
        }
        partition.data = Mapping();
    }
    zone.owner_count_ = owners;
    for (auto& warning : late_warnings)
        diag.warn(std::move(warning));

    std::string origin_text = origin_.to_text();
    if (!have_soa)
        diag.errors.emplace_back(ErrorCode::Parse, fmt::format("no SOA record at the zone apex '{}'", origin_text),
                                 SourceLocation { diag.files.empty() ? std::string() : diag.files[0], 0, 0 });
    else if (!apex_ns)
        diag.errors.emplace_back(ErrorCode::Parse, fmt::format("no NS records at the zone apex '{}'", origin_text),
                                 SourceLocation { diag.files.empty() ? std::string() : diag.files[0], 0, 0 });

    if (diag.errors.size() > errors_before) {
        if (diag.errors.size() > diag.max_errors)
            diag.errors.erase(diag.errors.begin() + static_cast<std::ptrdiff_t>(diag.max_errors), diag.errors.end());
        return fail(diag.errors[errors_before]);
    }
    // The slots' reservation was for one RRset per record; give back a
    // large excess (from many multi-record RRsets or duplicates).
    if (zone.slots_.capacity() > zone.slots_.size() + zone.slots_.size() / 4 + 1024)
        zone.slots_.shrink_to_fit();
    return zone;
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
