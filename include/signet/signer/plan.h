// What the signer is told to do: the signconf of Signet. The enforcer (via
// the app layer) fills it in; the signer knows nothing of policies, states or
// the store, only of keys to publish and use, timing, denial and serial.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <signet/crypto/algorithm.h>
#include <signet/dns/name.h>
#include <signet/dns/zone.h>

namespace signet::signer {

using dns::Bytes;

struct PlannedKey {
    std::string locator; // where the private key is in the token
    crypto::Algorithm algorithm = crypto::Algorithm::ECDSAP256SHA256;
    Bytes dnskey; // DNSKEY RDATA as published
    bool publish = true; // in the DNSKEY RRset
    bool signs_keyset = false; // KSK or CSK: signs DNSKEY, CDS, CDNSKEY
    bool signs_zone = false; // ZSK or CSK: signs every other RRset
};

struct Nsec3Params {
    uint16_t iterations = 0; // RFC 9276: 0 extra iterations
    Bytes salt; // RFC 9276: empty
    bool opt_out = false;
};

enum class SerialMode { Keep, Counter, Unixtime, Datecounter };

enum class Verification {
    Full, // every new signature checked with OpenSSL against its DNSKEY
    Structural, // chains, presence and validity windows only
};

struct SigningPlan {
    std::vector<PlannedKey> keys;
    uint32_t dnskey_ttl = 3600;
    // CDS and CDNSKEY RDATA to publish at the apex (RFC 7344); empty: none.
    std::vector<Bytes> cds;
    std::vector<Bytes> cdnskey;

    std::chrono::seconds validity { 14 * 86400 };
    std::chrono::seconds inception_offset { 3600 };
    std::chrono::seconds jitter { 12 * 3600 };
    // A kept signature must have more than this left; one with less is
    // made again, and so is one that gets there within `refresh_window`
    // (the re-sign interval), so that refreshes come in batches rather than
    // as a new version for each signature.
    std::chrono::seconds refresh { 3 * 86400 };
    std::chrono::seconds refresh_window { 0 };

    std::optional<Nsec3Params> nsec3; // nullopt: NSEC
    SerialMode serial = SerialMode::Unixtime;
    std::optional<uint32_t> last_serial; // the last one published, if any
    std::optional<uint32_t> soa_ttl;
    std::optional<uint32_t> soa_minimum;

    unsigned threads = 0; // 0: one per core
    Verification verification = Verification::Full;
    // A new version (serial) even when nothing changed: the published one
    // is gone or not the one the previous version describes.
    bool new_version = false;
};

// RFC 1982 serial number arithmetic, as the dns part defines it.
using dns::serial_greater;
// The SOA serial to publish: by `mode` from the input serial and the clock,
// never below the input's serial (except with Keep, which keeps it), and
// always greater (RFC 1982) than `last` when there is one.
uint32_t next_serial(SerialMode mode, uint32_t input, std::optional<uint32_t> last, int64_t unix_now);

} // namespace signet::signer
