// The URI Template syntax of RFC 6570 §2, as far as a dohpath needs it:
// literals, expressions of comma-separated variables with their operator
// and modifiers. Level 4 is accepted whole, since RFC 9461 sets no level.
#include "detail/uri_template.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace signet::dns::detail {

namespace {

// RFC 3629 §4: well-formed UTF-8, without surrogates or anything above
// U+10FFFF.
bool is_utf8(std::string_view text)
{
    for (size_t i = 0; i < text.size();) {
        const auto c = static_cast<uint8_t>(text[i]);
        size_t more = 0;
        uint8_t low = 0x80, high = 0xbf; // for the first continuation octet
        if (c < 0x80) {
            ++i;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            more = 1;
        else if (c >= 0xe0 && c <= 0xef) {
            more = 2;
            low = c == 0xe0 ? 0xa0 : 0x80;
            high = c == 0xed ? 0x9f : 0xbf;
        } else if (c >= 0xf0 && c <= 0xf4) {
            more = 3;
            low = c == 0xf0 ? 0x90 : 0x80;
            high = c == 0xf4 ? 0x8f : 0xbf;
        } else
            return false;
        if (text.size() - i - 1 < more)
            return false;
        for (size_t k = 1; k <= more; ++k) {
            const auto d = static_cast<uint8_t>(text[i + k]);
            if (d < (k == 1 ? low : 0x80) || d > (k == 1 ? high : 0xbf))
                return false;
        }
        i += 1 + more;
    }
    return true;
}

bool is_hex_digit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// One varspec of a URI template expression: a varname of letters, digits,
// "_", "." and %-escapes, then a prefix (":" and 1 to 4 digits) or an
// explode ("*") modifier (RFC 6570 §2.3, §2.4). Sets `dns` when it names
// the "dns" variable.
bool check_varspec(std::string_view spec, bool& dns)
{
    const size_t stop = spec.find_first_of(":*");
    const std::string_view name = spec.substr(0, stop);
    if (name.empty() || name.front() == '.' || name.back() == '.')
        return false;
    for (size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        if (c == '%') {
            if (name.size() - i < 3 || !is_hex_digit(name[i + 1]) || !is_hex_digit(name[i + 2]))
                return false;
            i += 2;
        } else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
                     || c == '.'))
            return false;
    }
    dns |= name == "dns";
    if (stop == std::string_view::npos)
        return true;
    const std::string_view modifier = spec.substr(stop);
    if (modifier == "*")
        return true;
    return modifier.size() >= 2 && modifier.size() <= 5 && modifier[1] != '0'
        && std::all_of(modifier.begin() + 1, modifier.end(), [](char c) { return c >= '0' && c <= '9'; });
}

} // namespace

std::string_view dohpath_error(std::string_view value)
{
    if (!is_utf8(value))
        return "must be UTF-8 (RFC 9461 §5)";
    if (value.empty() || value[0] != '/')
        return "must be a relative URI template for the DoH path, starting with '/' (RFC 9461 §5)";
    bool dns = false;
    for (size_t i = 0; i < value.size(); ++i) {
        const auto c = static_cast<uint8_t>(value[i]);
        if (c == '{') {
            const size_t end = value.find('}', i + 1);
            if (end == std::string_view::npos)
                return "has a '{' without its '}' (RFC 6570 §2.2)";
            std::string_view expression = value.substr(i + 1, end - i - 1);
            if (!expression.empty() && std::string_view("+#./;?&").find(expression[0]) != std::string_view::npos)
                expression.remove_prefix(1);
            for (size_t start = 0;;) {
                const size_t comma = expression.find(',', start);
                if (!check_varspec(expression.substr(start, comma - start), dns))
                    return "has a malformed URI template expression (RFC 6570 §2.2)";
                if (comma == std::string_view::npos)
                    break;
                start = comma + 1;
            }
            i = end;
        } else if (c == '%') {
            if (value.size() - i < 3 || !is_hex_digit(value[i + 1]) || !is_hex_digit(value[i + 2]))
                return "has a '%' that starts no %-escape (RFC 6570 §2.1)";
            i += 2;
        } else if (c <= 0x20 || c == 0x7f || std::string_view("\"'<>\\^`|}").find(static_cast<char>(c))
                                                 != std::string_view::npos) {
            return "has a character that a URI template allows only %-escaped (RFC 6570 §2.1)";
        }
    }
    if (!dns)
        return "must contain the variable \"dns\", as in \"/dns-query{?dns}\" (RFC 9461 §5)";
    return {};
}

} // namespace signet::dns::detail
