// Each RDATA layout, written once. The engine in rdata_text.cc (text → wire)
// and rdata_wire.cc (checks, wire → text, canonical form) walks these lists;
// LOC and SVCB/HTTPS point at their own codecs instead.
#include <algorithm>
#include <array>

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

struct Entry {
    RRType type;
    const Layout* layout;
};

constexpr Entry entries[] = {
    { RRType::A, &a_layout },
    { RRType::NS, &ns_layout },
    { RRType::CNAME, &cname_layout },
    { RRType::SOA, &soa_layout },
    { RRType::PTR, &ptr_layout },
    { RRType::HINFO, &hinfo_layout },
    { RRType::MX, &mx_layout },
    { RRType::TXT, &txt_layout },
    { RRType::RP, &rp_layout },
    { RRType::AAAA, &aaaa_layout },
    { RRType::LOC, &loc_layout },
    { RRType::SRV, &srv_layout },
    { RRType::NAPTR, &naptr_layout },
    { RRType::CERT, &cert_layout },
    { RRType::DNAME, &dname_layout },
    { RRType::DS, &ds_layout },
    { RRType::SSHFP, &sshfp_layout },
    { RRType::RRSIG, &rrsig_layout },
    { RRType::NSEC, &nsec_layout },
    { RRType::DNSKEY, &dnskey_layout },
    { RRType::NSEC3, &nsec3_layout },
    { RRType::NSEC3PARAM, &nsec3param_layout },
    { RRType::TLSA, &tlsa_layout },
    { RRType::SMIMEA, &tlsa_layout },
    { RRType::CDS, &ds_layout },
    { RRType::CDNSKEY, &dnskey_layout },
    { RRType::OPENPGPKEY, &openpgpkey_layout },
    { RRType::ZONEMD, &zonemd_layout },
    { RRType::SVCB, &svcb_layout },
    { RRType::HTTPS, &svcb_layout },
    { RRType::SPF, &txt_layout },
    { RRType::URI, &uri_layout },
    { RRType::CAA, &caa_layout },
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

// Every known type is below 258, so a flat table answers in one load.
constexpr size_t table_size = 258;
static_assert(std::all_of(std::begin(entries), std::end(entries),
                          [](const Entry& e) { return static_cast<size_t>(e.type) < table_size; }));

constexpr auto layout_table = [] {
    std::array<const Layout*, table_size> table {};
    for (const auto& entry : entries)
        table[static_cast<size_t>(entry.type)] = entry.layout;
    return table;
}();

// Obsolete types that RFC 4034 §6.2 also lists. Signet reads them only in
// the RFC 3597 form, but validators that know them lower-case their names, so
// the canonical form must too. (A6, also listed, is historic per RFC 6563 and
// is left as it is.)
constexpr Field mailbox_fields[] = { { Name, "mailbox" } }; // MD, MF, MB, MG, MR: RFC 1035 §3.3
constexpr Field minfo_fields[] = { { Name, "rmailbx" }, { Name, "emailbx" } }; // RFC 1035 §3.3.7
constexpr Field preference_host_fields[] = { { U16, "preference" }, { Name, "host" } }; // AFSDB, RT, KX
constexpr Field px_fields[] = { { U16, "preference" }, { Name, "map822" }, { Name, "mapx400" } }; // RFC 2163
constexpr Field nxt_fields[] = { { Name, "next domain name" }, { HexRest, "type bit map" } }; // RFC 2535 §5.2

constexpr Layout mailbox_layout { mailbox_fields, lower };
constexpr Layout minfo_layout { minfo_fields, lower };
constexpr Layout preference_host_layout { preference_host_fields, lower };
constexpr Layout px_layout { px_fields, lower };
constexpr Layout nxt_layout { nxt_fields, lower };

constexpr Entry canonical_only_entries[] = {
    { static_cast<RRType>(3), &mailbox_layout }, // MD
    { static_cast<RRType>(4), &mailbox_layout }, // MF
    { static_cast<RRType>(7), &mailbox_layout }, // MB
    { static_cast<RRType>(8), &mailbox_layout }, // MG
    { static_cast<RRType>(9), &mailbox_layout }, // MR
    { static_cast<RRType>(14), &minfo_layout }, // MINFO
    { static_cast<RRType>(18), &preference_host_layout }, // AFSDB, RFC 1183 §1
    { static_cast<RRType>(21), &preference_host_layout }, // RT, RFC 1183 §3.3
    { static_cast<RRType>(24), &rrsig_layout }, // SIG, RFC 2535 §4.1 (RRSIG's layout)
    { static_cast<RRType>(26), &px_layout }, // PX
    { static_cast<RRType>(30), &nxt_layout }, // NXT
    { static_cast<RRType>(36), &preference_host_layout }, // KX, RFC 2230 §3.1
};

static_assert(std::all_of(std::begin(canonical_only_entries), std::end(canonical_only_entries),
                          [](const Entry& e) { return well_formed(*e.layout); }));

constexpr auto canonical_only_table = [] {
    std::array<const Layout*, 37> table {};
    for (const auto& entry : canonical_only_entries)
        table[static_cast<size_t>(entry.type)] = entry.layout;
    return table;
}();

} // namespace

const Layout* find_layout(RRType type)
{
    auto index = static_cast<size_t>(type);
    return index < table_size ? layout_table[index] : nullptr;
}

const Layout* find_canonical_layout(RRType type)
{
    if (const Layout* layout = find_layout(type))
        return layout;
    auto index = static_cast<size_t>(type);
    return index < canonical_only_table.size() ? canonical_only_table[index] : nullptr;
}

} // namespace signet::dns::detail
