// The signer: applies a SigningPlan to an unsigned zone and returns the
// signed version as a value: the signed zone in the compact model, what
// changed against the previous version, and when the zone next needs work.
// Writing the master file, checking the result and (later) serving it by
// zone transfer all start from that value.
//
// Given the previous version, the signer keeps what is still good: an
// RRSIG stays when its RRset (owner, type, TTL, RDATA) is unchanged, its key
// still signs that RRset's role, and more than signature-refresh of its
// validity remains; NSEC and NSEC3 records change only where the chain did.
// When nothing changed and nothing is due, the version is marked unchanged:
// the serial stays and nothing needs publishing. New signatures are made in
// the PKCS#11 token, in parallel, one session per thread; the token is not
// touched when no signature is due.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <signet/base/clock.h>
#include <signet/base/error.h>
#include <signet/crypto/p11.h>
#include <signet/dns/zone.h>
#include <signet/dns/zone_assembler.h>
#include <signet/signer/plan.h>

namespace signet::signer {

struct SigningStats {
    uint32_t serial = 0;
    size_t rrsets = 0; // RRsets of the signed zone, RRSIGs not counted
    size_t signatures = 0; // RRSIGs made
    size_t signatures_reused = 0; // RRSIGs kept from the previous version
    size_t denial_records = 0; // NSEC or NSEC3
    size_t replaced_records = 0; // DNSSEC records of the input that were dropped
    TimePoint earliest_expiration {};
    std::vector<std::string> warnings;
};

struct SignedVersion {
    dns::Zone zone; // the signed zone, canonical order
    // False when the zone is the previous version exactly (same serial):
    // nothing to write, publish or notify.
    bool changed = true;
    // Against the previous version; none for a first version, or when the
    // change holds more records than the new version (sent whole, then).
    std::optional<dns::ZoneDiff> changes;
    // When the earliest signature reaches its refresh point (expiration
    // less signature-refresh): the signer's own next work.
    TimePoint next_work {};
    SigningStats stats;
};

// Opens the token when the first signature is due.
using TokenSource = std::function<Result<crypto::p11::KeyStore*>()>;

// A signed version without what the signer makes itself (RRSIG, NSEC,
// NSEC3, and DNSKEY, CDS, CDNSKEY, NSEC3PARAM, ZONEMD at the apex): the
// input it was signed from, TLSA records added before signing included.
// Signing it again gives the same zone with fresh signatures, for a zone
// whose input cannot be read any more.
Result<dns::Zone> unsigned_part(const dns::Zone& signed_zone);

// `previous`: the version published last, or nullptr for a full signing.
Result<SignedVersion> sign(const dns::Zone& input, const dns::Zone* previous, const SigningPlan& plan,
                           const TokenSource& token, TimePoint now);
Result<SignedVersion> sign(const dns::Zone& input, const dns::Zone* previous, const SigningPlan& plan,
                           crypto::p11::KeyStore& token, TimePoint now);

} // namespace signet::signer
