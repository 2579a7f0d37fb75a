// Base32hex and base64 (RFC 4648) as RDATA presentation formats use them:
// base64 may be split over several tokens, so its decoder streams; the
// encoders append to an existing string to spare a copy. Hex is base's
// (signet/base/hex.h).
#include <array>

#include <fmt/format.h>

#include <signet/base/excerpt.h>
#include <signet/base/hex.h>

#include "detail/rdata_internal.h"

namespace signet::dns {

namespace detail {

namespace {

constexpr char base64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
// RFC 4648 §7, "Extended Hex" alphabet.
constexpr char base32hex_alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUV";

constexpr int8_t invalid = -1;

constexpr std::array<int8_t, 256> make_decode_table(std::string_view alphabet, bool fold_case)
{
    std::array<int8_t, 256> table {};
    for (auto& entry : table)
        entry = invalid;
    for (size_t i = 0; i < alphabet.size(); ++i) {
        auto c = static_cast<uint8_t>(alphabet[i]);
        table[c] = static_cast<int8_t>(i);
        if (fold_case && c >= 'A' && c <= 'Z')
            table[c + 32] = static_cast<int8_t>(i);
    }
    return table;
}

constexpr auto base64_table = make_decode_table(base64_alphabet, false);
constexpr auto base32hex_table = make_decode_table(base32hex_alphabet, true);

} // namespace

bool Base64Stream::feed(std::string_view text, Bytes& out)
{
    size_t i = 0;
    if (count_ == 0 && !done_) {
        // Keys and signatures are long: decode whole unpadded quanta in one
        // tight loop, leaving padding, errors and split quanta to the
        // careful loop below.
        const size_t start = out.size();
        out.resize(start + text.size() / 4 * 3);
        char* p = out.data() + start;
        for (; i + 4 <= text.size(); i += 4) {
            int a = base64_table[static_cast<uint8_t>(text[i])];
            int b = base64_table[static_cast<uint8_t>(text[i + 1])];
            int c = base64_table[static_cast<uint8_t>(text[i + 2])];
            int d = base64_table[static_cast<uint8_t>(text[i + 3])];
            if ((a | b | c | d) < 0)
                break;
            uint32_t bits = (uint32_t(a) << 18) | (uint32_t(b) << 12) | (uint32_t(c) << 6) | uint32_t(d);
            *p++ = static_cast<char>(bits >> 16);
            *p++ = static_cast<char>((bits >> 8) & 0xff);
            *p++ = static_cast<char>(bits & 0xff);
        }
        out.resize(static_cast<size_t>(p - out.data()));
    }
    for (char c : text.substr(i)) {
        // A padded quantum is the last one (RFC 4648 §4).
        if (done_)
            return false;
        if (c == '=') {
            // Padding fills the third and fourth, or only the fourth, place.
            if (count_ < 2)
                return false;
            ++pads_;
            quantum_[count_++] = 0;
        } else {
            int8_t value = base64_table[static_cast<uint8_t>(c)];
            if (value == invalid || pads_ > 0)
                return false;
            quantum_[count_++] = static_cast<uint8_t>(value);
        }
        if (count_ == 4) {
            uint32_t bits = (uint32_t(quantum_[0]) << 18) | (uint32_t(quantum_[1]) << 12)
                | (uint32_t(quantum_[2]) << 6) | quantum_[3];
            out.push_back(static_cast<char>(bits >> 16));
            if (pads_ < 2)
                out.push_back(static_cast<char>((bits >> 8) & 0xff));
            if (pads_ < 1)
                out.push_back(static_cast<char>(bits & 0xff));
            done_ = pads_ > 0;
            count_ = 0;
        }
    }
    return true;
}

void append_base64(std::string& out, std::string_view bytes)
{
    // Every signature of a zone is written through here: the text goes
    // straight into place rather than a character at a time.
    const size_t at = out.size();
    out.resize(at + (bytes.size() + 2) / 3 * 4);
    char* to = out.data() + at;
    const auto* from = reinterpret_cast<const uint8_t*>(bytes.data());
    size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const uint32_t bits = (uint32_t(from[i]) << 16) | (uint32_t(from[i + 1]) << 8) | from[i + 2];
        *to++ = base64_alphabet[bits >> 18];
        *to++ = base64_alphabet[(bits >> 12) & 63];
        *to++ = base64_alphabet[(bits >> 6) & 63];
        *to++ = base64_alphabet[bits & 63];
    }
    const size_t left = bytes.size() - i;
    if (left == 0)
        return;
    uint32_t bits = uint32_t(from[i]) << 16;
    if (left == 2)
        bits |= uint32_t(from[i + 1]) << 8;
    *to++ = base64_alphabet[bits >> 18];
    *to++ = base64_alphabet[(bits >> 12) & 63];
    *to++ = left == 2 ? base64_alphabet[(bits >> 6) & 63] : '=';
    *to = '=';
}

void append_base32hex(std::string& out, std::string_view bytes)
{
    // Five octets make eight 5-bit groups; a partial group is zero-filled and
    // the padding RFC 4648 §6 would add is left out (RFC 5155 §3.3).
    out.reserve(out.size() + (bytes.size() * 8 + 4) / 5);
    uint32_t buffer = 0;
    int bits = 0;
    for (char c : bytes) {
        buffer = (buffer << 8) | static_cast<uint8_t>(c);
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out.push_back(base32hex_alphabet[(buffer >> bits) & 31]);
        }
    }
    if (bits > 0)
        out.push_back(base32hex_alphabet[(buffer << (5 - bits)) & 31]);
}

