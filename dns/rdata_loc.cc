// LOC (RFC 1876). Its presentation form has optional parts in the middle
// (minutes and seconds may be left out before the hemisphere) and encodes
// sizes as a power of ten, so it has its own codec rather than a field list.
#include <fmt/format.h>

#include <signet/base/excerpt.h>

#include "detail/rdata_internal.h"

namespace signet::dns::detail {

namespace {

// RFC 1876 §2: latitude and longitude are thousandths of an arc second with
// 2^31 at the equator and the prime meridian; altitude is centimetres above
// a base 100,000 m below the WGS 84 reference spheroid.
constexpr int64_t origin = int64_t(1) << 31;
constexpr int64_t altitude_base = 10'000'000;
constexpr int64_t thousandths_per_degree = 3'600'000;
constexpr size_t loc_length = 16;

// Size and precisions: one octet, high nibble a mantissa and low nibble a
// power of ten, both 0..9, in centimetres. The largest is 9e9 cm
// (90,000 km), the RFC's "90000000.00m".
constexpr uint64_t powers_of_ten[10] = {
    1, 10, 100, 1'000, 10'000, 100'000, 1'000'000, 10'000'000, 100'000'000, 1'000'000'000,
};
constexpr uint64_t max_precision_cm = 9 * powers_of_ten[9];

// RFC 1876 §3 defaults: size 1m, horizontal precision 10000m, vertical 10m.
constexpr uint8_t default_size = 0x12;
constexpr uint8_t default_horizontal = 0x16;
constexpr uint8_t default_vertical = 0x13;

// "12", "12.", "12.5" scaled by 10^decimals; an optional sign and an
// optional trailing "m" where the caller allows them.
std::optional<int64_t> parse_fixed(std::string_view text, size_t decimals, bool allow_sign, bool allow_unit)
{
    if (allow_unit && !text.empty() && (text.back() == 'm' || text.back() == 'M'))
        text.remove_suffix(1);
    bool negative = false;
    if (allow_sign && !text.empty() && text[0] == '-') {
        negative = true;
        text.remove_prefix(1);
    }
    size_t dot = text.find('.');
    std::string_view whole = text.substr(0, dot);
    std::string_view fraction = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
    if (fraction.size() > decimals)
        return std::nullopt;
    auto value = parse_decimal(whole, 100'000'000'000ull);
    if (!value)
        return std::nullopt;
    auto scaled = static_cast<int64_t>(*value);
    for (size_t i = 0; i < decimals; ++i) {
        int digit = 0;
        if (i < fraction.size()) {
            if (fraction[i] < '0' || fraction[i] > '9')
                return std::nullopt;
            digit = fraction[i] - '0';
        }
        scaled = scaled * 10 + digit;
    }
    return negative ? -scaled : scaled;
}

std::optional<uint8_t> encode_precision(int64_t centimetres)
{
    if (centimetres < 0 || static_cast<uint64_t>(centimetres) > max_precision_cm)
        return std::nullopt;
    auto value = static_cast<uint64_t>(centimetres);
    unsigned exponent = 0;
    while (exponent < 9 && value >= powers_of_ten[exponent + 1])
        ++exponent;
    // Precision below the power of ten is dropped, as RFC 1876 Appendix A's
    // reference code does.
    auto mantissa = static_cast<unsigned>(value / powers_of_ten[exponent]);
    return static_cast<uint8_t>((mantissa << 4) | exponent);
}

bool is_number(const Token& token) { return !token.text.empty() && token.text[0] >= '0' && token.text[0] <= '9'; }

// "d [m [s.sss]] H": degrees, optional minutes and seconds, hemisphere.
Result<uint32_t> parse_coordinate(std::span<const Token> tokens, size_t& next, bool latitude)
{
    const char* what = latitude ? "latitude" : "longitude";
    const int64_t max_degrees = latitude ? 90 : 180;
    const char positive = latitude ? 'N' : 'E';
    const char negative = latitude ? 'S' : 'W';
    if (next >= tokens.size())
        return fail(parse_error(fmt::format("missing RDATA field '{}' for LOC", what)));

    const Token& degrees_token = tokens[next++];
    auto degrees = parse_decimal(degrees_token.text, static_cast<uint64_t>(max_degrees));
    if (!degrees)
        return fail(token_error(degrees_token, fmt::format("bad {} degrees '{}' for LOC: expected 0 to {}", what,
                                                           excerpt(degrees_token.text), max_degrees)));
    uint64_t minutes = 0;
    int64_t thousandths = 0;
    if (next < tokens.size() && is_number(tokens[next])) {
        const Token& minutes_token = tokens[next++];
        auto value = parse_decimal(minutes_token.text, 59);
        if (!value)
            return fail(token_error(minutes_token, fmt::format("bad {} minutes '{}' for LOC: expected 0 to 59", what,
                                                               excerpt(minutes_token.text))));
        minutes = *value;
        if (next < tokens.size() && is_number(tokens[next])) {
            const Token& seconds_token = tokens[next++];
            auto seconds = parse_fixed(seconds_token.text, 3, false, false);
            if (!seconds || *seconds > 59'999)
                return fail(token_error(seconds_token, fmt::format("bad {} seconds '{}' for LOC: expected 0 to 59.999",
                                                                   what, excerpt(seconds_token.text))));
            thousandths = *seconds;
        }
    }
    if (next >= tokens.size())
        return fail(parse_error(fmt::format("missing {} hemisphere ({} or {}) for LOC", what, positive, negative)));
    const Token& hemisphere = tokens[next++];
    char h = hemisphere.text.size() == 1 ? static_cast<char>(hemisphere.text[0] & ~0x20) : '\0';
    if (h != positive && h != negative)
        return fail(token_error(hemisphere, fmt::format("bad {} hemisphere '{}' for LOC: expected {} or {}", what,
                                                        excerpt(hemisphere.text), positive, negative)));
    int64_t value = (static_cast<int64_t>(*degrees) * 3600 + static_cast<int64_t>(minutes) * 60) * 1000 + thousandths;
    if (value > max_degrees * thousandths_per_degree)
        return fail(token_error(degrees_token, fmt::format("{} is beyond {} degrees", what, max_degrees)));
    return static_cast<uint32_t>(h == positive ? origin + value : origin - value);
}

Result<void> loc_from_text(RRType, std::span<const Token> tokens, NameView, Bytes& out)
{
    size_t next = 0;
    uint32_t latitude = SIGNET_TRY(parse_coordinate(tokens, next, true));
    uint32_t longitude = SIGNET_TRY(parse_coordinate(tokens, next, false));
    if (next >= tokens.size())
        return fail(parse_error("missing RDATA field 'altitude' for LOC"));
    const Token& altitude_token = tokens[next++];
    auto altitude = parse_fixed(altitude_token.text, 2, true, true);
    int64_t stored = altitude ? *altitude + altitude_base : -1;
    if (stored < 0 || stored > int64_t(0xffffffff))
        return fail(token_error(altitude_token, fmt::format("bad altitude '{}' for LOC: expected -100000.00m to "
                                                            "42849672.95m",
                                                            excerpt(altitude_token.text))));

    uint8_t precisions[3] = { default_size, default_horizontal, default_vertical };
    static constexpr const char* names[3] = { "size", "horizontal precision", "vertical precision" };
    for (size_t i = 0; i < 3 && next < tokens.size(); ++i) {
        const Token& token = tokens[next++];
        auto centimetres = parse_fixed(token.text, 2, false, true);
        auto encoded = centimetres ? encode_precision(*centimetres) : std::nullopt;
        if (!encoded)
            return fail(token_error(token, fmt::format("bad {} '{}' for LOC: expected 0 to 90000000.00m", names[i],
                                                       excerpt(token.text))));
        precisions[i] = *encoded;
    }
    if (next < tokens.size())
        return fail(token_error(tokens[next],
            fmt::format("trailing data '{}' after LOC RDATA", excerpt(tokens[next].text))));

    out.push_back('\0'); // VERSION 0, the only one defined
    for (uint8_t precision : precisions)
        out.push_back(static_cast<char>(precision));
    append_u32(out, latitude);
    append_u32(out, longitude);
    append_u32(out, static_cast<uint32_t>(stored));
    return {};
}

Result<void> loc_check_wire(std::string_view wire)
{
    if (wire.size() != loc_length)
        return fail(parse_error(fmt::format("LOC RDATA must be 16 octets, not {}", wire.size())));
    // RFC 1876 §2: with any other version "the remainder of the fields" are
    // undefined, so nothing could be checked or printed.
    if (get_u8(wire, 0) != 0)
        return fail(parse_error(fmt::format("LOC version {} is not supported (only 0 is defined)", get_u8(wire, 0))));
    for (size_t i = 1; i <= 3; ++i) {
        // Digits 0..9; and a zero mantissa only as 0e0, since 0e3 would
        // print as zero and read back as 0e0 (BIND refuses it likewise).
        uint8_t precision = get_u8(wire, i);
        if ((precision >> 4) > 9 || (precision & 0x0f) > 9 || ((precision >> 4) == 0 && precision != 0))
            return fail(parse_error(fmt::format("LOC size or precision octet {:#04x} is not a valid mantissa and "
                                                "power of ten",
                                                precision)));
    }
    int64_t latitude = int64_t(get_u32(wire, 4)) - origin;
    int64_t longitude = int64_t(get_u32(wire, 8)) - origin;
    if (latitude > 90 * thousandths_per_degree || latitude < -90 * thousandths_per_degree)
        return fail(parse_error("LOC latitude is beyond 90 degrees"));
    if (longitude > 180 * thousandths_per_degree || longitude < -180 * thousandths_per_degree)
        return fail(parse_error("LOC longitude is beyond 180 degrees"));
    return {};
}

void append_coordinate(std::string& out, uint32_t raw, char positive, char negative)
{
    int64_t value = int64_t(raw) - origin;
    char hemisphere = value < 0 ? negative : positive;
    if (value < 0)
        value = -value;
    fmt::format_to(std::back_inserter(out), "{} {} {}.{:03} {}", value / thousandths_per_degree,
                   value / 60'000 % 60, value / 1000 % 60, value % 1000, hemisphere);
}

void append_precision(std::string& out, uint8_t precision)
{
    uint64_t mantissa = precision >> 4;
    unsigned exponent = precision & 0x0f;
    if (exponent >= 2)
        fmt::format_to(std::back_inserter(out), "{}m", mantissa * powers_of_ten[exponent - 2]);
    else
        fmt::format_to(std::back_inserter(out), "0.{:02}m", mantissa * powers_of_ten[exponent]);
}

// The form BIND prints, every part present:
// "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m".
bool loc_to_text(std::string_view wire, std::string& out)
{
    append_coordinate(out, get_u32(wire, 4), 'N', 'S');
    out.push_back(' ');
    append_coordinate(out, get_u32(wire, 8), 'E', 'W');
    int64_t altitude = int64_t(get_u32(wire, 12)) - altitude_base;
    fmt::format_to(std::back_inserter(out), " {}{}.{:02}m", altitude < 0 ? "-" : "", (altitude < 0 ? -altitude : altitude) / 100,
                   (altitude < 0 ? -altitude : altitude) % 100);
    for (size_t i = 1; i <= 3; ++i) {
        out.push_back(' ');
        append_precision(out, get_u8(wire, i));
    }
    return true;
}

} // namespace

const CustomCodec loc_codec { loc_from_text, loc_check_wire, loc_to_text };

} // namespace signet::dns::detail
