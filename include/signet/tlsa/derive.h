// TLSA records derived from certificates (RFC 6698 §2.1, RFC 7671 §5):
// which certificate of a chain a record is about, and its association data.
#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include <signet/base/clock.h>
#include <signet/base/error.h>
#include <signet/crypto/x509.h>
#include <signet/tlsa/record.h>

namespace signet::tlsa {

// The selected content of `certificate` (the whole DER certificate, or its
// SubjectPublicKeyInfo), as is or hashed.
Bytes association_data(const crypto::Certificate& certificate, Selector selector, MatchingType matching);

// Where in a chain (end-entity first) the certificate of a record of `usage`
// is: the end-entity certificate (0) for PKIX-EE and DANE-EE, its issuer,
// the next certificate (1), for PKIX-TA and DANE-TA.
size_t chain_position(CertUsage usage);

// The certificate a record of `usage` is about. For the TA usages the chain
// needs a second certificate, and it must have issued the first.
Result<const crypto::Certificate*> select_certificate(const crypto::CertificateChain& chain, CertUsage usage);

Result<Record> derive_record(const crypto::CertificateChain& chain, RecordSpec spec);
// One record per spec, in the order of `specs`; records that come out the
// same (none do for distinct specs) are kept once.
Result<std::vector<Record>> derive_records(const crypto::CertificateChain& chain, const std::vector<RecordSpec>& specs);

// A certificate and, optionally, a file with the rest of its chain.
struct CertificateFiles {
    std::filesystem::path cert;
    std::optional<std::filesystem::path> chain;
};

// The certificates of `files.cert` (end-entity first; it may hold a whole
// chain), followed by those of `files.chain`.
Result<crypto::CertificateChain> load_chain(const CertificateFiles& files);

// Loads the chain of `files` and derives the records of `specs` from it,
// as every signing does. Errors name the file to blame: one that is
// missing or unreadable, a chain without the issuer a TA record needs, or a
// certificate that a record is about and that has expired at `now` (not yet
// valid is fine: records are published ahead of use).
Result<std::vector<Record>> derive_from_files(const CertificateFiles& files, const std::vector<RecordSpec>& specs,
                                              TimePoint now);

} // namespace signet::tlsa
