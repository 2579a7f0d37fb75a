// SVCB and HTTPS (RFC 9460). After the priority and target name come
// SvcParams written key=value in any order, each value with its own syntax
// (lists with escaped commas, addresses, base64), and the wire form wants
// them sorted and unique; so these types have their own codec.
#include <algorithm>
#include <array>
#include <vector>

#include <fmt/format.h>

#include <signet/base/excerpt.h>

#include "detail/rdata_internal.h"

namespace signet::dns::detail {

namespace {

// RFC 9460 §14.3.2, the initial SvcParamKeys registry.
enum SvcKey : uint16_t {
    key_mandatory = 0,
    key_alpn = 1,
    key_no_default_alpn = 2,
    key_port = 3,
    key_ipv4hint = 4,
    key_ech = 5,
    key_ipv6hint = 6,
};

constexpr std::string_view key_names[] = {
    "mandatory", "alpn", "no-default-alpn", "port", "ipv4hint", "ech", "ipv6hint",
};

bool equal_lower(std::string_view text, std::string_view lower)
{
    if (text.size() != lower.size())
        return false;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c + 32);
        if (c != lower[i])
            return false;
    }
    return true;
}

std::optional<uint16_t> key_from_text(std::string_view text)
{
    for (size_t i = 0; i < std::size(key_names); ++i) {
        if (equal_lower(text, key_names[i]))
            return static_cast<uint16_t>(i);
    }
    // Later registrations (RFC 9461 dohpath, RFC 9540 ohttp) are read by name
    // but handled, and written, as generic keys.
    if (equal_lower(text, "dohpath"))
        return 7;
    if (equal_lower(text, "ohttp"))
        return 8;
    // RFC 9460 §2.1: "keyNNNNN" names any key by number.
    if (text.size() > 3 && equal_lower(text.substr(0, 3), "key")) {
        auto value = parse_decimal(text.substr(3), 65535);
        if (value)
            return static_cast<uint16_t>(*value);
    }
    return std::nullopt;
}

void append_key_text(std::string& out, uint16_t key)
{
    if (key < std::size(key_names))
        out += key_names[key];
    else
        fmt::format_to(std::back_inserter(out), "key{}", key);
}

