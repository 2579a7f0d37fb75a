// SVCB and HTTPS (RFC 9460). After the priority and target name come
// SvcParams written key=value in any order, each value with its own syntax
// (lists with escaped commas, addresses, base64), and the wire form wants
// them sorted and unique; so these types have their own codec. Every key
// Signet knows (detail/svcb.h) has its value checked the same way whether
// it comes as text or as wire data, and is written back in its own
// presentation format; any other key is opaque octets named "keyNNNNN".
#include "detail/svcb.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include <signet/base/excerpt.h>

#include "detail/rdata_internal.h"
#include "detail/uri_template.h"

namespace signet::dns::detail {

namespace {

// Presentation names, by key number.
constexpr std::string_view key_names[] = {
    "mandatory", "alpn", "no-default-alpn", "port", "ipv4hint", "ech", "ipv6hint", "dohpath", "ohttp",
};

std::string key_text(uint16_t key)
{
    if (key < std::size(key_names))
        return std::string(key_names[key]);
    return fmt::format("key{}", key);
}

struct KeyName {
    uint16_t key;
    // Written "keyNNNNN": then the value is the wire octets, whatever the
    // key (RFC 9460 §2.1), and checked as wire data.
    bool generic;
};

// RFC 9460 §2.1: a SvcParamKey is 1*63(ALPHA-LC / DIGIT / "-"), a
// registered name or "key" and the number without leading zeros. Upper
// case is refused rather than folded: other readers refuse it too, so a
// zone that relies on it would not load elsewhere.
Result<KeyName> key_from_text(std::string_view text)
{
    if (text.empty())
        return fail(parse_error("missing SvcParamKey"));
    bool upper = false, valid = text.size() <= 63;
    for (char c : text) {
        if (c >= 'A' && c <= 'Z')
            upper = true;
        else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            valid = false;
    }
    if (!valid)
        return fail(parse_error(fmt::format(
            "bad SvcParamKey '{}': a key is 1 to 63 of a-z, 0-9 and '-' (RFC 9460 §2.1)", excerpt(text))));
    if (upper) {
        std::string lower(text);
        for (char& c : lower) {
            if (c >= 'A' && c <= 'Z')
                c = static_cast<char>(c + ('a' - 'A'));
        }
        return fail(parse_error(
            fmt::format("SvcParamKey '{}' must be lower-case, as '{}' (RFC 9460 §2.1)", text, lower)));
    }
    for (size_t i = 0; i < std::size(key_names); ++i) {
        if (text == key_names[i])
            return KeyName { static_cast<uint16_t>(i), false };
    }
    if (text.size() > 3 && text.starts_with("key")
        && std::all_of(text.begin() + 3, text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        const std::string_view digits = text.substr(3);
        auto number = parse_decimal(digits, 65535);
        if (!number)
            return fail(parse_error(fmt::format("SvcParamKey '{}' is out of range: keys go up to 65535", text)));
        if (digits.size() > 1 && digits[0] == '0')
            return fail(parse_error(
                fmt::format("SvcParamKey '{}' has a leading zero: write 'key{}' (RFC 9460 §2.1)", text, *number)));
        return KeyName { static_cast<uint16_t>(*number), true };
    }
    return fail(parse_error(fmt::format(
        "unknown SvcParamKey '{}': write a key Signet does not know as keyNNNNN, with its number (RFC 9460 §2.1)",
        text)));
}

// Calls `item` for each comma-separated part of `value`.
template <typename F>
bool for_each_item(std::string_view value, F&& item)
{
    size_t start = 0;
    while (true) {
        size_t comma = value.find(',', start);
        if (!item(value.substr(start, comma - start)))
            return false;
        if (comma == std::string_view::npos)
            return true;
        start = comma + 1;
    }
}

// RFC 9460 Appendix A.1: a value-list, where "\," is a comma inside an item
// and "\\" a backslash, after the usual <character-string> escapes. No other
// escape is defined at this level, so any other is refused, not guessed at.
std::string_view append_alpn_list(std::string_view value, Bytes& out)
{
    size_t at = out.size();
    out.push_back('\0');
    for (size_t i = 0; i <= value.size(); ++i) {
        if (i == value.size() || value[i] == ',') {
            size_t length = out.size() - at - 1;
            if (length == 0)
                return "has an empty protocol id (RFC 9460 §7.1.1)";
            if (length > 255)
                return "has a protocol id longer than 255 octets (RFC 9460 §7.1.1)";
            out[at] = static_cast<char>(length);
            if (i == value.size())
                return {};
            at = out.size();
            out.push_back('\0');
            continue;
        }
        if (value[i] == '\\') {
            if (++i == value.size() || (value[i] != ',' && value[i] != '\\'))
                return "has a '\\' that escapes neither ',' nor '\\' (RFC 9460 Appendix A.1)";
        }
        out.push_back(value[i]);
    }
    return {};
}

// Why the wire `value` of `key` is not valid, or empty when it is. Keys
// Signet does not know have no rules of their own.
std::string_view check_value(uint16_t key, std::string_view value)
{
    switch (key) {
    case key_mandatory:
        if (value.empty() || value.size() % 2 != 0)
            return "must be a non-empty list of 16-bit keys (RFC 9460 §8)";
        for (size_t at = 0; at < value.size(); at += 2) {
            uint16_t listed = get_u16(value, at);
            if (listed == key_mandatory)
                return "must not list itself (RFC 9460 §8)";
            if (at > 0 && listed <= get_u16(value, at - 2))
                return "must list its keys in strictly increasing order (RFC 9460 §8)";
        }
        return {};
    case key_alpn:
        if (value.empty())
            return "must not be empty (RFC 9460 §7.1.1)";
        for (size_t at = 0; at < value.size();) {
            size_t length = get_u8(value, at);
            if (length == 0 || value.size() - at - 1 < length)
                return "has an empty or truncated protocol id (RFC 9460 §7.1.1)";
            at += 1 + length;
        }
        return {};
    case key_no_default_alpn:
        return value.empty() ? std::string_view() : "takes no value (RFC 9460 §7.1.1)";
    case key_port:
        return value.size() == 2 ? std::string_view() : "must be 2 octets (RFC 9460 §7.2)";
    case key_ipv4hint:
        return !value.empty() && value.size() % 4 == 0 ? std::string_view()
                                                       : "must be one or more IPv4 addresses (RFC 9460 §7.3)";
    case key_ech:
        return !value.empty() ? std::string_view() : "must not be empty";
    case key_ipv6hint:
        return !value.empty() && value.size() % 16 == 0 ? std::string_view()
                                                        : "must be one or more IPv6 addresses (RFC 9460 §7.3)";
    case key_dohpath:
        return dohpath_error(value);
    case key_ohttp:
        return value.empty() ? std::string_view() : "takes no value (RFC 9540 §4)";
    default:
        return {};
    }
}

struct Param {
    uint16_t key;
    size_t offset; // into the scratch value buffer
    size_t length;
    const Token* token;
};

// A quoted value follows "key=" as its own token: "alpn="h2,h3"" reaches us as
// `alpn=` and a quoted `h2,h3` that starts right where the first one ends.
bool value_follows(const Token& key, const Token& next)
{
    if (!next.quoted)
        return false;
    if (key.column == 0 || next.column == 0)
        return true;
    return next.column == key.column + key.text.size();
}

// Appends the wire form of a key written by its name, with `raw` its value
// as written and `value` the same with the <character-string> escapes
// decoded. Returns why the value is not valid, or an empty string.
std::string encode_value(uint16_t key, std::string_view raw, std::string_view value, Bytes& out)
{
    // RFC 9460 §7 and §8, RFC 9461 §5: these keys need a non-empty value.
    const bool needs_value = key != key_no_default_alpn && key != key_ohttp;
    if (needs_value && value.empty())
        return "needs a value";
    // RFC 9460 §7.2, §7.3 and §8: "To enable simpler parsing, this
    // SvcParamValue MUST NOT contain escape sequences."
    const bool plain = key == key_mandatory || key == key_port || key == key_ipv4hint || key == key_ipv6hint;
    if (plain && raw.find('\\') != std::string_view::npos)
        return fmt::format("must not contain escape sequences (RFC 9460 §{})",
                           key == key_mandatory ? "8" : key == key_port ? "7.2" : "7.3");
    switch (key) {
    case key_mandatory: {
        std::vector<uint16_t> keys;
        std::string why;
        for_each_item(value, [&](std::string_view item) {
            auto listed = key_from_text(item);
            if (!listed) {
                why = "lists a bad key: " + listed.error().message();
                return false;
            }
            keys.push_back(listed->key);
            return true;
        });
        if (!why.empty())
            return why;
        std::sort(keys.begin(), keys.end());
        if (keys.front() == key_mandatory)
            return "must not list itself (RFC 9460 §8)";
        if (std::adjacent_find(keys.begin(), keys.end()) != keys.end())
            return "lists a key twice (RFC 9460 §8)";
        for (uint16_t listed : keys)
            append_u16(out, listed);
        return {};
    }
    case key_alpn:
        return std::string(append_alpn_list(value, out));
    case key_port: {
        // RFC 9460 §7.2: "a single decimal integer between 0 and 65535".
        // Port 0 is in that range, and no server refuses it; it is kept.
        auto port = parse_decimal(value, 65535);
        if (!port)
            return "needs a port number from 0 to 65535 (RFC 9460 §7.2)";
        append_u16(out, static_cast<uint16_t>(*port));
        return {};
    }
    case key_ipv4hint: {
        bool ok = for_each_item(value, [&](std::string_view item) {
            uint8_t address[4];
            if (!parse_ipv4(item, address))
                return false;
            out.append(reinterpret_cast<const char*>(address), 4);
            return true;
        });
        return ok ? std::string() : "needs IPv4 addresses separated by commas (RFC 9460 §7.3)";
    }
    case key_ech: {
        Base64Stream stream;
        if (!stream.feed(value, out) || !stream.finish())
            return "needs base64 data";
        return {};
    }
    case key_ipv6hint: {
        bool ok = for_each_item(value, [&](std::string_view item) {
            uint8_t address[16];
            if (!parse_ipv6(item, address))
                return false;
            out.append(reinterpret_cast<const char*>(address), 16);
            return true;
        });
        return ok ? std::string() : "needs IPv6 addresses separated by commas (RFC 9460 §7.3)";
    }
    default:
        // no-default-alpn, dohpath and ohttp: the value is the wire value.
        if (auto why = check_value(key, value); !why.empty())
            return std::string(why);
        out += value;
        return {};
    }
}

Result<void> svcb_from_text(RRType type, std::span<const Token> tokens, NameView origin, Bytes& out)
{
    const std::string_view type_name = type == RRType::HTTPS ? "HTTPS" : "SVCB";
    if (tokens.empty())
        return fail(parse_error(fmt::format("missing RDATA field 'SvcPriority' for {}", type_name)));
    auto priority = parse_decimal(tokens[0].text, 65535);
    if (!priority)
        return fail(token_error(tokens[0], fmt::format("bad SvcPriority '{}' for {}: expected a number from 0 to 65535",
                                                       excerpt(tokens[0].text), type_name)));
    if (tokens.size() < 2)
        return fail(parse_error(fmt::format("missing RDATA field 'TargetName' for {}", type_name)));
    auto target = Name::from_text(tokens[1].text, origin);
    if (!target)
        return fail(token_error(tokens[1],
            fmt::format("bad TargetName '{}' for {}: {}", excerpt(tokens[1].text), type_name,
                        target.error().message())));
    append_u16(out, static_cast<uint16_t>(*priority));
    out += target->wire();
    if (tokens.size() == 2)
        return {};

    std::vector<Param> params;
    params.reserve(tokens.size() - 2);
    Bytes values;
    Bytes decoded;
    for (size_t i = 2; i < tokens.size();) {
        const Token& token = tokens[i++];
        if (token.quoted)
            return fail(token_error(token,
                fmt::format("expected an SvcParam key, not the quoted string '{}'", excerpt(token.text))));
        std::string_view text = token.text;
        size_t equals = text.find('=');
        auto name = key_from_text(text.substr(0, equals));
        if (!name)
            return fail(token_error(token, name.error().message()));
        std::string_view raw;
        if (equals != std::string_view::npos) {
            raw = text.substr(equals + 1);
            if (raw.empty() && i < tokens.size() && value_follows(token, tokens[i]))
                raw = tokens[i++].text;
        }
        decoded.clear();
        if (!decode_escapes(raw, decoded))
            return fail(token_error(token, fmt::format("malformed escape in SvcParam '{}'", excerpt(token.text))));
        const uint16_t key = name->key;
        Param param { key, values.size(), 0, &token };
        std::string why;
        if (name->generic) {
            why = check_value(key, decoded);
            if (why.empty())
                values += decoded;
        } else {
            why = encode_value(key, raw, decoded, values);
        }
        if (!why.empty())
            return fail(token_error(token, fmt::format("bad SvcParam '{}{}': {} {}", excerpt(text.substr(0, equals)),
                                                       equals == std::string_view::npos ? "" : "=" + excerpt(raw),
                                                       key_text(key), why)));
        param.length = values.size() - param.offset;
        if (param.length > 65535)
            return fail(token_error(token, "SvcParam value is longer than 65535 octets"));
        params.push_back(param);
    }

    // RFC 9460 §2.2: keys in strictly increasing order, each at most once.
    std::stable_sort(params.begin(), params.end(), [](const Param& a, const Param& b) { return a.key < b.key; });
    for (size_t i = 1; i < params.size(); ++i) {
        if (params[i].key == params[i - 1].key)
            return fail(token_error(*params[i].token,
                                    fmt::format("SvcParamKey {} appears twice (RFC 9460 §2.2)", key_text(params[i].key))));
    }
    auto present = [&](uint16_t key) {
        return std::any_of(params.begin(), params.end(), [key](const Param& p) { return p.key == key; });
    };
    if (params.front().key == key_mandatory) {
        // RFC 9460 §8: every key listed as mandatory must be in the RR.
        const Param& mandatory = params.front();
        for (size_t at = 0; at < mandatory.length; at += 2) {
            uint16_t listed = get_u16(values, mandatory.offset + at);
            if (!present(listed))
                return fail(token_error(*mandatory.token,
                                        fmt::format("mandatory key {} is not in the RR (RFC 9460 §8)", key_text(listed))));
        }
    }
    // RFC 9460 §7.1.1: no-default-alpn only makes sense beside alpn.
    if (present(key_no_default_alpn) && !present(key_alpn)) {
        auto it = std::find_if(params.begin(), params.end(),
                               [](const Param& p) { return p.key == key_no_default_alpn; });
        return fail(token_error(*it->token, "no-default-alpn needs an alpn SvcParam beside it (RFC 9460 §7.1.1)"));
    }
    for (const Param& param : params) {
        append_u16(out, param.key);
        append_u16(out, static_cast<uint16_t>(param.length));
        out.append(values, param.offset, param.length);
    }
    return {};
}

// The SvcParams of valid RDATA start after the priority and the target.
size_t params_start(std::string_view wire)
{
    size_t pos = 2;
    while (get_u8(wire, pos) != 0)
        pos += 1 + get_u8(wire, pos);
    return pos + 1;
}

Result<void> svcb_check_wire(std::string_view wire)
{
    if (wire.size() < 3)
        return fail(parse_error("SVCB RDATA is too short"));
    size_t pos = 2;
    auto target = NameView::from_wire(wire, pos);
    if (!target)
        return fail(parse_error(fmt::format("SVCB TargetName: {}", target.error().message())));
    const size_t start = pos;
    int last = -1;
    bool has_alpn = false;
    bool has_no_default_alpn = false;
    std::string_view mandatory;
    while (pos < wire.size()) {
        if (wire.size() - pos < 4)
            return fail(parse_error("SVCB SvcParam is truncated"));
        uint16_t key = get_u16(wire, pos);
        size_t length = get_u16(wire, pos + 2);
        pos += 4;
        if (wire.size() - pos < length)
            return fail(parse_error("SVCB SvcParam value is truncated"));
        if (static_cast<int>(key) <= last)
            return fail(parse_error("SVCB SvcParamKeys are not in strictly increasing order (RFC 9460 §2.2)"));
        last = key;
        std::string_view value = wire.substr(pos, length);
        if (auto why = check_value(key, value); !why.empty())
            return fail(parse_error(fmt::format("SVCB SvcParam {} {}", key_text(key), why)));
        has_alpn |= key == key_alpn;
        has_no_default_alpn |= key == key_no_default_alpn;
        if (key == key_mandatory)
            mandatory = value;
        pos += length;
    }
    for (size_t at = 0; at < mandatory.size(); at += 2) {
        uint16_t listed = get_u16(mandatory, at);
        bool found = false;
        for (size_t p = start; p < wire.size(); p += 4 + get_u16(wire, p + 2))
            found |= get_u16(wire, p) == listed;
        if (!found)
            return fail(parse_error(
                fmt::format("SVCB mandatory key {} is not in the RR (RFC 9460 §8)", key_text(listed))));
    }
    if (has_no_default_alpn && !has_alpn)
        return fail(parse_error("SVCB no-default-alpn needs an alpn SvcParam beside it (RFC 9460 §7.1.1)"));
    return {};
}

void append_value_text(std::string& out, uint16_t key, std::string_view value)
{
    switch (key) {
    case key_mandatory:
        for (size_t at = 0; at < value.size(); at += 2) {
            out.push_back(at == 0 ? '=' : ',');
            out += key_text(get_u16(value, at));
        }
        return;
    case key_alpn: {
        // Escape for the value-list first, then quote as a <character-string>,
        // so "f\oo,bar" becomes "f\\\\oo\\,bar" (RFC 9460 Appendix D.2).
        std::string list;
        for_each_alpn_id(value, [&](std::string_view id) {
            if (!list.empty())
                list.push_back(',');
            for (char c : id) {
                if (c == ',' || c == '\\')
                    list.push_back('\\');
                list.push_back(c);
            }
        });
        out.push_back('=');
        append_quoted(out, list);
        return;
    }
    case key_no_default_alpn:
    case key_ohttp:
        return;
    case key_port:
        fmt::format_to(std::back_inserter(out), "={}", get_u16(value, 0));
        return;
    case key_ipv4hint:
        for (size_t at = 0; at < value.size(); at += 4) {
            out.push_back(at == 0 ? '=' : ',');
            append_ipv4_text(out, value.substr(at, 4));
        }
        return;
    case key_ech:
        out.push_back('=');
        append_base64(out, value);
        return;
    case key_ipv6hint:
        for (size_t at = 0; at < value.size(); at += 16) {
            out.push_back(at == 0 ? '=' : ',');
            append_ipv6_text(out, value.substr(at, 16));
        }
        return;
    default:
        // dohpath and the keys Signet does not know: the octets as a
        // <character-string>.
        if (!value.empty()) {
            out.push_back('=');
            append_quoted(out, value);
        }
        return;
    }
}

bool svcb_to_text(std::string_view wire, std::string& out)
{
    size_t start = params_start(wire);
    fmt::format_to(std::back_inserter(out), "{} ", get_u16(wire, 0));
    NameView::from_valid_wire(wire.substr(2, start - 2)).append_text(out);
    for (size_t pos = start; pos < wire.size();) {
        uint16_t key = get_u16(wire, pos);
        size_t length = get_u16(wire, pos + 2);
        out.push_back(' ');
        out += key_text(key);
        append_value_text(out, key, wire.substr(pos + 4, length));
        pos += 4 + length;
    }
    return true;
}

} // namespace

uint16_t svcb_priority(std::string_view rdata) { return get_u16(rdata, 0); }

NameView svcb_target(std::string_view rdata)
{
    return NameView::from_valid_wire(rdata.substr(2, params_start(rdata) - 2));
}

bool svcb_has_params(std::string_view rdata) { return params_start(rdata) < rdata.size(); }

std::optional<std::string_view> svcb_param(std::string_view rdata, uint16_t key)
{
    for (size_t pos = params_start(rdata); pos < rdata.size();) {
        const uint16_t at = get_u16(rdata, pos);
        const size_t length = get_u16(rdata, pos + 2);
        if (at == key)
            return rdata.substr(pos + 4, length);
        if (at > key)
            break;
        pos += 4 + length;
    }
    return std::nullopt;
}

const CustomCodec svcb_codec { svcb_from_text, svcb_check_wire, svcb_to_text };

} // namespace signet::dns::detail
