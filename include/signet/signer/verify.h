// Verification of a signed zone, ours or another signer's, with nothing but
// the zone itself and OpenSSL: every RRset that must be signed has a valid
// signature by a key of the apex DNSKEY RRset, the DNSKEY RRset is signed by
// a SEP key, signatures are inside their validity window, the NSEC or
// NSEC3 chain covers every name and closes, and CDS/CDNSKEY say what the
// parent may act on.
#pragma once

#include <cstdint>
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

enum class Verdict {
    Verifies,
    DoesNotVerify, // a problem was found
    // No problem found, but no zone key has an algorithm Signet can verify
    // (crypto::can_verify), so no signature was checked: neither good nor bad.
    CannotJudge,
};

struct VerifyReport {
    size_t rrsets_checked = 0;
    size_t signatures_checked = 0; // cryptographically verified
    std::string denial; // "NSEC", "NSEC3" or "none"
    std::vector<std::string> errors; // the first few problems found
    size_t error_count = 0;
    // Algorithms of the zone keys that Signet cannot verify: their
    // signatures are checked for presence and validity window only (a
    // validator ignores them, RFC 6840 §5.11).
    std::vector<uint8_t> unverified_algorithms;
    // Signatures were to be verified, but every zone key is of such an
    // algorithm.
    bool unjudged = false;

    Verdict verdict() const
    {
        return error_count != 0 ? Verdict::DoesNotVerify : unjudged ? Verdict::CannotJudge : Verdict::Verifies;
    }
    bool ok() const { return verdict() == Verdict::Verifies; }
};

VerifyReport verify_zone(const dns::Zone& zone, TimePoint now, const VerifyOptions& options = {});

} // namespace signet::signer
