// DNSSEC primitives that need no token: DNSKEY RDATA, key tags, DS digests,
// the NSEC3 hash, and signature verification with OpenSSL. Verification is
// deliberately a different code path from signing (which happens in the
// PKCS#11 token), so that the signer's self-check does not share the
// signer's mistakes.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <string_view>

#include <signet/base/error.h>
#include <signet/crypto/algorithm.h>
#include <signet/crypto/ossl.h>
#include <signet/dns/name.h>

namespace signet::crypto {

using dns::Bytes;

// DNSKEY flags (RFC 4034 §2.1.1, RFC 5011 §3).
inline constexpr uint16_t dnskey_flag_zone = 0x0100;
inline constexpr uint16_t dnskey_flag_sep = 0x0001;
inline constexpr uint16_t dnskey_flag_revoke = 0x0080;

// DNSKEY RDATA: flags, protocol 3, algorithm, public key.
Bytes make_dnskey_rdata(uint16_t flags, Algorithm algorithm, std::string_view public_key);

// The fields of DNSKEY RDATA; fails on RDATA shorter than 4 octets.
struct DnskeyFields {
    uint16_t flags = 0;
    uint8_t protocol = 0;
    uint8_t algorithm = 0;
    std::string_view public_key;
};
Result<DnskeyFields> parse_dnskey(std::string_view rdata);

// RFC 4034 Appendix B.
uint16_t key_tag(std::string_view dnskey_rdata);

// DS RDATA for a DNSKEY of `owner` (RFC 4034 §5.1.4).
Result<Bytes> make_ds_rdata(const dns::Name& owner, std::string_view dnskey_rdata, DigestType digest);

// SHA-1/256/384/512 of `data`, for digests outside signatures.
Bytes sha1(std::string_view data);
Bytes sha256(std::string_view data);
Bytes sha384(std::string_view data);

// SHA-256 over data given piece by piece (a file as it is written or read).
class Sha256 {
public:
    Sha256();
    void add(std::string_view data);
    Bytes finish();

private:
    ossl::MdCtx ctx_;
};

// An NSEC3 hash (RFC 5155 §5; SHA-1, the only algorithm defined): 20 octets,
// ordered as the NSEC3 chain is, by unsigned octets.
struct Nsec3Hash {
    static constexpr size_t size = 20;
    std::array<char, size> octets;

    std::string_view view() const { return std::string_view(octets.data(), size); }
    bool operator==(const Nsec3Hash&) const = default;
    std::strong_ordering operator<=>(const Nsec3Hash& other) const
    {
        // A zone's hashes are sorted and searched a lot, and being uniform
        // the first eight octets nearly always decide.
        auto head = [](const Nsec3Hash& h) {
            uint64_t value = 0;
            for (size_t i = 0; i < 8; ++i)
                value = (value << 8) | static_cast<uint8_t>(h.octets[i]);
            return value;
        };
        if (auto order = head(*this) <=> head(other); order != 0)
            return order;
        return std::memcmp(octets.data() + 8, other.octets.data() + 8, size - 8) <=> 0;
    }
};

// Hashes every name of a zone with one salt and iteration count: the digest
// and its context are set up once. One object per thread.
class Nsec3Hasher {
public:
    Nsec3Hasher(std::string_view salt, uint16_t iterations);
    // The hash of `owner`, lower-cased first (RFC 4034 §6.2).
    Nsec3Hash hash(dns::NameView owner);

private:
    Bytes salt_;
    uint16_t iterations_;
    ossl::MdCtx ctx_;
    ossl::Md md_;
};

// Algorithms Signet verifies but never signs with: RSA/SHA-1 (RFC 3110) and
// its NSEC3 alias (RFC 5155 §2), which zones signed elsewhere still use and
// validators must still check (RFC 8624 §3.1).
inline constexpr uint8_t algorithm_rsasha1 = 5;
inline constexpr uint8_t algorithm_rsasha1_nsec3_sha1 = 7;

// Whether PublicKey can verify signatures of DNSKEY algorithm `algorithm`:
// the algorithms Signet signs with, and the two above.
bool can_verify(uint8_t algorithm);

// A public key taken from DNSKEY RDATA, ready to verify RRSIG signatures.
class PublicKey {
public:
    static Result<PublicKey> from_dnskey(std::string_view dnskey_rdata);

    // One of Algorithm's, or one of the verify-only numbers above.
    Algorithm algorithm() const { return algorithm_; }
    // Signature in DNSSEC wire form (RFC 3110, RFC 6605 r|s, RFC 8080).
    bool verify(std::string_view data, std::string_view signature) const;
    // The size of this key's signatures in DNSSEC wire form.
    size_t signature_size() const;

private:
    PublicKey(Algorithm algorithm, ossl::Pkey key)
        : algorithm_(algorithm)
        , key_(std::move(key))
    {
    }
    Algorithm algorithm_;
    ossl::Pkey key_;
};

} // namespace signet::crypto
