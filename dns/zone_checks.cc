#include "detail/zone_checks.h"

#include <algorithm>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include <signet/base/excerpt.h>

#include "detail/svcb.h"

namespace signet::dns::detail {

namespace {

// No DNS message exceeds 65535 octets (RFC 1035 §4.2.2).
constexpr uint64_t max_message_size = 65535;

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

// Whether the NS target `target` of RRset `ns_index` has an A or AAAA in
// the zone. Glue below the delegation that names it follows the delegation
// in canonical order and is looked for there; other targets, which many
// delegations of a large zone may share, are looked up once each.
bool has_address(const Zone& zone, size_t ns_index, NameView target, std::unordered_map<std::string_view, bool>& known)
{
    const NameView owner = zone[ns_index].owner();
    if (owner != zone.origin().view() && target.is_subdomain_of(owner)) {
        for (size_t j = zone.owner_end(ns_index); j < zone.size(); ++j) {
            RRsetView rrset = zone[j];
            if (!rrset.owner().is_subdomain_of(owner))
                break;
            if ((rrset.type() == RRType::A || rrset.type() == RRType::AAAA) && rrset.owner() == target)
                return true;
        }
        return false;
    }
    auto [it, added] = known.try_emplace(target.wire(), false);
    if (added)
        it->second = zone.find(target, RRType::A) || zone.find(target, RRType::AAAA);
    return it->second;
}

bool same_label(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; };
               return lower(x) == lower(y);
           });
}

