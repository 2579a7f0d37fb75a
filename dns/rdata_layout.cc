// Each RDATA layout, written once. The engine in rdata_text.cc (text → wire)
// and rdata_wire.cc (checks, wire → text, canonical form) walks these lists;
// LOC and SVCB/HTTPS point at their own codecs instead.
#include <algorithm>
#include <array>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "detail/rdata_internal.h"

namespace signet::dns::detail {

namespace {

using enum FieldKind;

// RFC 1035 §3.4.1
constexpr Field a_fields[] = { { IPv4, "address" } };
// RFC 3596 §2.2
constexpr Field aaaa_fields[] = { { IPv6, "address" } };
// RFC 1035 §3.3.11
constexpr Field ns_fields[] = { { Name, "nsdname" } };
// RFC 1035 §3.3.1
constexpr Field cname_fields[] = { { Name, "cname" } };
// RFC 6672 §2.1
constexpr Field dname_fields[] = { { Name, "target" } };
// RFC 1035 §3.3.12
constexpr Field ptr_fields[] = { { Name, "ptrdname" } };
// RFC 1035 §3.3.13. The four timers are intervals, so TTL units are allowed
// as BIND does; the serial is a plain number (RFC 1982 arithmetic applies).
constexpr Field soa_fields[] = {
    { Name, "mname" }, { Name, "rname" }, { U32, "serial" }, { Ttl32, "refresh" },
    { Ttl32, "retry" }, { Ttl32, "expire" }, { Ttl32, "minimum" },
};
// RFC 1035 §3.3.2
constexpr Field hinfo_fields[] = { { CharString, "cpu" }, { CharString, "os" } };
// RFC 1035 §3.3.9
constexpr Field mx_fields[] = { { U16, "preference" }, { Name, "exchange" } };
// RFC 1035 §3.3.14, RFC 7208 §3.3
constexpr Field txt_fields[] = { { CharStrings, "text" } };
// RFC 1183 §2.2
constexpr Field rp_fields[] = { { Name, "mbox-dname" }, { Name, "txt-dname" } };
// RFC 2782
constexpr Field srv_fields[] = { { U16, "priority" }, { U16, "weight" }, { U16, "port" }, { Name, "target" } };
// RFC 3403 §4.1
constexpr Field naptr_fields[] = {
    { U16, "order" }, { U16, "preference" }, { CharString, "flags" },
    { CharString, "services" }, { CharString, "regexp" }, { Name, "replacement" },
};
// RFC 4398 §2
constexpr Field cert_fields[] = {
    { CertType, "type" }, { U16, "key tag" }, { Algorithm, "algorithm" }, { Base64Rest, "certificate" },
};
// RFC 4034 §5.1 (and RFC 7344 §3.1 for CDS)
constexpr Field ds_fields[] = {
    { U16, "key tag" }, { Algorithm, "algorithm" }, { U8, "digest type" }, { HexRest, "digest" },
};
// RFC 4255 §3.1
constexpr Field sshfp_fields[] = { { U8, "algorithm" }, { U8, "fingerprint type" }, { HexRest, "fingerprint" } };
// RFC 4034 §3.1
constexpr Field rrsig_fields[] = {
    { TypeCovered, "type covered" }, { Algorithm, "algorithm" }, { U8, "labels" },
    { Ttl32, "original TTL" }, { Time32, "signature expiration" }, { Time32, "signature inception" },
    { U16, "key tag" }, { Name, "signer's name" }, { Base64Rest, "signature" },
};
// RFC 4034 §4.1
constexpr Field nsec_fields[] = { { Name, "next domain name" }, { TypeBitmapRest, "type bit maps" } };
// RFC 4034 §2.1 (and RFC 7344 §3.2 for CDNSKEY)
constexpr Field dnskey_fields[] = {
    { U16, "flags" }, { U8, "protocol" }, { Algorithm, "algorithm" }, { Base64Rest, "public key" },
};
// RFC 5155 §3.2
constexpr Field nsec3_fields[] = {
    { U8, "hash algorithm" }, { U8, "flags" }, { U16, "iterations" }, { Salt, "salt" },
    { Base32HexNext, "next hashed owner name" }, { TypeBitmapRest, "type bit maps" },
};
// RFC 5155 §4.2
constexpr Field nsec3param_fields[] = {
    { U8, "hash algorithm" }, { U8, "flags" }, { U16, "iterations" }, { Salt, "salt" },
};
// RFC 6698 §2.1 (and RFC 8162 §2 for SMIMEA)
constexpr Field tlsa_fields[] = {
    { U8, "certificate usage" }, { U8, "selector" }, { U8, "matching type" },
    { HexRest, "certificate association data" },
};
// RFC 7929 §2.1
constexpr Field openpgpkey_fields[] = { { Base64Rest, "public key" } };
// RFC 8976 §2
constexpr Field zonemd_fields[] = {
    { U32, "serial" }, { U8, "scheme" }, { U8, "hash algorithm" }, { HexRest, "digest" },
};
// RFC 7553 §4
constexpr Field uri_fields[] = { { U16, "priority" }, { U16, "weight" }, { StringRest, "target" } };
// RFC 8659 §4.1
constexpr Field caa_fields[] = { { U8, "flags" }, { CaaTag, "tag" }, { StringRest, "value" } };

// RFC 1035 §3.3: MD, MF, MB, MG, MR
constexpr Field mailbox_fields[] = { { Name, "mailbox" } };
// RFC 1035 §3.3.7
constexpr Field minfo_fields[] = { { Name, "rmailbx" }, { Name, "emailbx" } };
// AFSDB (RFC 1183 §1), RT (RFC 1183 §3.3), KX (RFC 2230 §3.1)
constexpr Field preference_host_fields[] = { { U16, "preference" }, { Name, "host" } };
// RFC 1183 §3.1
constexpr Field x25_fields[] = { { X25Address, "PSDN address" } };
// RFC 1183 §3.2
constexpr Field isdn_fields[] = { { CharString, "ISDN address" }, { OptCharString, "subaddress" } };
// RFC 1706 §5
constexpr Field nsap_fields[] = { { NsapRest, "NSAP" } };
// RFC 1706 §6
constexpr Field nsap_ptr_fields[] = { { Name, "owner" } };
// RFC 2163 §4
constexpr Field px_fields[] = { { U16, "preference" }, { Name, "map822" }, { Name, "mapx400" } };
// RFC 1712 §3
constexpr Field gpos_fields[] = { { Decimal, "longitude" }, { Decimal, "latitude" }, { Decimal, "altitude" } };
// KEY (RFC 2535 §3.1, RFC 3445): the key is absent when the flags say "no key"
constexpr Field key_fields[] = {
    { U16, "flags" }, { U8, "protocol" }, { Algorithm, "algorithm" }, { Base64OptRest, "public key" },
};
// EID, NIMLOC: Nimrod (draft-ietf-nimrod-dns-02), opaque hex
constexpr Field nimrod_fields[] = { { HexRest, "locator" } };
// ATM Forum AF-DANS-0152.000
constexpr Field atma_fields[] = { { AtmaRest, "address" } };
// draft-eastlake-kitchen-sink-02 §2
constexpr Field sink_fields[] = {
    { U8, "meaning" }, { U8, "coding" }, { U8, "subcoding" }, { Base64OptRest, "data" },
};
// RFC 4025 §2
constexpr Field ipseckey_fields[] = {
    { U8, "precedence" }, { U8, "gateway type" }, { Algorithm, "algorithm" }, { Gateway, "gateway" },
    { Base64OptRest, "public key" },
};
// RFC 4701 §3
constexpr Field dhcid_fields[] = { { Base64Rest, "digest" } };
// RFC 7477 §2
constexpr Field csync_fields[] = { { U32, "SOA serial" }, { U16, "flags" }, { TypeBitmapRest, "type bit map" } };
// RFC 9859 §2
constexpr Field dsync_fields[] = {
    { TypeCovered, "RRtype" }, { DsyncScheme, "scheme" }, { U16, "port" }, { Name, "target" },
};
// RFC 6742 §2.1 (NID, L64), §2.2 (L32), §2.4 (LP)
constexpr Field nid_fields[] = { { U16, "preference" }, { Locator64, "node ID" } };
constexpr Field l32_fields[] = { { U16, "preference" }, { IPv4, "locator32" } };
constexpr Field l64_fields[] = { { U16, "preference" }, { Locator64, "locator64" } };
constexpr Field lp_fields[] = { { U16, "preference" }, { Name, "FQDN" } };
// RFC 7043 §3, §4
constexpr Field eui48_fields[] = { { Eui48, "address" } };
constexpr Field eui64_fields[] = { { Eui64, "address" } };
// TALINK: draft-ietf-dnsop-trust-history-02 §4
constexpr Field talink_fields[] = { { Name, "previous name" }, { Name, "next name" } };
// DOA: draft-durand-doa-over-dns-03 §3
constexpr Field doa_fields[] = {
    { U32, "enterprise" }, { U32, "type" }, { U8, "location" }, { CharString, "media type" },
    { Base64DashRest, "data" },
};
// RFC 8777 §4.2
constexpr Field amtrelay_fields[] = { { U8, "precedence" }, { DType, "discovery optional, type" }, { Gateway, "relay" } };

// RFC 4034 §5.1.4 with RFC 3658, RFC 4509, RFC 5933 and RFC 6605: the digest
// length follows from its type. Unknown digest types, and type 0 of the CDS
// delete form (RFC 8078 §4), take any length.
Result<void> check_ds_digest(std::string_view wire)
{
    size_t expected = 0;
    switch (get_u8(wire, 3)) {
    case 1: expected = 20; break; // SHA-1
    case 2: expected = 32; break; // SHA-256
    case 3: expected = 32; break; // GOST R 34.11-94
    case 4: expected = 48; break; // SHA-384
    default: return {};
    }
    size_t actual = wire.size() - 4;
    if (actual != expected)
        return fail(parse_error(fmt::format("digest of type {} must be {} octets, not {}", get_u8(wire, 3),
                                            expected, actual)));
    return {};
}

// RFC 8976 §2.2.4: a digest is never shorter than 12 octets, and SHA-384 and
// SHA-512 digests are not truncated.
Result<void> check_zonemd_digest(std::string_view wire)
{
    size_t actual = wire.size() - 6;
    size_t expected = 0;
    switch (get_u8(wire, 5)) {
    case 1: expected = 48; break; // SHA-384
    case 2: expected = 64; break; // SHA-512
    default:
        if (actual < 12)
            return fail(parse_error(fmt::format("ZONEMD digest of {} octets is shorter than 12", actual)));
        return {};
    }
    if (actual != expected)
        return fail(parse_error(fmt::format("ZONEMD digest for hash algorithm {} must be {} octets, not {}",
                                            get_u8(wire, 5), expected, actual)));
    return {};
}

// RFC 2535 §3.1.2 (kept by RFC 3445 §3): a KEY without key data is one
// whose flags say so, both bits of "no key" (0xC000) set.
Result<void> check_key(std::string_view wire)
{
    if (wire.size() == 4 && (get_u16(wire, 0) & 0xc000) != 0xc000)
        return fail(parse_error("KEY without a public key must have the no-key flags 0xC000 (RFC 2535 §3.1.2)"));
    return {};
}

// RFC 1712 §3 gives the first field, which it calls LONGITUDE, the range
// -90..90 (north positive) and the second, LATITUDE, -180..180 (east
// positive): the names are swapped, the ranges are what readers check. The
// text of each is a decimal number (checked as a field).
Result<void> check_gpos(std::string_view wire)
{
    size_t pos = 0;
    for (double limit : { 90.0, 180.0 }) {
        size_t length = get_u8(wire, pos);
        std::string text(wire.substr(pos + 1, length));
        double value = std::strtod(text.c_str(), nullptr);
        if (value < -limit || value > limit)
            return fail(parse_error(fmt::format("GPOS {} '{}' is outside -{} to {} (RFC 1712 §3)",
                                                limit == 90.0 ? "longitude" : "latitude", text, limit, limit)));
        pos += 1 + length;
    }
    return {};
}

// Whether an embedded name is lower-cased in canonical form (RFC 4034 §6.2
// item 3, as RFC 6840 §5.1 amended it: NSEC no longer is).
constexpr bool lower = true;
constexpr bool keep = false;

constexpr Layout a_layout { a_fields, keep };
constexpr Layout aaaa_layout { aaaa_fields, keep };
constexpr Layout ns_layout { ns_fields, lower };
constexpr Layout cname_layout { cname_fields, lower };
constexpr Layout dname_layout { dname_fields, lower };
constexpr Layout ptr_layout { ptr_fields, lower };
constexpr Layout soa_layout { soa_fields, lower };
constexpr Layout hinfo_layout { hinfo_fields, keep };
constexpr Layout mx_layout { mx_fields, lower };
constexpr Layout txt_layout { txt_fields, keep };
constexpr Layout rp_layout { rp_fields, lower };
constexpr Layout srv_layout { srv_fields, lower };
constexpr Layout naptr_layout { naptr_fields, lower };
constexpr Layout cert_layout { cert_fields, keep };
constexpr Layout ds_layout { ds_fields, keep, check_ds_digest };
constexpr Layout sshfp_layout { sshfp_fields, keep };
constexpr Layout rrsig_layout { rrsig_fields, lower };
constexpr Layout nsec_layout { nsec_fields, keep };
constexpr Layout dnskey_layout { dnskey_fields, keep };
constexpr Layout nsec3_layout { nsec3_fields, keep };
constexpr Layout nsec3param_layout { nsec3param_fields, keep };
constexpr Layout tlsa_layout { tlsa_fields, keep };
constexpr Layout openpgpkey_layout { openpgpkey_fields, keep };
constexpr Layout zonemd_layout { zonemd_fields, keep, check_zonemd_digest };
constexpr Layout uri_layout { uri_fields, keep };
constexpr Layout caa_layout { caa_fields, keep };
constexpr Layout loc_layout { {}, keep, nullptr, &loc_codec };
constexpr Layout svcb_layout { {}, keep, nullptr, &svcb_codec };
constexpr Layout mailbox_layout { mailbox_fields, lower };
constexpr Layout minfo_layout { minfo_fields, lower };
constexpr Layout preference_host_layout { preference_host_fields, lower };
constexpr Layout x25_layout { x25_fields, keep };
constexpr Layout isdn_layout { isdn_fields, keep };
constexpr Layout nsap_layout { nsap_fields, keep };
constexpr Layout nsap_ptr_layout { nsap_ptr_fields, keep };
constexpr Layout px_layout { px_fields, lower };
constexpr Layout gpos_layout { gpos_fields, keep, check_gpos };
constexpr Layout key_layout { key_fields, keep, check_key };
constexpr Layout nimrod_layout { nimrod_fields, keep };
constexpr Layout atma_layout { atma_fields, keep };
constexpr Layout sink_layout { sink_fields, keep };
constexpr Layout ipseckey_layout { ipseckey_fields, keep };
constexpr Layout dhcid_layout { dhcid_fields, keep };
constexpr Layout csync_layout { csync_fields, keep };
constexpr Layout dsync_layout { dsync_fields, keep };
constexpr Layout nid_layout { nid_fields, keep };
constexpr Layout l32_layout { l32_fields, keep };
constexpr Layout l64_layout { l64_fields, keep };
constexpr Layout lp_layout { lp_fields, keep };
constexpr Layout eui48_layout { eui48_fields, keep };
constexpr Layout eui64_layout { eui64_fields, keep };
constexpr Layout talink_layout { talink_fields, keep };
constexpr Layout doa_layout { doa_fields, keep };
constexpr Layout amtrelay_layout { amtrelay_fields, keep };
// A6 keeps its prefix name's case: RFC 4034 §6.2 lists it, but RFC 6563
// made A6 historic and validators differ; Signet leaves it as written.
constexpr Layout a6_layout { {}, keep, nullptr, &a6_codec };
constexpr Layout apl_layout { {}, keep, nullptr, &apl_codec };
constexpr Layout hip_layout { {}, keep, nullptr, &hip_codec };
constexpr Layout wks_layout { {}, keep, nullptr, &wks_codec };

struct Entry {
    RRType type;
    const Layout* layout;
};

constexpr Entry entries[] = {
    { RRType::A, &a_layout },
    { RRType::NS, &ns_layout },
    { RRType::MD, &mailbox_layout },
    { RRType::MF, &mailbox_layout },
    { RRType::CNAME, &cname_layout },
    { RRType::SOA, &soa_layout },
    { RRType::MB, &mailbox_layout },
    { RRType::MG, &mailbox_layout },
    { RRType::MR, &mailbox_layout },
    { RRType::WKS, &wks_layout },
    { RRType::PTR, &ptr_layout },
    { RRType::HINFO, &hinfo_layout },
    { RRType::MINFO, &minfo_layout },
    { RRType::MX, &mx_layout },
    { RRType::TXT, &txt_layout },
    { RRType::RP, &rp_layout },
    { RRType::AFSDB, &preference_host_layout },
    { RRType::X25, &x25_layout },
    { RRType::ISDN, &isdn_layout },
    { RRType::RT, &preference_host_layout },
    { RRType::NSAP, &nsap_layout },
    { RRType::NSAP_PTR, &nsap_ptr_layout },
    { RRType::SIG, &rrsig_layout }, // RFC 2535 §4.1: RRSIG's layout
    { RRType::KEY, &key_layout },
    { RRType::PX, &px_layout },
    { RRType::GPOS, &gpos_layout },
    { RRType::AAAA, &aaaa_layout },
    { RRType::LOC, &loc_layout },
    { RRType::EID, &nimrod_layout },
    { RRType::NIMLOC, &nimrod_layout },
    { RRType::SRV, &srv_layout },
    { RRType::ATMA, &atma_layout },
    { RRType::NAPTR, &naptr_layout },
    { RRType::KX, &preference_host_layout },
    { RRType::CERT, &cert_layout },
    { RRType::A6, &a6_layout },
    { RRType::DNAME, &dname_layout },
    { RRType::SINK, &sink_layout },
    { RRType::APL, &apl_layout },
    { RRType::DS, &ds_layout },
    { RRType::SSHFP, &sshfp_layout },
    { RRType::IPSECKEY, &ipseckey_layout },
    { RRType::RRSIG, &rrsig_layout },
    { RRType::NSEC, &nsec_layout },
    { RRType::DNSKEY, &dnskey_layout },
    { RRType::DHCID, &dhcid_layout },
    { RRType::NSEC3, &nsec3_layout },
    { RRType::NSEC3PARAM, &nsec3param_layout },
    { RRType::TLSA, &tlsa_layout },
    { RRType::SMIMEA, &tlsa_layout },
    { RRType::HIP, &hip_layout },
    { RRType::NINFO, &txt_layout },
    { RRType::RKEY, &dnskey_layout }, // draft-reid-dnsext-rkey-00 §3
    { RRType::TALINK, &talink_layout },
    { RRType::CDS, &ds_layout },
    { RRType::CDNSKEY, &dnskey_layout },
    { RRType::OPENPGPKEY, &openpgpkey_layout },
    { RRType::CSYNC, &csync_layout },
    { RRType::ZONEMD, &zonemd_layout },
    { RRType::SVCB, &svcb_layout },
    { RRType::HTTPS, &svcb_layout },
    { RRType::DSYNC, &dsync_layout },
    { RRType::SPF, &txt_layout },
    { RRType::NID, &nid_layout },
    { RRType::L32, &l32_layout },
    { RRType::L64, &l64_layout },
    { RRType::LP, &lp_layout },
    { RRType::EUI48, &eui48_layout },
    { RRType::EUI64, &eui64_layout },
    { RRType::URI, &uri_layout },
    { RRType::CAA, &caa_layout },
    { RRType::AVC, &txt_layout }, // IANA registration: TXT's layout
    { RRType::DOA, &doa_layout },
    { RRType::AMTRELAY, &amtrelay_layout },
    { RRType::RESINFO, &txt_layout }, // RFC 9606 §2
    { RRType::WALLET, &txt_layout }, // IANA registration: TXT's layout
    { RRType::TA, &ds_layout }, // DNSSEC trust authorities: DS's layout
    { RRType::DLV, &ds_layout }, // RFC 4431 §2
};

// A rest field consumes everything after it, so it can only come last.
constexpr bool well_formed(const Layout& layout)
{
    for (size_t i = 0; i + 1 < layout.fields.size(); ++i) {
        if (is_rest(layout.fields[i].kind))
            return false;
    }
    return true;
}

static_assert(std::all_of(std::begin(entries), std::end(entries), [](const Entry& e) { return well_formed(*e.layout); }),
              "every RDATA layout has at most one rest field, last");

// Every known type but TA and DLV (32768, 32769) is below 263, so a flat
// table answers in one load; those two sit at its end.
constexpr size_t low_types = 263;
constexpr size_t high_base = 32768;
constexpr size_t table_size = low_types + 2;
constexpr size_t slot(RRType type)
{
    auto value = static_cast<size_t>(type);
    return value < low_types ? value : value - high_base + low_types;
}
static_assert(std::all_of(std::begin(entries), std::end(entries), [](const Entry& e) {
    auto value = static_cast<size_t>(e.type);
    return value < low_types || (value >= high_base && value - high_base < table_size - low_types);
}));

constexpr auto layout_table = [] {
    std::array<const Layout*, table_size> table {};
    for (const auto& entry : entries)
        table[slot(entry.type)] = entry.layout;
    return table;
}();

// NXT (RFC 2535 §5.2), obsolete, is on the RFC 4034 §6.2 list too. Signet
// reads it only in the RFC 3597 form, but validators that know it
// lower-case its name, so the canonical form must too.
constexpr Field nxt_fields[] = { { Name, "next domain name" }, { HexRest, "type bit map" } };
constexpr Layout nxt_layout { nxt_fields, lower };
constexpr RRType nxt_type = static_cast<RRType>(30);

} // namespace

const Layout* find_layout(RRType type)
{
    auto value = static_cast<size_t>(type);
    if (value >= low_types && (value < high_base || value - high_base >= table_size - low_types))
        return nullptr;
    return layout_table[slot(type)];
}

const Layout* find_canonical_layout(RRType type)
{
    if (type == nxt_type)
        return &nxt_layout;
    return find_layout(type);
}

} // namespace signet::dns::detail
