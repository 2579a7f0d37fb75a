// Verification of a signed zone, ours or another signer's, with nothing but
// the zone itself and OpenSSL: every RRset that must be signed has a valid
// signature by a key of the apex DNSKEY RRset, the DNSKEY RRset is signed by
// a SEP key, signatures are inside their validity window, and the NSEC or
// NSEC3 chain covers every name and closes.
#pragma once

#include <string>
#include <vector>

#include <signet/base/clock.h>
#include <signet/base/error.h>
#include <signet/dns/zone.h>

namespace signet::signer {

struct VerifyOptions {
    bool signatures = true; // false: structure only (presence, windows, chains)
    unsigned threads = 0; // 0: one per core
};

struct VerifyReport {
    size_t rrsets_checked = 0;
    size_t signatures_checked = 0; // cryptographically verified
    std::string denial; // "NSEC", "NSEC3" or "none"
    std::vector<std::string> errors; // the first few problems found
    size_t error_count = 0;
    bool ok() const { return error_count == 0; }
};

VerifyReport verify_zone(const dns::Zone& zone, TimePoint now, const VerifyOptions& options = {});

} // namespace signet::signer
