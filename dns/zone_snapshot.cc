#include <signet/dns/zone_snapshot.h>

#include <signet/dns/zone_assembler.h>

#include <cstring>

#include <fmt/format.h>

namespace signet::dns {

namespace {

constexpr std::string_view magic = "SGZONE01";
constexpr uint32_t byte_order = 0x01020304;

struct Header {
    char magic[8];
    uint32_t byte_order;
    uint32_t slot_size;
    uint64_t names;
    uint64_t slots;
    uint64_t rdata;
    uint64_t soa_index;
    uint64_t records;
    uint64_t owners;
    uint64_t origin;
};

Error damaged(std::string_view what) { return Error(ErrorCode::Parse, fmt::format("zone snapshot: {}", what)); }

template <typename T>
std::string_view bytes_of(const std::vector<T>& v)
{
    return std::string_view(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

} // namespace

Result<void> ZoneSnapshot::write(const Zone& zone, const Sink& sink)
{
    Header header {};
    std::memcpy(header.magic, magic.data(), sizeof header.magic);
    header.byte_order = byte_order;
    header.slot_size = sizeof(Zone::Slot);
    header.names = zone.names_.size();
    header.slots = zone.slots_.size();
    header.rdata = zone.rdata_.size();
    // A zone without an SOA (the records a version removed, say) says so.
    const bool has_soa = zone.soa_index_ < zone.slots_.size() && zone.rrset(zone.soa_index_).type() == RRType::SOA
                         && zone.rrset(zone.soa_index_).owner() == zone.origin_;
    header.soa_index = has_soa ? zone.soa_index_ : zone.slots_.size();
    header.records = zone.record_count_;
    header.owners = zone.owner_count_;
    header.origin = zone.origin_.wire().size();
    SIGNET_TRY(sink(std::string_view(reinterpret_cast<const char*>(&header), sizeof header)));
    SIGNET_TRY(sink(zone.origin_.wire()));
    SIGNET_TRY(sink(bytes_of(zone.names_)));
    SIGNET_TRY(sink(bytes_of(zone.slots_)));
    return sink(bytes_of(zone.rdata_));
}

Result<Zone> ZoneSnapshot::read(const Source& source, uint64_t available, const Name& origin)
{
    Header header;
    if (available < sizeof header)
        return fail(damaged("shorter than its header"));
    SIGNET_TRY(source(reinterpret_cast<char*>(&header), sizeof header));
    if (std::string_view(header.magic, sizeof header.magic) != magic || header.byte_order != byte_order
        || header.slot_size != sizeof(Zone::Slot))
        return fail(damaged("not a snapshot of this program on this machine"));
    const uint64_t body = available - sizeof header;
    if (header.origin > 255 || header.names > body || header.rdata > body || header.slots > body / sizeof(Zone::Slot)
        || header.origin + header.names + header.rdata + header.slots * sizeof(Zone::Slot) > body)
        return fail(damaged("sizes larger than the file"));

    Zone zone;
    std::string origin_wire(header.origin, '\0');
    SIGNET_TRY(source(origin_wire.data(), origin_wire.size()));
    if (origin_wire != origin.wire())
        return fail(damaged(fmt::format("of another zone, not '{}'", origin.to_text())));
    zone.origin_ = origin;
    zone.names_.resize(header.names);
    zone.slots_.resize(header.slots);
    zone.rdata_.resize(header.rdata);
    SIGNET_TRY(source(zone.names_.data(), zone.names_.size()));
    SIGNET_TRY(source(reinterpret_cast<char*>(zone.slots_.data()), zone.slots_.size() * sizeof(Zone::Slot)));
    SIGNET_TRY(source(zone.rdata_.data(), zone.rdata_.size()));

    // Every owner name: a length octet, then a valid name of that length.
    uint64_t owners = 0;
    for (uint64_t at = 0; at < zone.names_.size();) {
        const size_t length = static_cast<uint8_t>(zone.names_[at]);
        if (at + 1 + length > zone.names_.size())
            return fail(damaged("an owner name runs past its arena"));
        std::string_view wire(zone.names_.data() + at + 1, length);
        size_t offset = 0;
        auto name = NameView::from_wire(wire, offset);
        if (!name || offset != length)
            return fail(damaged("an owner name is not a valid name"));
        at += 1 + length;
        ++owners;
    }
    // Every slot: its owner the previous slot's or the next name; its RDATA
    // where the previous ended, walked RR by RR to where the next begins.
    uint64_t next_name = 0, rdata_at = 0, records = 0;
    for (size_t i = 0; i < zone.slots_.size(); ++i) {
        const Zone::Slot& slot = zone.slots_[i];
        if (i == 0 || slot.owner != zone.slots_[i - 1].owner) {
            if (slot.owner != next_name || next_name >= zone.names_.size())
                return fail(damaged("RRsets out of step with their owner names"));
            next_name += 1 + static_cast<uint8_t>(zone.names_[next_name]);
        }
        if (static_cast<uint8_t>(slot.role) > static_cast<uint8_t>(Role::Occluded) || slot.count == 0
            || slot.rdata() != rdata_at)
            return fail(damaged("an RRset slot is damaged"));
        const uint64_t end = zone.rdata_end(i);
        if (end > zone.rdata_.size() || end < rdata_at)
            return fail(damaged("an RRset's RDATA lies outside its arena"));
        for (uint32_t rr = 0; rr < slot.count; ++rr) {
            if (rdata_at + 2 > end)
                return fail(damaged("RDATA runs past its RRset"));
            rdata_at += 2 + ((static_cast<uint64_t>(static_cast<uint8_t>(zone.rdata_[rdata_at])) << 8)
                             | static_cast<uint8_t>(zone.rdata_[rdata_at + 1]));
        }
        if (rdata_at != end)
            return fail(damaged("RDATA out of step with its RRsets"));
        records += slot.count;
        if (i > 0 && compare_rrsets(zone.rrset(i - 1), zone.rrset(i)) >= 0)
            return fail(damaged("RRsets out of canonical order"));
    }
    if (next_name != zone.names_.size() || rdata_at != zone.rdata_.size() || records != header.records
        || owners != header.owners)
        return fail(damaged("counts do not match the content"));
    if (header.soa_index > zone.slots_.size()
        || (header.soa_index < zone.slots_.size()
            && (zone.rrset(header.soa_index).type() != RRType::SOA || zone.rrset(header.soa_index).owner() != origin)))
        return fail(damaged("the SOA is not where the header says"));
    zone.soa_index_ = header.soa_index < zone.slots_.size() ? header.soa_index : 0;
    zone.record_count_ = records;
    zone.owner_count_ = owners;
    return zone;
}

Result<Zone> ZoneSnapshot::read(std::string_view bytes, const Name& origin)
{
    size_t at = 0;
    auto source = [&](char* into, size_t size) -> Result<void> {
        if (size > bytes.size() - at)
            return fail(damaged("cut short"));
        std::memcpy(into, bytes.data() + at, size);
        at += size;
        return {};
    };
    return read(source, bytes.size(), origin);
}

Result<std::string> ZoneSnapshot::to_bytes(const Zone& zone)
{
    std::string out;
    SIGNET_TRY(write(zone, [&](std::string_view bytes) -> Result<void> {
        out += bytes;
        return {};
    }));
    return out;
}

} // namespace signet::dns
