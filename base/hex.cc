#include <signet/base/hex.h>

#include <array>

#include <fmt/format.h>

#include <signet/base/excerpt.h>

namespace signet {

namespace {

constexpr char lower_digits[] = "0123456789abcdef";
constexpr char upper_digits[] = "0123456789ABCDEF";

constexpr int8_t not_hex = -1;

// The value of each octet as a hex digit of either case, or not_hex.
constexpr std::array<int8_t, 256> digit_values = [] {
    std::array<int8_t, 256> table {};
    for (auto& entry : table)
        entry = not_hex;
    for (int8_t i = 0; i < 16; ++i) {
        table[static_cast<uint8_t>(lower_digits[i])] = i;
        table[static_cast<uint8_t>(upper_digits[i])] = i;
    }
    return table;
}();

} // namespace

void append_hex(std::string& out, std::string_view bytes, HexCase letters)
{
    const char* digits = letters == HexCase::Upper ? upper_digits : lower_digits;
    size_t start = out.size();
    out.resize(start + 2 * bytes.size());
    char* p = out.data() + start;
    for (char c : bytes) {
        auto b = static_cast<uint8_t>(c);
        *p++ = digits[b >> 4];
        *p++ = digits[b & 0x0f];
    }
}

std::string to_hex(std::string_view bytes, HexCase letters)
{
    std::string out;
    append_hex(out, bytes, letters);
    return out;
}

bool HexDecoder::feed(std::string_view text, std::string& out)
{
    size_t i = 0;
    if (!have_high_) {
        // Digests are long: decode whole pairs in one tight loop, leaving a
        // split pair to the careful loop below.
        const size_t start = out.size();
        out.resize(start + text.size() / 2);
        char* p = out.data() + start;
        for (; i + 2 <= text.size(); i += 2) {
            int8_t high = digit_values[static_cast<uint8_t>(text[i])];
            int8_t low = digit_values[static_cast<uint8_t>(text[i + 1])];
            if ((high | low) < 0)
                return false;
            *p++ = static_cast<char>((high << 4) | low);
        }
    }
    for (char c : text.substr(i)) {
        int8_t value = digit_values[static_cast<uint8_t>(c)];
        if (value == not_hex)
            return false;
        if (have_high_) {
            out.push_back(static_cast<char>((high_ << 4) | value));
            have_high_ = false;
        } else {
            high_ = static_cast<uint8_t>(value);
            have_high_ = true;
        }
    }
    return true;
}

Result<std::string> from_hex(std::string_view text)
{
    std::string out;
    out.reserve(text.size() / 2);
    HexDecoder decoder;
    if (!decoder.feed(text, out))
        return fail(ErrorCode::Parse, fmt::format("bad hex digit in '{}'", excerpt(text)));
    if (!decoder.finish())
        return fail(ErrorCode::Parse, fmt::format("odd number of hex digits in '{}'", excerpt(text)));
    return out;
}

} // namespace signet
