// DNSSEC signing algorithms (IANA "DNS Security Algorithm Numbers") and DS
// digest types that Signet signs and verifies with.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace signet::crypto {

enum class Algorithm : uint8_t {
    RSASHA256 = 8, // RFC 5702
    RSASHA512 = 10, // RFC 5702
    ECDSAP256SHA256 = 13, // RFC 6605
    ECDSAP384SHA384 = 14, // RFC 6605
    ED25519 = 15, // RFC 8080
    ED448 = 16, // RFC 8080
};

// "ECDSAP256SHA256", as the DNSKEY presentation format and tools show it.
std::string_view algorithm_to_text(Algorithm algorithm);
// Accepts the mnemonic in any case ("ecdsap256sha256") or the number.
std::optional<Algorithm> algorithm_from_text(std::string_view text);
bool is_rsa(Algorithm algorithm);
// The key size when it is fixed by the algorithm (0 for RSA).
unsigned fixed_key_bits(Algorithm algorithm);

enum class DigestType : uint8_t {
    SHA1 = 1, // RFC 4034; verification of existing DS only
    SHA256 = 2, // RFC 4509
    SHA384 = 4, // RFC 6605
};

std::optional<DigestType> digest_type_from_text(std::string_view text);
std::string_view digest_type_to_text(DigestType type);

} // namespace signet::crypto