bool decode_base32hex(std::string_view text, Bytes& out)
{
    // Unpadded lengths leave 0, 2, 4, 5 or 7 characters in the last group;
    // 1, 3 or 6 cannot come from whole octets.
    switch (text.size() % 8) {
    case 1: case 3: case 6:
        return false;
    default:
        break;
    }
    uint32_t buffer = 0;
    int bits = 0;
    for (char c : text) {
        int8_t value = base32hex_table[static_cast<uint8_t>(c)];
        if (value == invalid)
            return false;
        buffer = (buffer << 5) | static_cast<uint32_t>(value);
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buffer >> bits) & 0xff));
        }
    }
    // The bits past the last octet must be zero (RFC 4648 §3.5): otherwise
    // two texts would stand for one value, and the record would not read
    // back as written ("12" is not "10").
    return bits == 0 || (buffer & ((1u << bits) - 1)) == 0;
}

} // namespace detail

std::string to_base64(std::string_view bytes)
{
    std::string out;
    detail::append_base64(out, bytes);
    return out;
}

Result<Bytes> from_base64(std::string_view text)
{
    Bytes out;
    out.reserve(text.size() / 4 * 3 + 3);
    detail::Base64Stream stream;
    if (!stream.feed(text, out) || !stream.finish())
        return fail(ErrorCode::Parse, fmt::format("bad base64 data '{}'", excerpt(text)));
    return out;
}

std::string to_base32hex(std::string_view bytes, HexCase letters)
{
    std::string out;
    detail::append_base32hex(out, bytes);
    if (letters == HexCase::Lower) {
        for (char& c : out)
            c = c >= 'A' ? static_cast<char>(c + ('a' - 'A')) : c; // the alphabet is 0-9 and A-V
    }
    return out;
}

Result<Bytes> from_base32hex(std::string_view text)
{
    Bytes out;
    out.reserve(text.size() * 5 / 8 + 1);
    if (!detail::decode_base32hex(text, out))
        return fail(ErrorCode::Parse, fmt::format("bad base32hex data '{}'", excerpt(text)));
    return out;
}

std::string to_hex(std::string_view bytes) { return signet::to_hex(bytes, HexCase::Upper); }

Result<Bytes> from_hex(std::string_view text) { return signet::from_hex(text); }

} // namespace signet::dns