// Calls `item` for each comma-separated part of `value`, unescaped.
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
// and "\\" a backslash, after the usual <character-string> escapes.
bool append_alpn_list(std::string_view value, Bytes& out)
{
    size_t at = out.size();
    out.push_back('\0');
    for (size_t i = 0; i <= value.size(); ++i) {
        if (i == value.size() || value[i] == ',') {
            size_t length = out.size() - at - 1;
            if (length == 0 || length > 255)
                return false;
            out[at] = static_cast<char>(length);
            if (i == value.size())
                return true;
            at = out.size();
            out.push_back('\0');
            continue;
        }
        if (value[i] == '\\') {
            if (++i == value.size())
                return false;
        }
        out.push_back(value[i]);
    }
    return true;
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

Result<void> encode_value(uint16_t key, std::string_view value, const Token& token, Bytes& out)
{
    auto bad = [&](std::string_view why) {
        std::string name;
        append_key_text(name, key);
        return fail(token_error(token, fmt::format("bad SvcParam '{}': {} {}", excerpt(token.text), name, why)));
    };
    // RFC 9460 §7 and §8: every key but no-default-alpn and the generic ones
    // needs a non-empty value.
    bool needs_value = key <= key_ipv6hint && key != key_no_default_alpn;
    if (needs_value && value.empty())
        return bad("needs a value");
    switch (key) {
    case key_mandatory: {
        std::vector<uint16_t> keys;
        bool ok = for_each_item(value, [&](std::string_view item) {
            auto listed = key_from_text(item);
            if (!listed)
                return false;
            keys.push_back(*listed);
            return true;
        });
        if (!ok)
            return bad("lists an unknown key");
        std::sort(keys.begin(), keys.end());
        if (keys.front() == key_mandatory)
            return bad("must not list itself (RFC 9460 §8)");
        if (std::adjacent_find(keys.begin(), keys.end()) != keys.end())
            return bad("lists a key twice (RFC 9460 §8)");
        for (uint16_t listed : keys)
            append_u16(out, listed);
        return {};
    }
    case key_alpn:
        if (!append_alpn_list(value, out))
            return bad("has an empty, over-long or badly escaped protocol id");
        return {};
    case key_no_default_alpn:
        if (!value.empty())
            return bad("takes no value (RFC 9460 §7.1.1)");
        return {};
    case key_port: {
        auto port = parse_decimal(value, 65535);
        if (!port)
            return bad("needs a port number from 0 to 65535");
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
        if (!ok)
            return bad("needs IPv4 addresses separated by commas");
        return {};
    }
    case key_ech: {
        Base64Stream stream;
        if (!stream.feed(value, out) || !stream.finish())
            return bad("needs base64 data");
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
        if (!ok)
            return bad("needs IPv6 addresses separated by commas");
        return {};
    }
    default:
        // RFC 9460 §2.1: an unregistered key's value is its octets.
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
        auto key = key_from_text(text.substr(0, equals));
        if (!key)
            return fail(token_error(token,
                fmt::format("unknown SvcParamKey '{}' for {}", excerpt(text.substr(0, equals)), type_name)));
        decoded.clear();
        if (equals != std::string_view::npos) {
            std::string_view value = text.substr(equals + 1);
            if (value.empty() && i < tokens.size() && value_follows(token, tokens[i]))
                value = tokens[i++].text;
            if (!decode_escapes(value, decoded))
                return fail(token_error(token, fmt::format("malformed escape in SvcParam '{}'", excerpt(token.text))));
        }
        Param param { *key, values.size(), 0, &token };
        SIGNET_TRY(encode_value(*key, decoded, token, values));
        param.length = values.size() - param.offset;
        if (param.length > 65535)
            return fail(token_error(token, "SvcParam value is longer than 65535 octets"));
        params.push_back(param);
    }

    // RFC 9460 §2.2: keys in strictly increasing order, each at most once.
    std::stable_sort(params.begin(), params.end(), [](const Param& a, const Param& b) { return a.key < b.key; });
    for (size_t i = 1; i < params.size(); ++i) {
        if (params[i].key == params[i - 1].key) {
            std::string key;
            append_key_text(key, params[i].key);
            return fail(token_error(*params[i].token, fmt::format("SvcParamKey {} appears twice", key)));
        }
    }
    auto present = [&](uint16_t key) {
        return std::any_of(params.begin(), params.end(), [key](const Param& p) { return p.key == key; });
    };
    if (params.front().key == key_mandatory) {
        // RFC 9460 §8: every key listed as mandatory must be in the RR.
        const Param& mandatory = params.front();
        for (size_t at = 0; at < mandatory.length; at += 2) {
            uint16_t listed = get_u16(values, mandatory.offset + at);
            if (!present(listed)) {
                std::string name;
                append_key_text(name, listed);
                return fail(token_error(*mandatory.token, fmt::format("mandatory key '{}' is not in the RR", name)));
            }
        }
    }
    // RFC 9460 §7.1.1: no-default-alpn only makes sense beside alpn.
    if (present(key_no_default_alpn) && !present(key_alpn)) {
        auto it = std::find_if(params.begin(), params.end(),
                                      [](const Param& p) { return p.key == key_no_default_alpn; });
        return fail(token_error(*it->token, "no-default-alpn needs an alpn SvcParam beside it"));
    }
    for (const Param& param : params) {
        append_u16(out, param.key);
        append_u16(out, static_cast<uint16_t>(param.length));
        out.append(values, param.offset, param.length);
    }
    return {};
}

Result<void> check_value(uint16_t key, std::string_view value)
{
    auto bad = [&](std::string_view why) {
        std::string name;
        append_key_text(name, key);
        return fail(parse_error(fmt::format("SvcParam {} {}", name, why)));
    };
    switch (key) {
    case key_mandatory:
        if (value.empty() || value.size() % 2 != 0)
            return bad("must be a non-empty list of 16-bit keys");
        for (size_t at = 0; at < value.size(); at += 2) {
            uint16_t listed = get_u16(value, at);
            if (listed == key_mandatory)
                return bad("must not list itself (RFC 9460 §8)");
            if (at > 0 && listed <= get_u16(value, at - 2))
                return bad("keys must be in strictly increasing order (RFC 9460 §8)");
        }
        return {};
    case key_alpn:
        if (value.empty())
            return bad("must not be empty");
        for (size_t at = 0; at < value.size();) {
            size_t length = get_u8(value, at);
            if (length == 0 || value.size() - at - 1 < length)
                return bad("has an empty or truncated protocol id");
            at += 1 + length;
        }
        return {};
    case key_no_default_alpn:
        return value.empty() ? Result<void>() : bad("must be empty");
    case key_port:
        return value.size() == 2 ? Result<void>() : bad("must be 2 octets");
    case key_ipv4hint:
        return !value.empty() && value.size() % 4 == 0 ? Result<void>() : bad("must be one or more IPv4 addresses");
    case key_ech:
        return !value.empty() ? Result<void>() : bad("must not be empty");
    case key_ipv6hint:
        return !value.empty() && value.size() % 16 == 0 ? Result<void>() : bad("must be one or more IPv6 addresses");
    default:
        return {};
    }
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
        SIGNET_TRY(check_value(key, value));
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
            return fail(parse_error(fmt::format("SVCB mandatory key {} is not in the RR (RFC 9460 §8)", listed)));
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
            append_key_text(out, get_u16(value, at));
        }
        return;
    case key_alpn: {
        // Escape for the value-list first, then quote as a <character-string>,
        // so "f\oo,bar" becomes "f\\\\oo\\,bar" (RFC 9460 Appendix D.2).
        std::string list;
        for (size_t at = 0; at < value.size();) {
            size_t length = get_u8(value, at);
            if (at > 0)
                list.push_back(',');
            for (char c : value.substr(at + 1, length)) {
                if (c == ',' || c == '\\')
                    list.push_back('\\');
                list.push_back(c);
            }
            at += 1 + length;
        }
        out.push_back('=');
        append_quoted(out, list);
        return;
    }
    case key_no_default_alpn:
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
        append_key_text(out, key);
        append_value_text(out, key, wire.substr(pos + 4, length));
        pos += 4 + length;
    }
    return true;
}

} // namespace

const CustomCodec svcb_codec { svcb_from_text, svcb_check_wire, svcb_to_text };

} // namespace signet::dns::detail
