// Private to ZoneBuilder: the rules a zone's content must follow, apart from
// the mechanics of staging, sorting and storing it (zone_builder.cc). The
// builder meets the data in canonical order, owner by owner, and hands each
// fact to these checks as it goes; they report errors and warnings to the
// Diagnostics, decide what each RRset is to DNSSEC (its Role) and, at the
// end, whether the zone has its apex SOA and NS. Nothing here is part of the
// public API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <signet/base/error.h>
#include <signet/dns/name.h>
#include <signet/dns/zone.h>
#include <signet/dns/zone_reader.h>

namespace signet::dns::detail {

// Where a record came from: an index into Diagnostics::files and a line.
struct RecordPlace {
    uint16_t file;
    uint32_t line;
};

// One RRset of an owner as the owner's rules see it. `role` is the checks'
// answer.
struct OwnerRRset {
    uint16_t type;
    uint16_t covers; // for RRSIG, the type covered
    uint32_t count; // RRs, duplicates removed
    uint64_t rdata_octets; // of those RRs' RDATA, without length octets
    RecordPlace where; // its first record
    Role role = Role::Authoritative;
};

class ZoneChecks {
public:
    ZoneChecks(const Name& origin, Diagnostics& diagnostics);

    // --- each record ---------------------------------------------------

    // Nothing outside the zone: a record whose owner is not at or below the
    // origin is an error, reported once per record (while there is room).
    bool in_zone(NameView owner) const { return owner.is_subdomain_of(origin_); }
    void outside_zone(NameView owner, RecordPlace where);

    // --- each RRset ----------------------------------------------------

    // An RR whose TTL differs from the RRset's first (RFC 2181 §5.2): a
    // warning, the RRset keeps the first TTL. RRSIGs of one covered type
    // may differ, since each carries its own original TTL.
    void differing_ttl(NameView owner, uint16_t type, uint16_t covers, uint32_t ttl, uint32_t rrset_ttl,
                       RecordPlace where);
    // The same RDATA twice in one RRset: a warning, the copy is dropped.
    void duplicate(NameView owner, uint16_t type, uint16_t covers, RecordPlace where);

    // --- each owner, in canonical order ----------------------------------

    // Checks the RRsets of one owner (canonical order, so the owners of a
    // cut or DNAME come before what lies below): each fits in a DNS message
    // (RFC 1035 §4.2.2); one SOA, at the apex only; one CNAME and no other
    // data beside it; one DNAME; DS only at a delegation. Sets each RRset's role: NS at a cut is the delegation,
    // addresses at or below a cut are glue, anything else below a cut or a
    // DNAME is occluded (warned about once all other warnings are out).
    // Returns the position in `rrsets` of the apex SOA, when this owner
    // holds the one SOA the zone may have. The checks keep views of the
    // owners of cuts and DNAMEs: the bytes `owner` looks at must stay until
    // finish().
    std::optional<size_t> owner(NameView owner, std::span<OwnerRRset> rrsets);

    // The RDATA of a DS RRset (at a delegation): a warning for each DS with
    // a digest type or algorithm RFC 8624 says not to use for delegations
    // (SHA-1, GOST; RSAMD5, DSA, RSASHA1, GOST). The zone still signs: the
    // child's keys are the child's.
    void ds_rrset(NameView owner, RRsetView rrset, RecordPlace where);
    // The RDATA of an SVCB or HTTPS RRset (not occluded), against the rules
    // that depend on the RRset rather than on one record, which the codec
    // has checked already. Warnings, since RFC 9460 §2.4.2 says SHOULD: an
    // AliasMode record with SvcParams, and an RRset that mixes AliasMode
    // and ServiceMode. For SVCB at "_dns" or "_<port>._dns", a DNS server
    // (RFC 9461 §2), in ServiceMode: an error without alpn (§4.1) or with
    // an HTTP alpn but no dohpath (§5); a warning for no-default-alpn, which
    // does not apply there (§4.1).
    void svcb_rrset(NameView owner, RRsetView rrset, RecordPlace where);
    // The RDATA of an IPSECKEY RRset: a warning for a record without a
    // public key, which RFC 4025 allows and BIND 9.18 cannot load.
    void ipseckey_rrset(NameView owner, RRsetView rrset, RecordPlace where);
    // An NS RRset whose targets must be checked once the whole zone is
    // known (its owner stays in `zone`): see finish().
    void ns_rrset(size_t index, RecordPlace where) { ns_rrsets_.push_back({ index, where }); }

    // --- the zone ------------------------------------------------------

    // After the last owner: the occlusion warnings; a warning for each NS
    // target inside the zone that has no address in it (a delegation or
    // apex that cannot be reached: BIND's "required glue"); then an error
    // when the apex has no SOA or no NS.
    void finish(const Zone& zone);

private:
    void error(RecordPlace where, std::string message);
    void check_sizes(NameView owner, std::span<const OwnerRRset> rrsets);
    void check_types(NameView owner, bool apex, std::span<const OwnerRRset> rrsets, std::optional<size_t>& soa,
                     bool& has_ns);
    void assign_roles(NameView owner, bool apex, bool has_ns, std::span<OwnerRRset> rrsets);

    const Name& origin_;
    Diagnostics& diag_;
    std::string origin_text_;
    bool have_soa_ = false;
    bool apex_ns_ = false;
    std::optional<NameView> cut_; // the closest enclosing delegation point
    std::optional<NameView> dname_; // the closest enclosing DNAME owner
    std::vector<Error> late_warnings_; // occlusion, after the warnings of the RRsets
    struct NsRRset {
        size_t index; // in the zone
        RecordPlace where;
    };
    std::vector<NsRRset> ns_rrsets_;
};

} // namespace signet::dns::detail
