// Base16 (RFC 4648 §8), the one hex codec: key locators (CKA_ID), NSEC3
// salts, digests in RDATA text, PINs and anything else written as hex.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <signet/base/error.h>

namespace signet {

// Lower case is what people type and what OpenSSL and PKCS#11 tools print;
// upper case is what RDATA presentation formats and their RFC examples use.
enum class HexCase : uint8_t { Lower, Upper };

// Two digits per octet, appended to `out`.
void append_hex(std::string& out, std::string_view bytes, HexCase letters = HexCase::Lower);
std::string to_hex(std::string_view bytes, HexCase letters = HexCase::Lower);

// Hex of either case, nothing else (no "0x", no spaces), an even number of
// digits; "" is no octets. Fails (ErrorCode::Parse) naming the first of: a
// character that is not a hex digit, an odd number of digits.
Result<std::string> from_hex(std::string_view text);

// Hex split over several pieces (the tokens of an RDATA field), a pair of
// digits possibly split between two: feed() each piece, appending what it
// decodes, then check finish().
class HexDecoder {
public:
    // False at a character that is not a hex digit; `out` may then hold
    // part of the piece.
    bool feed(std::string_view text, std::string& out);
    // False when an odd number of digits came in.
    bool finish() const { return !have_high_; }

private:
    uint8_t high_ = 0;
    bool have_high_ = false;
};

} // namespace signet
