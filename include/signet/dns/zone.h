// The zone model: every RRset of one zone in canonical order (RFC 4034 §6),
// stored compactly in wire form, with what each RRset is to DNSSEC:
// authoritative data, a delegation, glue, or data occluded by a cut or DNAME.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <signet/base/error.h>
#include <signet/dns/name.h>
#include <signet/dns/rdata.h>
#include <signet/dns/zone_reader.h>

namespace signet::dns {

// An RRset: RRs of one owner, class IN and type. RRSIGs are grouped by the
// type they cover (`covers`), since each such group is what one RRset's
// signatures are; for other types `covers` is 0. RDATA is kept in canonical
// RDATA order, without duplicates.
struct RRset {
    Name owner;
    RRType type = RRType::A;
    uint16_t covers = 0;
    uint32_t ttl = 0;
    std::vector<Bytes> rdatas;
};

enum class Role : uint8_t {
    Authoritative, // signed
    Delegation, // NS at a zone cut: not signed
    Glue, // addresses at or below a cut: not signed, kept
    Occluded, // other data below a cut or a DNAME: not signed, kept, warned about
};

std::string_view role_to_text(Role role);

class Zone {
public:
    const Name& origin() const { return origin_; }
    std::span<const RRset> rrsets() const { return rrsets_; }
    Role role(size_t index) const { return roles_[index]; }
    size_t record_count() const;

    // Index of the first RRset at or after `owner` in canonical order.
    size_t lower_bound(const Name& owner) const;
    // The RRset of `owner` and `type` (`covers` for RRSIG), or nullptr.
    const RRset* find(const Name& owner, RRType type, uint16_t covers = 0) const;
    const RRset& soa() const;
    // SOA serial (RFC 1035 §3.3.13).
    uint32_t serial() const;

    // Delegation points (owners of NS other than the apex), canonical order.
    std::vector<Name> cuts() const;
    // Names that own no RRset but have descendants that do (RFC 4592 §2.2.2),
    // in canonical order.
    std::vector<Name> empty_non_terminals() const;

private:
    friend class ZoneBuilder;
    Name origin_;
    std::vector<RRset> rrsets_;
    std::vector<Role> roles_;
    size_t soa_index_ = 0;
};

// Collects records (from the reader or elsewhere) and checks them into a Zone:
// exactly one SOA at the apex; NS at the apex; nothing outside the zone; no
// CNAME beside other data; DS only at delegations; duplicates merged; an
// RRset's differing TTLs reported and made one (RFC 2181 §5.2).
class ZoneBuilder {
public:
    explicit ZoneBuilder(Name origin);

    void add(Record&& record);
    RecordSink sink();
    // Uses `diagnostics` for file names and to report errors and warnings.
    // Fails with the first error when there is any.
    Result<Zone> build(Diagnostics& diagnostics) &&;

private:
    Name origin_;
    std::vector<Record> records_;
};

// Reads and checks a zone file. On failure the first error is returned and
// `diagnostics.errors` holds the first few.
Result<Zone> load_zone_file(const std::filesystem::path& path, const Name& origin, Diagnostics& diagnostics);
Result<Zone> load_zone_text(std::string_view text, const Name& origin, Diagnostics& diagnostics,
                            std::string label = "<text>");

} // namespace signet::dns
