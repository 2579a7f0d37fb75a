// Does a certificate chain, as a TLS server presented it, match TLSA
// records? The rules of RFC 7671 (DANE for any TLS service) and, for SMTP,
// RFC 7672:
//   - DANE-EE(3): the end-entity certificate matches; its names and
//     validity dates are not checked (RFC 7671 §5.1).
//   - DANE-TA(2): a certificate of the presented chain above the end entity
//     matches, and the chain verifies up to it: signatures, validity dates
//     and the service's name (RFC 7671 §5.2, RFC 7672 §3.2.3).
//   - PKIX-EE(1), PKIX-TA(0): as DANE-EE and DANE-TA, and the chain must
//     also pass PKIX validation to a trusted root (RFC 6698 §2.1.1). SMTP
//     clients treat them as unusable (RFC 7672 §3.1.3).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <signet/base/clock.h>
#include <signet/base/duration.h>
#include <signet/crypto/x509.h>
#include <signet/tlsa/record.h>

namespace signet::tlsa {

enum class Verdict {
    Match,
    Mismatch,
    Unusable, // a client of this service ignores the record
};
std::string_view verdict_to_text(Verdict verdict); // "match", "mismatch", "unusable"

struct RecordVerdict {
    Record record;
    Verdict verdict = Verdict::Mismatch;
    std::string reason; // for people: what matched, or why not
    std::optional<size_t> depth; // the chain position that matched the data
};

struct MatchOptions {
    // The name the certificate must carry for the usages that check names
    // (the TLSA base domain, RFC 7672 §3.2.3), without the final dot.
    std::string host;
    TimePoint now {};
    // Apply RFC 7672 (SMTP between mail servers): PKIX usages are unusable.
    bool smtp = false;
    // Roots for PKIX validation; none: OpenSSL's default paths.
    std::optional<std::filesystem::path> pkix_ca_file;
    // Warn about certificates that expire sooner than this.
    Duration expiry_warning = std::chrono::days(30);
};

struct ChainCheck {
    std::vector<RecordVerdict> records;
    std::vector<std::string> warnings; // expiring or expired certificates
    bool matched() const;
};

ChainCheck check_chain(const std::vector<Record>& records, const crypto::CertificateChain& presented,
                       const MatchOptions& options);

} // namespace signet::tlsa