// RFC 9461 §2: a DNS server's SVCB records are at "_dns.<name>", or at
// "_<port>._dns.<name>" for a port other than the default.
bool names_dns_server(NameView owner)
{
    if (owner.label_count() < 2)
        return false;
    std::string_view first = owner.first_label();
    if (same_label(first, "_dns"))
        return true;
    if (first.size() < 2 || first[0] != '_' || owner.label_count() < 3)
        return false;
    if (!std::all_of(first.begin() + 1, first.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return false;
    return same_label(owner.parent().first_label(), "_dns");
}

// Whether an alpn value names an HTTP version, which makes the endpoint a
// DNS-over-HTTPS one (RFC 9461 §5).
bool alpn_has_http(std::string_view alpn)
{
    bool http = false;
    for_each_alpn_id(alpn, [&](std::string_view id) { http |= id == "h2" || id == "h3" || id == "http/1.1"; });
    return http;
}

} // namespace

ZoneChecks::ZoneChecks(const Name& origin, Diagnostics& diagnostics)
    : origin_(origin)
    , diag_(diagnostics)
    , origin_text_(origin.to_text())
{
}

void ZoneChecks::error(RecordPlace where, std::string message)
{
    diag_.errors.emplace_back(ErrorCode::Parse, std::move(message), diag_.where(where.file, where.line));
}

void ZoneChecks::outside_zone(NameView owner, RecordPlace where)
{
    if (!diag_.full())
        error(where, fmt::format("'{}' is outside the zone '{}'", shown(owner), origin_text_));
}

void ZoneChecks::differing_ttl(NameView owner, uint16_t type, uint16_t covers, uint32_t ttl, uint32_t rrset_ttl,
                               RecordPlace where)
{
    if (static_cast<RRType>(type) == RRType::RRSIG)
        return;
    ++diag_.differing_ttls;
    diag_.warn(Error(ErrorCode::Parse,
                     fmt::format("TTL {} differs from TTL {} of the RRset {}; using {} (RFC 2181 §5.2)", ttl,
                                 rrset_ttl, rrset_text(owner, type, covers), rrset_ttl),
                     diag_.where(where.file, where.line)));
}

void ZoneChecks::duplicate(NameView owner, uint16_t type, uint16_t covers, RecordPlace where)
{
    diag_.warn(Error(ErrorCode::Parse, fmt::format("duplicate record in {} ignored", rrset_text(owner, type, covers)),
                     diag_.where(where.file, where.line)));
}

// The parts of owner(), which runs for every owner of the zone. They are
// split for reading only: always inlined, so that no owner pays for a call.
[[gnu::always_inline]] inline void ZoneChecks::check_sizes(NameView owner, std::span<const OwnerRRset> rrsets)
{
    for (const OwnerRRset& rrset : rrsets) {
        // Every answer carries a whole RRset (RFC 2181 §5). The smallest
        // answer: header, question, then each RR with its owner compressed
        // to a pointer, its type, class, TTL and length. An RRset that cannot
        // fit even that, before any RRSIG, could be neither served nor
        // transferred, and other servers refuse it.
        const uint64_t answer
            = 12 + owner.wire().size() + 4 + uint64_t(rrset.count) * (2 + 10) + rrset.rdata_octets;
        if (answer > max_message_size)
            error(rrset.where,
                  fmt::format("the RRset {} ({} records) is too large for a DNS message: answering a query for "
                              "it takes {} octets, above the limit of 65535 (RFC 1035 §4.2.2)",
                              rrset_text(owner, rrset.type, rrset.covers), rrset.count, answer));
    }
}

[[gnu::always_inline]] inline void
ZoneChecks::check_types(NameView owner, bool apex, std::span<const OwnerRRset> rrsets, std::optional<size_t>& soa,
                        bool& has_ns)
{
    bool has_ds = false;
    std::optional<size_t> cname;
    RRType other = RRType::A;
    bool has_other = false; // data that may not stand beside a CNAME
    for (size_t i = 0; i < rrsets.size(); ++i) {
        const OwnerRRset& rrset = rrsets[i];
        auto type = static_cast<RRType>(rrset.type);
        if (type == RRType::NS)
            has_ns = true;
        else if (type == RRType::DS)
            has_ds = true;
        else if (type == RRType::CNAME) {
            cname = i;
            if (rrset.count > 1)
                error(rrset.where, fmt::format("more than one CNAME record at '{}'", shown(owner)));
        } else if (type == RRType::DNAME && rrset.count > 1) {
            error(rrset.where, fmt::format("more than one DNAME record at '{}'", shown(owner)));
        } else if (type == RRType::SOA) {
            if (!apex)
                error(rrset.where,
                      fmt::format("SOA record at '{}', which is not the zone apex '{}'", shown(owner), origin_text_));
            else if (rrset.count > 1)
                error(rrset.where, "more than one SOA record at the zone apex");
            else {
                have_soa_ = true;
                soa = i;
            }
        }
        // RFC 4035 §2.5: RRSIG and NSEC may stand beside a CNAME.
        if (type != RRType::CNAME && type != RRType::RRSIG && type != RRType::NSEC) {
            if (!has_other)
                other = type;
            has_other = true;
        }
    }
    if (cname && has_other)
        error(rrsets[*cname].where, fmt::format("CNAME at '{}' beside other data ({}); RFC 1034 §3.6.2 forbids it",
                                                shown(owner), type_to_text(other)));
    if (has_ds && (apex || !has_ns)) {
        for (const OwnerRRset& rrset : rrsets) {
            if (static_cast<RRType>(rrset.type) == RRType::DS)
                error(rrset.where, apex ? std::string("DS record at the zone apex: it belongs in the parent zone")
                                        : fmt::format("DS record at '{}', which is not a delegation (no NS)",
                                                      shown(owner)));
        }
    }
}

[[gnu::always_inline]] inline void
ZoneChecks::assign_roles(NameView owner, bool apex, bool has_ns, std::span<OwnerRRset> rrsets)
{
    if (cut_ && !owner.is_subdomain_of(*cut_))
        cut_.reset();
    if (dname_ && !owner.is_subdomain_of(*dname_))
        dname_.reset();
    const bool below_dname = dname_ && owner != *dname_;
    const bool below_cut = cut_.has_value(); // strictly below: the cut itself is handled next
    const bool at_cut = !below_cut && !apex && has_ns;
    for (OwnerRRset& rrset : rrsets) {
        auto type = static_cast<RRType>(rrset.type);
        bool address = type == RRType::A || type == RRType::AAAA;
        Role role = Role::Authoritative;
        // The NSEC3 chain lives at hashed names one label below the apex
        // (RFC 5155 §3): not data, and not occluded by a DNAME at the apex.
        bool nsec3_chain = type == RRType::NSEC3
            || (type == RRType::RRSIG && static_cast<RRType>(rrset.covers) == RRType::NSEC3);
        if (below_dname && !nsec3_chain)
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
        rrset.role = role;
        // Kept aside, so that they follow the warnings about the RRsets
        // themselves (TTLs, duplicates) as when these were two passes.
        if (role == Role::Occluded && !diag_.full()
            && diag_.warnings.size() + late_warnings_.size() < diag_.max_warnings)
            late_warnings_.emplace_back(
                ErrorCode::Parse,
                fmt::format("{} is occluded by the {} at '{}' and will not be served or signed",
                            rrset_text(owner, rrset.type, rrset.covers), below_dname ? "DNAME" : "delegation",
                            below_dname ? shown(*dname_) : (cut_ ? shown(*cut_) : shown(owner))),
                diag_.where(rrset.where.file, rrset.where.line));
    }
    if (at_cut)
        cut_ = owner;
    if (!dname_ && !below_cut) {
        for (const OwnerRRset& rrset : rrsets) {
            if (static_cast<RRType>(rrset.type) == RRType::DNAME)
                dname_ = owner;
        }
    }
}

std::optional<size_t> ZoneChecks::owner(NameView owner, std::span<OwnerRRset> rrsets)
{
    const bool apex = owner == origin_;
    std::optional<size_t> soa;
    bool has_ns = false;
    check_sizes(owner, rrsets);
    check_types(owner, apex, rrsets, soa, has_ns);
    if (apex)
        apex_ns_ = has_ns;
    assign_roles(owner, apex, has_ns, rrsets);
    return soa;
}

void ZoneChecks::ds_rrset(NameView owner, RRsetView rrset, RecordPlace where)
{
    for (std::string_view rdata : rrset.rdatas()) {
        if (rdata.size() < 4)
            continue;
        const unsigned tag = (static_cast<uint8_t>(rdata[0]) << 8) | static_cast<uint8_t>(rdata[1]);
        const unsigned algorithm = static_cast<uint8_t>(rdata[2]), digest = static_cast<uint8_t>(rdata[3]);
        std::string_view why;
        // RFC 8624 §3.1 and §3.3: MUST NOT for DNSSEC signing / delegation.
        if (digest == 1)
            why = "digest type 1 (SHA-1), which RFC 8624 §3.3 says not to use: publish a SHA-256 DS (type 2)";
        else if (digest == 3)
            why = "digest type 3 (GOST R 34.11-94), which RFC 8624 §3.3 says not to use";
        else if (algorithm == 1 || algorithm == 3 || algorithm == 6 || algorithm == 12)
            why = "a key algorithm that RFC 8624 §3.1 says not to sign with";
        else if (algorithm == 5 || algorithm == 7)
            why = "a SHA-1 key algorithm, which RFC 8624 §3.1 does not recommend";
        if (!why.empty())
            diag_.warn(Error(ErrorCode::Parse, fmt::format("DS {} {} {} of {} uses {}", tag, algorithm, digest,
                                                           shown(owner), why),
                             diag_.where(where.file, where.line)));
    }
}

void ZoneChecks::ipseckey_rrset(NameView owner, RRsetView rrset, RecordPlace where)
{
    for (std::string_view rdata : rrset.rdatas()) {
        // Precedence, gateway type, algorithm, the gateway, then the key.
        size_t end = 3;
        switch (rdata.size() > 1 ? static_cast<uint8_t>(rdata[1]) : 0xff) {
        case 0: break;
        case 1: end += 4; break;
        case 2: end += 16; break;
        case 3:
            if (!NameView::from_wire(rdata, end))
                continue;
            break;
        default: continue;
        }
        if (end == rdata.size())
            diag_.warn(Error(ErrorCode::Parse,
                             fmt::format("IPSECKEY of {} has no public key: RFC 4025 §2.6 allows it, but BIND 9.18 "
                                         "refuses to load it in any form, so a BIND secondary will not load this zone",
                                         shown(owner)),
                             diag_.where(where.file, where.line)));
    }
}

void ZoneChecks::svcb_rrset(NameView owner, RRsetView rrset, RecordPlace where)
{
    const std::string type = type_to_text(rrset.type());
    const bool dns_server = rrset.type() == RRType::SVCB && names_dns_server(owner);
    auto warn = [&](std::string message) {
        diag_.warn(Error(ErrorCode::Parse, std::move(message), diag_.where(where.file, where.line)));
    };
    bool alias = false, service = false;
    for (std::string_view rdata : rrset.rdatas()) {
        const uint16_t priority = svcb_priority(rdata);
        auto record = [&] {
            return fmt::format("{} {} {} of {}", type, priority, shown(svcb_target(rdata)), shown(owner));
        };
        if (priority == 0) {
            alias = true;
            if (svcb_has_params(rdata))
                warn(fmt::format("{} is in AliasMode but has SvcParams, which clients ignore (RFC 9460 §2.4.2)",
                                 record()));
            continue;
        }
        service = true;
        if (!dns_server)
            continue;
        auto alpn = svcb_param(rdata, key_alpn);
        if (!alpn) {
            error(where, fmt::format("{} has no alpn: a DNS server has no default protocol, so its ServiceMode "
                                     "records must list theirs (RFC 9461 §4.1)",
                                     record()));
            continue;
        }
        if (alpn_has_http(*alpn) && !svcb_param(rdata, key_dohpath))
            error(where, fmt::format("{} lists HTTP in its alpn, so it is a DNS-over-HTTPS endpoint, which must "
                                     "have a dohpath (RFC 9461 §5)",
                                     record()));
        if (svcb_param(rdata, key_no_default_alpn))
            warn(fmt::format("{} has no-default-alpn, which does not apply to DNS servers: they have no default "
                             "protocol (RFC 9461 §4.1)",
                             record()));
    }
    if (alias && service)
        warn(fmt::format("{} {} mixes AliasMode and ServiceMode records; clients ignore the ServiceMode ones "
                         "(RFC 9460 §2.4.2)",
                         shown(owner), type));
}

void ZoneChecks::finish(const Zone& zone)
{
    for (auto& warning : late_warnings_)
        diag_.warn(std::move(warning));
    late_warnings_.clear();
    std::unordered_map<std::string_view, bool> known; // in-zone targets outside their delegation, by wire form
    for (const NsRRset& ns : ns_rrsets_) {
        RRsetView rrset = zone[ns.index];
        for (std::string_view rdata : rrset.rdatas()) {
            auto target = NameView::from_valid_wire(rdata);
            if (!target.is_subdomain_of(origin_) || has_address(zone, ns.index, target, known))
                continue;
            diag_.warn(Error(ErrorCode::Parse,
                             fmt::format("NS {} of {} is inside the zone but has no A or AAAA record in it: "
                                         "resolvers cannot reach that server (glue required)",
                                         shown(target), shown(rrset.owner())),
                             diag_.where(ns.where.file, ns.where.line)));
        }
    }
    ns_rrsets_.clear();
    const SourceLocation zone_file { diag_.files.empty() ? std::string() : diag_.files[0], 0, 0 };
    if (!have_soa_)
        diag_.errors.emplace_back(ErrorCode::Parse, fmt::format("no SOA record at the zone apex '{}'", origin_text_),
                                  zone_file);
    else if (!apex_ns_)
        diag_.errors.emplace_back(ErrorCode::Parse, fmt::format("no NS records at the zone apex '{}'", origin_text_),
                                  zone_file);
}

} // namespace signet::dns::detail
