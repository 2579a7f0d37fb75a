// Presentation → wire for RDATA: the shared text helpers, and the engine
// that walks a type's field list (rdata_layout.cc) over the tokens. This is
// on the hot path of reading large zones, so it appends straight into one
// output buffer and formats messages only when there is an error.
#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <optional>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include <signet/base/duration.h>
#include <signet/base/excerpt.h>
#include <signet/base/hex.h>

#include "detail/rdata_internal.h"

namespace signet::dns {

namespace detail {

Error token_error(const Token& token, std::string message)
{
    return Error(ErrorCode::Parse, std::move(message), SourceLocation { "", 0, token.column });
}

Error parse_error(std::string message) { return Error(ErrorCode::Parse, std::move(message)); }

std::optional<uint64_t> parse_decimal(std::string_view text, uint64_t max)
{
    if (text.empty() || text.size() > 20)
        return std::nullopt;
    uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
        value = value * 10 + static_cast<uint64_t>(c - '0');
        if (value > max)
            return std::nullopt;
    }
    return value;
}

bool parse_ipv4(std::string_view text, uint8_t* out)
{
    size_t i = 0;
    for (size_t part = 0; part < 4; ++part) {
        if (part > 0) {
            if (i >= text.size() || text[i] != '.')
                return false;
            ++i;
        }
        size_t start = i;
        unsigned value = 0;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9' && i - start < 3)
            value = value * 10 + static_cast<unsigned>(text[i++] - '0');
        // A leading zero could be read as octal elsewhere; refuse it as
        // inet_pton does.
        if (i == start || value > 255 || (i - start > 1 && text[start] == '0'))
            return false;
        out[part] = static_cast<uint8_t>(value);
    }
    return i == text.size();
}

bool parse_ipv6(std::string_view text, uint8_t* out)
{
    // RFC 4291 §2.2, with what inet_pton(AF_INET6) accepts: groups of one to
    // four hex digits, at most one "::", and a dotted quad (no leading
    // zeros) in place of the last two groups. Written out because the
    // reader parses an address for every AAAA record.
    constexpr size_t longest = 46; // INET6_ADDRSTRLEN without its NUL
    if (text.empty() || text.size() > longest)
        return false;
    std::array<uint8_t, 16> address {};
    size_t filled = 0; // octets written
    std::optional<size_t> gap; // where "::" stands
    size_t i = 0;
    if (text[0] == ':') {
        if (text.size() < 2 || text[1] != ':')
            return false;
        gap = 0;
        i = 2;
    }
    while (i < text.size()) {
        size_t start = i;
        unsigned value = 0;
        while (i < text.size() && i - start < 5) {
            char c = text[i];
            int digit = c >= '0' && c <= '9' ? c - '0'
                : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
                                                        : -1;
            if (digit < 0)
                break;
            value = value * 16 + static_cast<unsigned>(digit);
            ++i;
        }
        if (i - start > 4)
            return false;
        if (i < text.size() && text[i] == '.') {
            // The dotted quad ends the address.
            if (filled + 4 > 16 || !parse_ipv4(text.substr(start), address.data() + filled))
                return false;
            filled += 4;
            i = text.size();
            break;
        }
        if (i == start)
            return false;
        if (filled + 2 > 16)
            return false;
        address[filled++] = static_cast<uint8_t>(value >> 8);
        address[filled++] = static_cast<uint8_t>(value & 0xff);
        if (i == text.size())
            break;
        if (text[i] != ':')
            return false;
        ++i;
        if (i == text.size())
            return false; // a trailing single ':'
        if (text[i] == ':') {
            if (gap)
                return false;
            gap = filled;
            ++i;
        }
    }
    if (gap) {
        // "::" stands for at least one group of zeros.
        if (filled == 16)
            return false;
        size_t tail = filled - *gap;
        std::memmove(address.data() + 16 - tail, address.data() + *gap, tail);
        std::memset(address.data() + *gap, 0, 16 - tail - *gap);
    } else if (filled != 16) {
        return false;
    }
    std::memcpy(out, address.data(), 16);
    return true;
}

bool decode_escapes(std::string_view text, Bytes& out)
{
    size_t pos = 0;
    while (pos < text.size()) {
        size_t slash = text.find('\\', pos);
        if (slash == std::string_view::npos) {
            out.append(text.substr(pos));
            return true;
        }
        out.append(text.substr(pos, slash - pos));
        size_t i = slash + 1;
        if (i >= text.size())
            return false;
        char c = text[i];
        if (c >= '0' && c <= '9') {
            // RFC 1035 §5.1: "\DDD where each D is a digit is the octet
            // corresponding to the decimal number described by DDD".
            if (i + 2 >= text.size() || text[i + 1] < '0' || text[i + 1] > '9' || text[i + 2] < '0'
                || text[i + 2] > '9')
                return false;
            int value = (c - '0') * 100 + (text[i + 1] - '0') * 10 + (text[i + 2] - '0');
            if (value > 255)
                return false;
            out.push_back(static_cast<char>(value));
            pos = i + 3;
        } else {
            out.push_back(c);
            pos = i + 1;
        }
    }
    return true;
}

int hex_digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool is_x25_address(std::string_view text)
{
    return text.size() >= 4 && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_decimal_number(std::string_view text)
{
    if (!text.empty() && (text[0] == '-' || text[0] == '+'))
        text.remove_prefix(1);
    size_t digits = 0;
    bool dot = false;
    for (char c : text) {
        if (c >= '0' && c <= '9')
            ++digits;
        else if (c == '.' && !dot)
            dot = true;
        else
            return false;
    }
    return digits > 0;
}

void append_quoted(std::string& out, std::string_view bytes)
{
    out.push_back('"');
    for (char ch : bytes) {
        auto c = static_cast<uint8_t>(ch);
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(ch);
        } else if (c < 0x20 || c > 0x7e) {
            char escape[4] = { '\\', static_cast<char>('0' + c / 100), static_cast<char>('0' + c / 10 % 10),
                               static_cast<char>('0' + c % 10) };
            out.append(escape, 4);
        } else {
            out.push_back(ch);
        }
    }
    out.push_back('"');
}

void append_ipv4_text(std::string& out, std::string_view four)
{
    fmt::format_to(std::back_inserter(out), "{}.{}.{}.{}", get_u8(four, 0), get_u8(four, 1), get_u8(four, 2),
                   get_u8(four, 3));
}

void append_ipv6_text(std::string& out, std::string_view sixteen)
{
    std::array<char, INET6_ADDRSTRLEN> buffer;
    if (inet_ntop(AF_INET6, sixteen.data(), buffer.data(), buffer.size()))
        out += buffer.data();
}

void append_generic(std::string& out, std::string_view wire)
{
    fmt::format_to(std::back_inserter(out), "\\# {}", wire.size());
    if (!wire.empty()) {
        out.push_back(' ');
        signet::append_hex(out, wire, HexCase::Upper);
    }
}

} // namespace detail

