// Zones made from RRsets that already come in canonical order: the signer's
// output, a version read back from a snapshot, the difference of two
// versions. No sorting, no staging and no checks of content (ZoneBuilder
// does those for input): RRsets are appended straight into the arenas of
// the Zone they become.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <signet/base/error.h>
#include <signet/dns/zone.h>

namespace signet::dns {

// The canonical order of RRsets (RFC 4034 §6): by owner, then type, then
// for RRSIG the type covered.
std::strong_ordering compare_rrsets(RRsetView a, RRsetView b);

class ZoneAssembler {
public:
    explicit ZoneAssembler(Name origin);

    // Starts an RRset. RRsets must come in canonical order (owner, type,
    // covered type); finish() refuses a zone where they do not.
    void begin_rrset(NameView owner, RRType type, uint16_t covers, uint32_t ttl, Role role);
    // Appends one RR of the RRset begun last and returns where its RDATA
    // starts, for write_at(). RRs must come in canonical RDATA order.
    uint64_t add_rdata(std::string_view rdata);
    // Overwrites RDATA bytes already added (a signature made after its
    // place was taken); the size of the RR does not change.
    void write_at(uint64_t offset, std::string_view bytes);
    // Sorts the RRs of RRset `index` into canonical RDATA order in place
    // (for RRSIGs whose order was only known once they were signed).
    void sort_rrset(size_t index);

    size_t size() const { return zone_.slots_.size(); }
    // The zone so far, to read while nothing is appended (views into it
    // stay valid until the next append).
    const Zone& peek() const { return zone_; }
    std::string_view bytes_at(uint64_t offset, size_t size) const
    {
        return std::string_view(zone_.rdata_.data() + offset, size);
    }
    void reserve(size_t rrsets, size_t rdata_bytes);

    // The zone; fails when the RRsets were not in canonical order or an
    // RRset has no RR.
    Result<Zone> finish() &&;

private:
    Zone zone_;
    std::optional<uint32_t> last_owner_; // offset in the names arena
    std::optional<std::string> problem_; // the first RRset out of order, or empty
};

// What changed from one version of a zone to the next: the RRs only in
// `from` and the RRs only in `to`, RRSIGs, NSEC and NSEC3 included, the SOA
// too. Both zones have the same origin.
struct ZoneDiff {
    Zone removed;
    Zone added;
    size_t records() const { return removed.record_count() + added.record_count(); }
};

// The difference, or nothing when it would hold more than `limit` RRs (a
// version that changed so much is sent whole).
std::optional<ZoneDiff> diff_zones(const Zone& from, const Zone& to, size_t limit);

} // namespace signet::dns
