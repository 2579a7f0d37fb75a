// Wire-side RDATA: validating, presentation output and canonical form, all
// driven by the same per-type field lists as the text parser.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <vector>

#include <fmt/format.h>

#include <signet/base/hex.h>

#include "detail/rdata_internal.h"

namespace signet::dns {

namespace {

using namespace detail;

// What the walk learned beyond validity: whether the presentation form can
// say exactly these octets (not when a type bitmap is longer than needed).
struct Walk {
    RRType type;
    bool representable = true;
};

Error too_short(const Walk& walk, const Field& field)
{
    return parse_error(fmt::format("{} RDATA is too short for field '{}'", type_to_text(walk.type), field.name));
}

// Checks `field` at `pos` and returns where it ends.
Result<size_t> field_end(const Field& field, std::string_view wire, size_t pos, Walk& walk)
{
    const size_t left = wire.size() - pos;
    auto fixed = [&](size_t length) -> Result<size_t> {
        if (left < length)
            return fail(too_short(walk, field));
        return pos + length;
    };
    auto prefixed = [&](size_t minimum) -> Result<size_t> {
        if (left < 1)
            return fail(too_short(walk, field));
        size_t length = get_u8(wire, pos);
        if (length < minimum)
            return fail(parse_error(fmt::format("{} field '{}' is empty", type_to_text(walk.type), field.name)));
        if (left < 1 + length)
            return fail(too_short(walk, field));
        return pos + 1 + length;
    };
    auto name_end = [&]() -> Result<size_t> {
        size_t end = pos;
        auto name = NameView::from_wire(wire, end);
        if (!name)
            return fail(parse_error(fmt::format("{} field '{}': {}", type_to_text(walk.type), field.name,
                                                name.error().message())));
        return end;
    };

    switch (field.kind) {
    case FieldKind::U8:
    case FieldKind::Algorithm:
    case FieldKind::DsyncScheme:
        return fixed(1);
    case FieldKind::U16:
    case FieldKind::TypeCovered:
    case FieldKind::CertType:
        return fixed(2);
    case FieldKind::U32:
    case FieldKind::Ttl32:
    case FieldKind::Time32:
    case FieldKind::IPv4:
        return fixed(4);
    case FieldKind::IPv6:
        return fixed(16);
    case FieldKind::Name:
        return name_end();
    case FieldKind::CharString:
    case FieldKind::Salt:
        return prefixed(0);
    case FieldKind::Base32HexNext:
        return prefixed(1);
    case FieldKind::CaaTag: {
        size_t end = SIGNET_TRY(prefixed(1));
        std::string_view tag = wire.substr(pos + 1, end - pos - 1);
        bool alnum = std::all_of(tag.begin(), tag.end(), [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        });
        if (!alnum)
            return fail(parse_error("CAA tag has characters other than letters and digits (RFC 8659 §4.1)"));
        return end;
    }
    case FieldKind::CharStrings: {
        if (left == 0)
            return fail(too_short(walk, field));
        size_t at = pos;
        while (at < wire.size()) {
            size_t length = get_u8(wire, at);
            if (wire.size() - at < 1 + length)
                return fail(too_short(walk, field));
            at += 1 + length;
        }
        return at;
    }
    case FieldKind::StringRest:
        return wire.size();
    case FieldKind::Base64Rest:
    case FieldKind::HexRest:
        // No key, signature or digest is empty, the text form could not say
        // so, and BIND refuses it even in the RFC 3597 form.
        if (left == 0)
            return fail(parse_error(fmt::format("{} field '{}' is empty", type_to_text(walk.type), field.name)));
        return wire.size();
    case FieldKind::TypeBitmapRest: {
        bool minimal = true;
        SIGNET_TRY(check_type_bitmap(wire.substr(pos), minimal));
        if (!minimal)
            walk.representable = false;
        return wire.size();
    }
    case FieldKind::OptCharString:
        return left == 0 ? pos : prefixed(0);
    case FieldKind::X25Address: {
        size_t end = SIGNET_TRY(prefixed(0));
        if (!is_x25_address(wire.substr(pos + 1, end - pos - 1)))
            return fail(parse_error("X25 PSDN address is not at least 4 decimal digits (RFC 1183 §3.1)"));
        return end;
    }
    case FieldKind::Decimal: {
        size_t end = SIGNET_TRY(prefixed(0));
        if (!is_decimal_number(wire.substr(pos + 1, end - pos - 1)))
            return fail(parse_error(fmt::format("{} field '{}' is not a decimal number", type_to_text(walk.type),
                                                field.name)));
        return end;
    }
    case FieldKind::Eui48:
        return fixed(6);
    case FieldKind::Eui64:
    case FieldKind::Locator64:
        return fixed(8);
    case FieldKind::NsapRest:
        if (left == 0)
            return fail(too_short(walk, field));
        return wire.size();
    case FieldKind::AtmaRest: {
        // A format octet and at least one octet of address; E.164 (format
        // 1) is decimal digits. Other formats have no presentation form.
        if (left < 2)
            return fail(too_short(walk, field));
        std::string_view address = wire.substr(pos + 1);
        uint8_t format = get_u8(wire, pos);
        if (format == 1 && !std::all_of(address.begin(), address.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return fail(parse_error("ATMA E.164 address has characters other than digits"));
        if (format > 1)
            walk.representable = false;
        return wire.size();
    }
    case FieldKind::DType:
        return fixed(1);
    case FieldKind::Gateway: {
        if (pos < 2)
            return fail(parse_error("internal error: a gateway field before its type"));
        switch (gateway_type(walk.type, get_u8(wire, 1))) {
        case 0:
            return pos;
        case 1:
            return fixed(4);
        case 2:
            return fixed(16);
        case 3:
            return name_end();
        default:
            return fail(parse_error(fmt::format("{} gateway type {} is not defined (types are 0 to 3)",
                                                type_to_text(walk.type), gateway_type(walk.type, get_u8(wire, 1)))));
        }
    }
    case FieldKind::Base64OptRest:
        // Read from text when the tokens end before it, but BIND, Knot and
        // NSD do not all read a record without it: written generically.
        if (left == 0)
            walk.representable = false;
        return wire.size();
    case FieldKind::Base64DashRest:
        return wire.size();
    }
    return fail(parse_error("internal error: unhandled RDATA field kind"));
}

Result<void> check_fields(const Layout& layout, std::string_view wire, Walk& walk)
{
    size_t pos = 0;
    for (const Field& field : layout.fields)
        pos = SIGNET_TRY(field_end(field, wire, pos, walk));
    if (pos != wire.size())
        return fail(parse_error(fmt::format("{} RDATA has {} octets after its last field", type_to_text(walk.type),
                                            wire.size() - pos)));
    if (layout.extra_check)
        SIGNET_TRY(layout.extra_check(wire));
    return {};
}

void append_number(std::string& out, uint32_t value)
{
    char digits[10];
    auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    out.append(digits, end);
}

// `value` in exactly `width` decimal digits (value < 10^width).
void append_digits(std::string& out, uint32_t value, size_t width)
{
    const size_t at = out.size();
    out.resize(at + width);
    for (size_t i = width; i > 0; --i, value /= 10)
        out[at + i - 1] = static_cast<char>('0' + value % 10);
}

// RFC 4034 §3.2: the time as YYYYMMDDHHmmSS in UTC. A 32-bit value is read as
// the moment in 1970..2106 it names, so text and wire map one to one. (Every
// signature of a zone goes through here twice: no format strings.)
void append_time_text(std::string& out, uint32_t value)
{
    int64_t days = value / 86400;
    uint32_t seconds = value % 86400;
    std::chrono::year_month_day date { std::chrono::sys_days(std::chrono::days(days)) };
    append_digits(out, static_cast<uint32_t>(static_cast<int>(date.year())), 4);
    append_digits(out, static_cast<unsigned>(date.month()), 2);
    append_digits(out, static_cast<unsigned>(date.day()), 2);
    append_digits(out, seconds / 3600, 2);
    append_digits(out, seconds / 60 % 60, 2);
    append_digits(out, seconds % 60, 2);
}

void append_field_text(const Field& field, RRType type, std::string_view wire, size_t pos, size_t end,
                       std::string& out)
{
    std::string_view data = wire.substr(pos, end - pos);
    switch (field.kind) {
    case FieldKind::U8:
    case FieldKind::Algorithm:
    case FieldKind::DsyncScheme:
        append_number(out, get_u8(wire, pos));
        return;
    case FieldKind::U16:
    case FieldKind::CertType:
        append_number(out, get_u16(wire, pos));
        return;
    case FieldKind::U32:
    case FieldKind::Ttl32:
        append_number(out, get_u32(wire, pos));
        return;
    case FieldKind::Time32:
        append_time_text(out, get_u32(wire, pos));
        return;
    case FieldKind::TypeCovered:
        append_type_text(out, get_u16(wire, pos));
        return;
    case FieldKind::Name:
        NameView::from_valid_wire(data).append_text(out);
        return;
    case FieldKind::IPv4:
        append_ipv4_text(out, data);
        return;
    case FieldKind::IPv6:
        append_ipv6_text(out, data);
        return;
    case FieldKind::CharString:
        append_quoted(out, data.substr(1));
        return;
    case FieldKind::CharStrings:
        for (size_t at = 0; at < data.size();) {
            size_t length = get_u8(data, at);
            if (at > 0)
                out.push_back(' ');
            append_quoted(out, data.substr(at + 1, length));
            at += 1 + length;
        }
        return;
    case FieldKind::StringRest:
        append_quoted(out, data);
        return;
    case FieldKind::CaaTag:
        out += data.substr(1);
        return;
    case FieldKind::Base64Rest:
        append_base64(out, data);
        return;
    case FieldKind::HexRest:
        signet::append_hex(out, data, HexCase::Upper);
        return;
    case FieldKind::Salt:
        if (data.size() == 1)
            out.push_back('-');
        else
            signet::append_hex(out, data.substr(1), HexCase::Upper);
        return;
    case FieldKind::Base32HexNext:
        append_base32hex(out, data.substr(1));
        return;
    case FieldKind::TypeBitmapRest: {
        auto types = type_bitmap_from_wire(data);
        if (!types)
            return;
        for (size_t i = 0; i < types->size(); ++i) {
            if (i > 0)
                out.push_back(' ');
            append_type_text(out, static_cast<uint16_t>((*types)[i]));
        }
        return;
    }
    case FieldKind::OptCharString:
        if (!data.empty())
            append_quoted(out, data.substr(1));
        return;
    case FieldKind::X25Address:
    case FieldKind::Decimal:
        append_quoted(out, data.substr(1));
        return;
    case FieldKind::Eui48:
    case FieldKind::Eui64:
        for (size_t i = 0; i < data.size(); ++i) {
            if (i > 0)
                out.push_back('-');
            signet::append_hex(out, data.substr(i, 1), HexCase::Lower);
        }
        return;
    case FieldKind::Locator64:
        for (size_t i = 0; i < data.size(); i += 2) {
            if (i > 0)
                out.push_back(':');
            signet::append_hex(out, data.substr(i, 2), HexCase::Lower);
        }
        return;
    case FieldKind::NsapRest:
        out += "0x";
        signet::append_hex(out, data, HexCase::Upper);
        return;
    case FieldKind::AtmaRest:
        if (get_u8(data, 0) == 1) {
            out.push_back('+');
            out += data.substr(1);
        } else {
            signet::append_hex(out, data.substr(1), HexCase::Upper);
        }
        return;
    case FieldKind::DType:
        out += (get_u8(data, 0) & 0x80) ? "1 " : "0 ";
        append_number(out, get_u8(data, 0) & 0x7f);
        return;
    case FieldKind::Gateway:
        switch (data.size()) {
        case 0:
            out.push_back('.');
            return;
        case 4:
            if (gateway_type(type, get_u8(wire, 1)) == 1) {
                append_ipv4_text(out, data);
                return;
            }
            break;
        case 16:
            if (gateway_type(type, get_u8(wire, 1)) == 2) {
                append_ipv6_text(out, data);
                return;
            }
            break;
        default:
            break;
        }
        NameView::from_valid_wire(data).append_text(out);
        return;
    case FieldKind::Base64OptRest:
        append_base64(out, data);
        return;
    case FieldKind::Base64DashRest:
        if (data.empty())
            out.push_back('-');
        else
            append_base64(out, data);
        return;
    }
}

} // namespace

Result<void> rdata_check_wire(RRType type, std::string_view wire)
{
    if (wire.size() > max_rdata_length)
        return fail(parse_error(fmt::format("RDATA is {} octets long; the limit is 65535", wire.size())));
    const Layout* layout = find_layout(type);
    if (!layout)
        return {};
    if (layout->custom)
        return layout->custom->check_wire(wire);
    Walk walk { type };
    return check_fields(*layout, wire, walk);
}

void append_rdata_text(std::string& out, RRType type, std::string_view wire)
{
    const size_t start = out.size();
    const Layout* layout = find_layout(type);
    if (!layout || wire.size() > max_rdata_length) {
        append_generic(out, wire);
        return;
    }
    if (layout->custom) {
        if (!layout->custom->check_wire(wire) || !layout->custom->to_text(wire, out)) {
            out.resize(start);
            append_generic(out, wire);
        }
        return;
    }
    // Data that is invalid, or valid but without a presentation form that
    // reads back to the same octets (a type bitmap with trailing zero
    // octets, which rdata_from_text never produces), is written in the
    // RFC 3597 form.
    Walk walk { type };
    if (!check_fields(*layout, wire, walk) || !walk.representable) {
        append_generic(out, wire);
        return;
    }
    out.reserve(out.size() + wire.size() * 2 + 16);
    size_t pos = 0;
    bool first = true;
    for (const Field& field : layout->fields) {
        size_t end = *field_end(field, wire, pos, walk);
        // An empty optional rest (the type bitmap of an NSEC3 for an empty
        // non-terminal, an ISDN address without subaddress) adds no token,
        // and so no separator.
        bool no_token = end == pos
            && (field.kind == FieldKind::TypeBitmapRest || field.kind == FieldKind::OptCharString
                || field.kind == FieldKind::Base64OptRest);
        if (!first && !no_token)
            out.push_back(' ');
        first = false;
        append_field_text(field, type, wire, pos, end, out);
        pos = end;
    }
}

void append_type_and_rdata_text(std::string& out, RRType type, std::string_view wire)
{
    // One lookup per record: this writes every line of a signed zone.
    const bool portable = append_type_text(out, static_cast<uint16_t>(type));
    out.push_back(' ');
    const size_t start = out.size();
    if (portable)
        append_rdata_text(out, type, wire);
    else
        append_generic(out, wire);
    // An empty APL has no RDATA text: no space after its type either.
    if (out.size() == start)
        out.pop_back();
}

std::string rdata_to_text(RRType type, std::string_view wire)
{
    std::string out;
    append_rdata_text(out, type, wire);
    return out;
}

namespace detail {

void minimize_type_bitmap(RRType type, Bytes& wire)
{
    const Layout* layout = find_layout(type);
    if (!layout)
        return;
    Walk walk { type };
    size_t pos = 0;
    for (const Field& field : layout->fields) {
        if (field.kind == FieldKind::TypeBitmapRest) {
            auto types = type_bitmap_from_wire(std::string_view(wire).substr(pos));
            if (!types)
                return;
            std::vector<uint16_t> values(types->size());
            for (size_t i = 0; i < types->size(); ++i)
                values[i] = static_cast<uint16_t>((*types)[i]);
            wire.resize(pos);
            append_type_bitmap(wire, values);
            return;
        }
        auto end = field_end(field, wire, pos, walk);
        if (!end)
            return;
        pos = *end;
    }
}

} // namespace detail

bool canonical_lowercases_names(RRType type)
{
    const Layout* layout = find_canonical_layout(type);
    return layout && layout->lowercase_names;
}

Bytes rdata_canonical(RRType type, std::string_view wire)
{
    Bytes out;
    rdata_canonical(type, wire, out);
    return out;
}

void rdata_canonical(RRType type, std::string_view wire, Bytes& out)
{
    const size_t base = out.size();
    out += wire;
    const Layout* layout = find_canonical_layout(type);
    if (!layout || !layout->lowercase_names)
        return;
    Walk walk { type };
    size_t pos = 0;
    for (const Field& field : layout->fields) {
        auto end = field_end(field, wire, pos, walk);
        if (!end)
            return;
        if (field.kind == FieldKind::Name) {
            // Length octets are below 64 and so never change; lower-casing
            // every octet of the name lower-cases its labels.
            for (size_t i = base + pos; i < base + *end; ++i) {
                char c = out[i];
                if (c >= 'A' && c <= 'Z')
                    out[i] = static_cast<char>(c + 32);
            }
        }
        pos = *end;
    }
}

} // namespace signet::dns