namespace {

using namespace detail;

constexpr uint64_t max_u32 = 0xffffffffull;

// RFC 4034 §3.2: YYYYMMDDHHmmSS in UTC, or decimal seconds since the epoch.
// A date is stored as its seconds since 1970 modulo 2^32 (RFC 4034 §3.1.5).
std::optional<uint32_t> parse_time(std::string_view text)
{
    if (text.size() != 14)
        return text.size() <= 10 ? parse_decimal(text, max_u32) : std::nullopt;
    for (char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
    }
    auto number = [&](size_t pos, size_t length) {
        int value = 0;
        for (size_t i = pos; i < pos + length; ++i)
            value = value * 10 + (text[i] - '0');
        return value;
    };
    int y = number(0, 4);
    int mo = number(4, 2);
    int d = number(6, 2);
    int h = number(8, 2);
    int mi = number(10, 2);
    int s = number(12, 2);
    std::chrono::year_month_day date { std::chrono::year(y), std::chrono::month(static_cast<unsigned>(mo)),
                                       std::chrono::day(static_cast<unsigned>(d)) };
    if (y < 1970 || !date.ok() || h > 23 || mi > 59 || s > 59)
        return std::nullopt;
    int64_t days = std::chrono::sys_days(date).time_since_epoch().count();
    int64_t seconds = days * 86400 + h * 3600 + mi * 60 + s;
    return static_cast<uint32_t>(static_cast<uint64_t>(seconds) & max_u32);
}

bool is_alnum(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Walks one type's fields over the tokens, appending wire data to `out`.
class FieldParser {
public:
    FieldParser(RRType type, std::span<const Token> tokens, NameView origin, Bytes& out)
        : type_(type)
        , tokens_(tokens)
        , origin_(origin)
        , out_(out)
    {
    }

    Result<void> parse(const Field& field);
    size_t next() const { return next_; }

private:
    Result<const Token*> take(const Field& field)
    {
        if (next_ >= tokens_.size())
            return fail(missing(field));
        return &tokens_[next_++];
    }
    Error missing(const Field& field) const
    {
        return parse_error(fmt::format("missing RDATA field '{}' for {}", field.name, type_to_text(type_)));
    }
    Error bad(const Token& token, const Field& field, std::string_view why = {}) const
    {
        if (why.empty())
            return token_error(token,
                fmt::format("bad {} '{}' for {}", field.name, excerpt(token.text), type_to_text(type_)));
        return token_error(token,
                           fmt::format("bad {} '{}' for {}: {}", field.name, excerpt(token.text),
                                       type_to_text(type_), why));
    }
    Result<void> number(const Field& field, uint64_t max, int octets);
    Result<void> char_string(const Token& token, const Field& field);
    Result<void> type_bitmap(const Field& field);
    // Data in an encoding split over the tokens from `first` on (base64 or
    // hex: Base64Stream or HexDecoder).
    template <class Stream>
    Result<void> encoded_rest(const Token& first, const Field& field);
    Result<void> hex_groups(const Field& field, char separator, size_t groups, size_t digits);
    Result<void> gateway(const Field& field);

    RRType type_;
    std::span<const Token> tokens_;
    NameView origin_;
    Bytes& out_;
    size_t next_ = 0;
};

Result<void> FieldParser::number(const Field& field, uint64_t max, int octets)
{
    const Token& token = *SIGNET_TRY(take(field));
    auto value = parse_decimal(token.text, max);
    if (!value)
        return fail(bad(token, field, fmt::format("expected a number from 0 to {}", max)));
    for (int shift = (octets - 1) * 8; shift >= 0; shift -= 8)
        out_.push_back(static_cast<char>((*value >> shift) & 0xff));
    return {};
}

Result<void> FieldParser::char_string(const Token& token, const Field& field)
{
    size_t at = out_.size();
    out_.push_back('\0');
    if (!decode_escapes(token.text, out_))
        return fail(bad(token, field, "malformed escape"));
    size_t length = out_.size() - at - 1;
    // RFC 1035 §3.3: a <character-string> is at most 255 octets.
    if (length > 255)
        return fail(token_error(token, fmt::format("character-string '{}...' is {} octets long; the limit is 255",
                                                  excerpt(token.text.substr(0, 24)), length)));
    out_[at] = static_cast<char>(length);
    return {};
}

Result<void> FieldParser::type_bitmap(const Field& field)
{
    constexpr size_t small = 64;
    std::array<uint16_t, small> stack;
    std::vector<uint16_t> heap;
    size_t count = tokens_.size() - next_;
    std::span<uint16_t> types;
    if (count <= small) {
        types = std::span(stack.data(), count);
    } else {
        heap.resize(count);
        types = heap;
    }
    for (size_t i = 0; i < count; ++i) {
        const Token& token = tokens_[next_++];
        auto type = type_from_text(token.text);
        if (!type)
            return fail(bad(token, field, "not an RR type mnemonic or TYPEnnn"));
        types[i] = static_cast<uint16_t>(*type);
    }
    append_type_bitmap(out_, types);
    return {};
}

template <class Stream>
Result<void> FieldParser::encoded_rest(const Token& first, const Field& field)
{
    constexpr bool base64 = std::is_same_v<Stream, Base64Stream>;
    Stream stream;
    const Token* token = &first;
    while (true) {
        if (!stream.feed(token->text, out_))
            return fail(bad(*token, field, base64 ? "not base64" : "not hex"));
        if (next_ >= tokens_.size())
            break;
        token = &tokens_[next_++];
    }
    if (!stream.finish())
        return fail(bad(*token, field,
                        base64 ? "base64 data ends in an incomplete quantum" : "odd number of hex digits"));
    return {};
}

// `groups` groups of 1 to `digits` hex digits, `separator` between them,
// each group `digits / 2` octets: EUI-48/64 (RFC 7043) and 64-bit locators
// (RFC 6742).
Result<void> FieldParser::hex_groups(const Field& field, char separator, size_t groups, size_t digits)
{
    const Token& token = *SIGNET_TRY(take(field));
    std::string_view text = token.text;
    for (size_t group = 0; group < groups; ++group) {
        if (group > 0) {
            if (text.empty() || text[0] != separator)
                return fail(bad(token, field, fmt::format("expected {} groups of hex digits separated by '{}'",
                                                          groups, separator)));
            text.remove_prefix(1);
        }
        uint32_t value = 0;
        size_t length = 0;
        while (length < text.size() && length <= digits && hex_digit_value(text[length]) >= 0)
            value = value << 4 | static_cast<uint32_t>(hex_digit_value(text[length++]));
        if (length == 0 || length > digits)
            return fail(bad(token, field, fmt::format("expected {} groups of 1 to {} hex digits", groups, digits)));
        text.remove_prefix(length);
        for (size_t shift = digits * 4; shift > 0; shift -= 8)
            out_.push_back(static_cast<char>((value >> (shift - 8)) & 0xff));
    }
    if (!text.empty())
        return fail(bad(token, field, fmt::format("expected {} groups of hex digits separated by '{}'",
                                                  groups, separator)));
    return {};
}

// The gateway of IPSECKEY (RFC 4025 §2.5) or relay of AMTRELAY (RFC 8777
// §4.2.4), in the form the type before it names.
Result<void> FieldParser::gateway(const Field& field)
{
    const Token& token = *SIGNET_TRY(take(field));
    switch (gateway_type(type_, get_u8(out_, 1))) {
    case 0:
        if (token.text != ".")
            return fail(bad(token, field, "type 0 has no gateway: write '.'"));
        return {};
    case 1: {
        uint8_t address[4];
        if (!parse_ipv4(token.text, address))
            return fail(bad(token, field, "type 1 is an IPv4 address"));
        out_.append(reinterpret_cast<const char*>(address), 4);
        return {};
    }
    case 2: {
        uint8_t address[16];
        if (!parse_ipv6(token.text, address))
            return fail(bad(token, field, "type 2 is an IPv6 address"));
        out_.append(reinterpret_cast<const char*>(address), 16);
        return {};
    }
    case 3: {
        auto name = Name::append_from_text(token.text, origin_, out_);
        if (!name)
            return fail(bad(token, field, name.error().message()));
        return {};
    }
    default:
        return fail(bad(token, field, fmt::format("gateway type {} is not defined (types are 0 to 3)",
                                                  gateway_type(type_, get_u8(out_, 1)))));
    }
}

Result<void> FieldParser::parse(const Field& field)
{
    switch (field.kind) {
    case FieldKind::U8:
        return number(field, 0xff, 1);
    case FieldKind::U16:
        return number(field, 0xffff, 2);
    case FieldKind::U32:
        return number(field, max_u32, 4);
    case FieldKind::Ttl32: {
        const Token& token = *SIGNET_TRY(take(field));
        // The master-file TTL syntax (RFC 2308 §4), as far as 32 bits go.
        auto value = parse_seconds(token.text, max_u32);
        if (!value)
            return fail(bad(token, field, "expected seconds or a TTL such as 1h30m"));
        append_u32(out_, static_cast<uint32_t>(*value));
        return {};
    }
    case FieldKind::Time32: {
        const Token& token = *SIGNET_TRY(take(field));
        auto value = parse_time(token.text);
        if (!value)
            return fail(bad(token, field, "expected YYYYMMDDHHmmSS or seconds since 1970"));
        append_u32(out_, *value);
        return {};
    }
    case FieldKind::Name: {
        const Token& token = *SIGNET_TRY(take(field));
        auto name = Name::append_from_text(token.text, origin_, out_);
        if (!name)
            return fail(bad(token, field, name.error().message()));
        return {};
    }
    case FieldKind::IPv4: {
        const Token& token = *SIGNET_TRY(take(field));
        uint8_t address[4];
        if (!parse_ipv4(token.text, address))
            return fail(token_error(token, fmt::format("bad IPv4 address '{}'", excerpt(token.text))));
        out_.append(reinterpret_cast<const char*>(address), 4);
        return {};
    }
    case FieldKind::IPv6: {
        const Token& token = *SIGNET_TRY(take(field));
        uint8_t address[16];
        if (!parse_ipv6(token.text, address))
            return fail(token_error(token, fmt::format("bad IPv6 address '{}'", excerpt(token.text))));
        out_.append(reinterpret_cast<const char*>(address), 16);
        return {};
    }
    case FieldKind::CharString:
        return char_string(*SIGNET_TRY(take(field)), field);
    case FieldKind::CharStrings: {
        // RFC 1035 §3.3.14: "One or more <character-string>s".
        SIGNET_TRY(char_string(*SIGNET_TRY(take(field)), field));
        while (next_ < tokens_.size())
            SIGNET_TRY(char_string(tokens_[next_++], field));
        return {};
    }
    case FieldKind::StringRest: {
        const Token& token = *SIGNET_TRY(take(field));
        if (!decode_escapes(token.text, out_))
            return fail(bad(token, field, "malformed escape"));
        return {};
    }
    case FieldKind::CaaTag: {
        const Token& token = *SIGNET_TRY(take(field));
        // RFC 8659 §4.1: the tag is one or more ASCII letters and digits.
        if (token.text.empty() || token.text.size() > 255
            || !std::all_of(token.text.begin(), token.text.end(), is_alnum))
            return fail(bad(token, field, "a tag is 1 to 255 letters and digits"));
        out_.push_back(static_cast<char>(token.text.size()));
        out_ += token.text;
        return {};
    }
    case FieldKind::Base64Rest:
        return encoded_rest<Base64Stream>(*SIGNET_TRY(take(field)), field);
    case FieldKind::HexRest:
        return encoded_rest<HexDecoder>(*SIGNET_TRY(take(field)), field);
    case FieldKind::Salt: {
        const Token& token = *SIGNET_TRY(take(field));
        size_t at = out_.size();
        out_.push_back('\0');
        // RFC 5155 §3.3: "-" stands for an empty salt.
        if (token.text != "-") {
            HexDecoder stream;
            if (!stream.feed(token.text, out_) || !stream.finish())
                return fail(bad(token, field, "expected hex or '-'"));
            if (out_.size() - at - 1 > 255)
                return fail(bad(token, field, "longer than 255 octets"));
        }
        out_[at] = static_cast<char>(out_.size() - at - 1);
        return {};
    }
    case FieldKind::Base32HexNext: {
        const Token& token = *SIGNET_TRY(take(field));
        size_t at = out_.size();
        out_.push_back('\0');
        if (!decode_base32hex(token.text, out_))
            return fail(bad(token, field, "not base32hex"));
        size_t length = out_.size() - at - 1;
        if (length == 0 || length > 255)
            return fail(bad(token, field, "must be 1 to 255 octets"));
        out_[at] = static_cast<char>(length);
        return {};
    }
    case FieldKind::TypeBitmapRest:
        return type_bitmap(field);
    case FieldKind::TypeCovered: {
        const Token& token = *SIGNET_TRY(take(field));
        auto type = type_from_text(token.text);
        if (!type)
            return fail(bad(token, field, "not an RR type mnemonic or TYPEnnn"));
        append_u16(out_, static_cast<uint16_t>(*type));
        return {};
    }
    case FieldKind::Algorithm: {
        const Token& token = *SIGNET_TRY(take(field));
        auto algorithm = algorithm_from_text(token.text);
        if (!algorithm)
            return fail(bad(token, field, "expected 0 to 255 or a mnemonic such as ECDSAP256SHA256"));
        out_.push_back(static_cast<char>(*algorithm));
        return {};
    }
    case FieldKind::CertType: {
        const Token& token = *SIGNET_TRY(take(field));
        auto cert_type = cert_type_from_text(token.text);
        if (!cert_type)
            return fail(bad(token, field, "expected 0 to 65535 or a mnemonic such as PKIX"));
        append_u16(out_, *cert_type);
        return {};
    }
    case FieldKind::OptCharString:
        if (next_ < tokens_.size())
            return char_string(tokens_[next_++], field);
        return {};
    case FieldKind::X25Address: {
        const Token& token = *SIGNET_TRY(take(field));
        size_t at = out_.size();
        SIGNET_TRY(char_string(token, field));
        if (!is_x25_address(std::string_view(out_).substr(at + 1)))
            return fail(bad(token, field, "a PSDN address is at least 4 decimal digits (RFC 1183 §3.1)"));
        return {};
    }
    case FieldKind::Decimal: {
        const Token& token = *SIGNET_TRY(take(field));
        size_t at = out_.size();
        SIGNET_TRY(char_string(token, field));
        if (!is_decimal_number(std::string_view(out_).substr(at + 1)))
            return fail(bad(token, field, "expected a decimal number such as -22.6882"));
        return {};
    }
    case FieldKind::Eui48:
        return hex_groups(field, '-', 6, 2);
    case FieldKind::Eui64:
        return hex_groups(field, '-', 8, 2);
    case FieldKind::Locator64:
        return hex_groups(field, ':', 4, 4);
    case FieldKind::NsapRest: {
        const Token& token = *SIGNET_TRY(take(field));
        std::string_view text = token.text;
        if (text.size() < 3 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X'))
            return fail(bad(token, field, "expected '0x' and hex digits"));
        std::string digits;
        for (char c : text.substr(2)) {
            if (c != '.')
                digits.push_back(c);
        }
        HexDecoder stream;
        if (text.back() == '.' || !stream.feed(digits, out_) || !stream.finish() || digits.empty())
            return fail(bad(token, field, "expected '0x' and an even number of hex digits, '.' between them"));
        return {};
    }
    case FieldKind::AtmaRest: {
        const Token& token = *SIGNET_TRY(take(field));
        std::string_view text = token.text;
        if (!text.empty() && text[0] == '+') {
            // E.164: format 1, the digits as ASCII.
            text.remove_prefix(1);
            if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
                return fail(bad(token, field, "an E.164 address is '+' and decimal digits"));
            out_.push_back('\1');
            out_ += text;
            return {};
        }
        // NSAP: format 0, hex digits with optional '.' between them.
        out_.push_back('\0');
        std::string digits;
        for (char c : text) {
            if (c != '.')
                digits.push_back(c);
        }
        HexDecoder stream;
        if (digits.empty() || text.back() == '.' || !stream.feed(digits, out_) || !stream.finish())
            return fail(bad(token, field, "expected '+' and E.164 digits, or an NSAP address in hex"));
        return {};
    }
    case FieldKind::DType: {
        const Token& d = *SIGNET_TRY(take(field));
        if (d.text != "0" && d.text != "1")
            return fail(bad(d, field, "the D bit is 0 or 1"));
        const Token& token = *SIGNET_TRY(take(field));
        auto type = parse_decimal(token.text, 127);
        if (!type)
            return fail(bad(token, field, "expected a relay type from 0 to 127"));
        out_.push_back(static_cast<char>((d.text == "1" ? 0x80 : 0) | *type));
        return {};
    }
    case FieldKind::Gateway:
        return gateway(field);
    case FieldKind::Base64OptRest:
        if (next_ < tokens_.size())
            return encoded_rest<Base64Stream>(tokens_[next_++], field);
        return {};
    case FieldKind::DsyncScheme: {
        const Token& token = *SIGNET_TRY(take(field));
        constexpr std::string_view notify = "notify";
        if (std::equal(token.text.begin(), token.text.end(), notify.begin(), notify.end(),
                       [](char a, char b) { return (a | 0x20) == b; })) {
            out_.push_back('\1');
            return {};
        }
        auto scheme = parse_decimal(token.text, 255);
        if (!scheme)
            return fail(bad(token, field, "expected 0 to 255 or NOTIFY"));
        out_.push_back(static_cast<char>(*scheme));
        return {};
    }
    case FieldKind::Base64DashRest: {
        const Token& token = *SIGNET_TRY(take(field));
        if (token.text == "-" && next_ == tokens_.size())
            return {};
        return encoded_rest<Base64Stream>(token, field);
    }
    }
    return fail(parse_error("internal error: unhandled RDATA field kind"));
}

// RFC 3597 §5: "\#", the RDATA length in octets, then the data in hex split
// over any number of tokens.
Result<void> generic_from_text(RRType type, std::span<const Token> tokens, Bytes& out)
{
    const Token& marker = tokens[0];
    if (tokens.size() < 2)
        return fail(token_error(marker, "missing RDATA length after '\\#'"));
    const Token& length_token = tokens[1];
    auto length = parse_decimal(length_token.text, max_rdata_length);
    if (!length)
        return fail(token_error(length_token,
            fmt::format("bad RDATA length '{}' after '\\#'", excerpt(length_token.text))));
    out.reserve(*length);
    HexDecoder stream;
    for (size_t i = 2; i < tokens.size(); ++i) {
        if (!stream.feed(tokens[i].text, out))
            return fail(token_error(tokens[i], fmt::format("bad hex '{}' in generic RDATA", excerpt(tokens[i].text))));
    }
    if (!stream.finish())
        return fail(token_error(tokens.back(), "odd number of hex digits in generic RDATA"));
    if (out.size() != *length)
        return fail(token_error(length_token, fmt::format("generic RDATA length {} does not match the {} octets given",
                                                         *length, out.size())));
    if (is_known_type(type)) {
        auto valid = rdata_check_wire(type, out);
        if (!valid)
            return fail(token_error(marker, fmt::format("generic RDATA is not valid {} RDATA: {}", type_to_text(type),
                                                        valid.error().message())));
    }
    // RFC 4034 §4.1.2 wants type bitmaps as short as they can be; a longer
    // one is read, but kept in the minimal form, so the data printed (and
    // signed) is what every reader accepts. BIND refuses the longer form.
    if (type == RRType::NSEC || type == RRType::NSEC3)
        minimize_type_bitmap(type, out);
    return {};
}

} // namespace

Result<Bytes> rdata_from_text(RRType type, std::span<const Token> tokens, NameView origin)
{
    Bytes out;
    SIGNET_TRY(rdata_from_text(type, tokens, origin, out));
    return out;
}

Result<void> rdata_from_text(RRType type, std::span<const Token> tokens, NameView origin, Bytes& out)
{
    out.clear();
    // RFC 1035 §3.3.4 and §3.3.5: "The recommended policy for dealing with
    // MD [and MF] RRs found in a master file is to reject them, or to convert
    // them to MX RRs" (as BIND does, in either form).
    if (type == RRType::MD || type == RRType::MF) {
        std::string message = fmt::format("type {} is obsolete and refused in master files (RFC 1035 §3.3.{}): "
                                          "write 'MX {} <host>' instead",
                                          type_to_text(type), type == RRType::MD ? 4 : 5, type == RRType::MD ? 0 : 10);
        if (tokens.empty())
            return fail(parse_error(std::move(message)));
        return fail(token_error(tokens[0], std::move(message)));
    }
    if (!tokens.empty() && !tokens[0].quoted && tokens[0].text == "\\#")
        return generic_from_text(type, tokens, out);
    const Layout* layout = find_layout(type);
    if (!layout) {
        std::string message = fmt::format(
            "type {} has no presentation format (none is defined); write its RDATA in the RFC 3597 form '\\# <length> <hex>'",
            type_to_text(type));
        if (tokens.empty())
            return fail(parse_error(std::move(message)));
        return fail(token_error(tokens[0], std::move(message)));
    }

    // The wire form is rarely longer than the text, so one reservation
    // usually covers it (and a reused buffer soon needs none).
    size_t estimate = 16;
    for (const auto& token : tokens)
        estimate += token.text.size() + 2;
    out.reserve(estimate);

    if (layout->custom) {
        SIGNET_TRY(layout->custom->from_text(type, tokens, origin, out));
    } else {
        FieldParser parser(type, tokens, origin, out);
        for (const Field& field : layout->fields)
            SIGNET_TRY(parser.parse(field));
        if (parser.next() < tokens.size()) {
            const Token& extra = tokens[parser.next()];
            return fail(token_error(extra,
                fmt::format("trailing data '{}' after {} RDATA", excerpt(extra.text), type_to_text(type))));
        }
    }
    if (out.size() > max_rdata_length)
        return fail(parse_error(fmt::format("{} RDATA is {} octets long; the limit is 65535", type_to_text(type), out.size())));
    if (layout->extra_check) {
        auto valid = layout->extra_check(out);
        if (!valid) {
            Error error = std::move(valid.error());
            if (!tokens.empty())
                return fail(token_error(tokens.back(), error.message()));
            return fail(std::move(error));
        }
    }
    return {};
}

} // namespace signet::dns
