// The signer: applies a SigningPlan to a zone and streams the signed zone as
// master-file text in canonical order. Input DNSSEC records are replaced;
// DNSKEY, CDS/CDNSKEY, NSEC or NSEC3 (+NSEC3PARAM) and RRSIGs are made here,
// signatures in the PKCS#11 token, in parallel, one session per thread.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <signet/base/clock.h>
#include <signet/base/error.h>
#include <signet/crypto/p11.h>
#include <signet/dns/zone.h>
#include <signet/signer/plan.h>

namespace signet::signer {

struct SigningStats {
    uint32_t serial = 0;
    size_t rrsets = 0; // RRsets written
    size_t signatures = 0; // RRSIGs made
    size_t denial_records = 0; // NSEC or NSEC3
    size_t replaced_records = 0; // DNSSEC records of the input that were dropped
    TimePoint earliest_expiration {};
    std::vector<std::string> warnings;
};

using TextSink = std::function<Result<void>(std::string_view)>;

Result<SigningStats> sign_zone(const dns::Zone& zone, const SigningPlan& plan, crypto::p11::KeyStore& store,
                               TimePoint now, const TextSink& out);

// RFC 5155 §5: the iterated, salted SHA-1 hash of a name.
dns::Bytes nsec3_hash(dns::NameView name, std::string_view salt, uint16_t iterations);

} // namespace signet::signer
