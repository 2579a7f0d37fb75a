// APL, A6, HIP and WKS: types whose RDATA holds a list or a part whose size
// depends on another, so their presentation form is not a field sequence.
#include <netdb.h>

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include <signet/base/excerpt.h>
#include <signet/base/hex.h>

#include "detail/rdata_internal.h"

namespace signet::dns::detail {

namespace {

// --- APL (RFC 3123) ---------------------------------------------------------

struct Family {
    uint16_t number;
    size_t octets; // of a whole address
};

// RFC 3123 §4.1 defines families 1 (IPv4) and 2 (IPv6) for the text form.
std::optional<Family> apl_family(uint16_t number)
{
    if (number == 1)
        return Family { 1, 4 };
    if (number == 2)
        return Family { 2, 16 };
    return std::nullopt;
}

// "[!]afi:address/prefix" (RFC 3123 §5).
Result<void> apl_from_text(RRType, std::span<const Token> tokens, NameView, Bytes& out)
{
    for (const Token& token : tokens) {
        std::string_view text = token.text;
        auto bad = [&](std::string_view why) {
            return fail(token_error(token, fmt::format("bad APL item '{}': {}", excerpt(token.text), why)));
        };
        bool negated = !text.empty() && text[0] == '!';
        if (negated)
            text.remove_prefix(1);
        size_t colon = text.find(':');
        size_t slash = text.rfind('/');
        if (colon == std::string_view::npos || slash == std::string_view::npos || slash < colon)
            return bad("expected [!]family:address/prefix");
        auto number = parse_decimal(text.substr(0, colon), 65535);
        auto family = number ? apl_family(static_cast<uint16_t>(*number)) : std::nullopt;
        if (!family)
            return bad("the family is 1 (IPv4) or 2 (IPv6)");
        std::array<uint8_t, 16> address {};
        std::string_view written = text.substr(colon + 1, slash - colon - 1);
        bool parsed = family->number == 1 ? parse_ipv4(written, address.data()) : parse_ipv6(written, address.data());
        if (!parsed)
            return bad(family->number == 1 ? "not an IPv4 address" : "not an IPv6 address");
        auto prefix = parse_decimal(text.substr(slash + 1), family->octets * 8);
        if (!prefix)
            return bad(fmt::format("the prefix length is 0 to {}", family->octets * 8));
        // §4.1: trailing zero octets of the address are not sent.
        size_t length = family->octets;
        while (length > 0 && address[length - 1] == 0)
            --length;
        append_u16(out, family->number);
        out.push_back(static_cast<char>(*prefix));
        out.push_back(static_cast<char>((negated ? 0x80 : 0) | length));
        out.append(reinterpret_cast<const char*>(address.data()), length);
    }
    return {};
}

Result<void> apl_check_wire(std::string_view wire)
{
    for (size_t pos = 0; pos < wire.size();) {
        if (wire.size() - pos < 4)
            return fail(parse_error("APL item is shorter than its 4-octet header"));
        size_t length = get_u8(wire, pos + 3) & 0x7f;
        if (wire.size() - pos - 4 < length)
            return fail(parse_error("APL item's address is longer than the data left"));
        if (auto family = apl_family(get_u16(wire, pos))) {
            if (length > family->octets || get_u8(wire, pos + 2) > family->octets * 8)
                return fail(parse_error(fmt::format("APL item of family {} has an address of {} octets or a "
                                                    "prefix of {} bits",
                                                    family->number, length, get_u8(wire, pos + 2))));
        }
        pos += 4 + length;
    }
    return {};
}

bool apl_to_text(std::string_view wire, std::string& out)
{
    for (size_t pos = 0; pos < wire.size();) {
        auto family = apl_family(get_u16(wire, pos));
        size_t length = get_u8(wire, pos + 3) & 0x7f;
        // Unknown families have no text form, and an address with
        // trailing zero octets would not read back the same.
        if (!family || (length > 0 && wire[pos + 4 + length - 1] == '\0'))
            return false;
        std::array<char, 16> address {};
        std::copy_n(wire.data() + pos + 4, length, address.data());
        if (pos > 0)
            out.push_back(' ');
        if (get_u8(wire, pos + 3) & 0x80)
            out.push_back('!');
        fmt::format_to(std::back_inserter(out), "{}:", family->number);
        std::string_view whole(address.data(), family->octets);
        if (family->number == 1)
            append_ipv4_text(out, whole);
        else
            append_ipv6_text(out, whole);
        fmt::format_to(std::back_inserter(out), "/{}", get_u8(wire, pos + 2));
        pos += 4 + length;
    }
    return true;
}

// --- A6 (RFC 2874 §3.1) -------------------------------------------------------

// Octets of the address suffix after a prefix of `prefix` bits.
size_t a6_suffix_octets(unsigned prefix) { return (128 - prefix + 7) / 8; }

// "prefix-length [address-suffix] [prefix-name]": the suffix is written as a
// whole IPv6 address and left out for a prefix of 128; the name is there
// exactly when the prefix is not empty.
Result<void> a6_from_text(RRType, std::span<const Token> tokens, NameView origin, Bytes& out)
{
    if (tokens.empty())
        return fail(parse_error("missing RDATA field 'prefix length' for A6"));
    auto prefix = parse_decimal(tokens[0].text, 128);
    if (!prefix)
        return fail(token_error(tokens[0], fmt::format("bad prefix length '{}' for A6: expected 0 to 128",
                                                      excerpt(tokens[0].text))));
    out.push_back(static_cast<char>(*prefix));
    size_t next = 1;
    if (*prefix < 128) {
        if (next >= tokens.size())
            return fail(parse_error("missing RDATA field 'address suffix' for A6"));
        std::array<uint8_t, 16> address {};
        if (!parse_ipv6(tokens[next].text, address.data()))
            return fail(token_error(tokens[next], fmt::format("bad IPv6 address '{}'", excerpt(tokens[next].text))));
        size_t octets = a6_suffix_octets(static_cast<unsigned>(*prefix));
        size_t first = 16 - octets;
        // The prefix's bits in the suffix's first octet are pad, sent as
        // zero (§3.1.1).
        address[first] &= static_cast<uint8_t>(0xff >> (*prefix % 8));
        out.append(reinterpret_cast<const char*>(address.data() + first), octets);
        ++next;
    }
    if (*prefix > 0) {
        if (next >= tokens.size())
            return fail(parse_error("missing RDATA field 'prefix name' for A6"));
        auto name = Name::append_from_text(tokens[next].text, origin, out);
        if (!name)
            return fail(token_error(tokens[next], fmt::format("bad prefix name '{}' for A6: {}",
                                                             excerpt(tokens[next].text), name.error().message())));
        ++next;
    }
    if (next < tokens.size())
        return fail(token_error(tokens[next], fmt::format("trailing data '{}' after A6 RDATA",
                                                         excerpt(tokens[next].text))));
    return {};
}

Result<void> a6_check_wire(std::string_view wire)
{
    if (wire.empty())
        return fail(parse_error("A6 RDATA is empty"));
    unsigned prefix = get_u8(wire, 0);
    if (prefix > 128)
        return fail(parse_error(fmt::format("A6 prefix length {} is over 128", prefix)));
    size_t pos = 1 + a6_suffix_octets(prefix);
    if (wire.size() < pos)
        return fail(parse_error("A6 RDATA is too short for its address suffix"));
    if (prefix > 0) {
        auto name = NameView::from_wire(wire, pos);
        if (!name)
            return fail(parse_error(fmt::format("A6 prefix name: {}", name.error().message())));
    }
    if (pos != wire.size())
        return fail(parse_error(fmt::format("A6 RDATA has {} octets after its last field", wire.size() - pos)));
    return {};
}

bool a6_to_text(std::string_view wire, std::string& out)
{
    unsigned prefix = get_u8(wire, 0);
    size_t octets = a6_suffix_octets(prefix);
    // Pad bits that are not zero would not read back.
    if (octets > 0 && (get_u8(wire, 1) & ~(0xff >> (prefix % 8)) & 0xff) != 0)
        return false;
    fmt::format_to(std::back_inserter(out), "{}", prefix);
    if (prefix < 128) {
        std::array<char, 16> address {};
        std::copy_n(wire.data() + 1, octets, address.data() + 16 - octets);
        out.push_back(' ');
        append_ipv6_text(out, std::string_view(address.data(), 16));
    }
    if (prefix > 0) {
        out.push_back(' ');
        NameView::from_valid_wire(wire.substr(1 + octets)).append_text(out);
    }
    return true;
}

// --- HIP (RFC 8005 §5) --------------------------------------------------------

// "pk-algorithm HIT public-key [rendezvous-server ...]": the HIT in hex, the
// key in base64 as one token, the servers as names.
Result<void> hip_from_text(RRType, std::span<const Token> tokens, NameView origin, Bytes& out)
{
    static constexpr std::string_view names[] = { "PK algorithm", "HIT", "public key" };
    if (tokens.size() < 3)
        return fail(parse_error(fmt::format("missing RDATA field '{}' for HIP", names[tokens.size()])));
    auto algorithm = parse_decimal(tokens[0].text, 255);
    if (!algorithm)
        return fail(token_error(tokens[0], fmt::format("bad PK algorithm '{}' for HIP: expected 0 to 255",
                                                      excerpt(tokens[0].text))));
    Bytes hit;
    HexDecoder hex;
    if (!hex.feed(tokens[1].text, hit) || !hex.finish() || hit.empty() || hit.size() > 255)
        return fail(token_error(tokens[1], fmt::format("bad HIT '{}' for HIP: expected 1 to 255 octets in hex",
                                                      excerpt(tokens[1].text))));
    Bytes key;
    Base64Stream base64;
    if (!base64.feed(tokens[2].text, key) || !base64.finish() || key.empty() || key.size() > 65535)
        return fail(token_error(tokens[2], fmt::format("bad public key '{}' for HIP: expected base64",
                                                      excerpt(tokens[2].text))));
    out.push_back(static_cast<char>(hit.size()));
    out.push_back(static_cast<char>(*algorithm));
    append_u16(out, static_cast<uint16_t>(key.size()));
    out += hit;
    out += key;
    for (size_t i = 3; i < tokens.size(); ++i) {
        auto name = Name::append_from_text(tokens[i].text, origin, out);
        if (!name)
            return fail(token_error(tokens[i], fmt::format("bad rendezvous server '{}' for HIP: {}",
                                                          excerpt(tokens[i].text), name.error().message())));
    }
    return {};
}

Result<void> hip_check_wire(std::string_view wire)
{
    if (wire.size() < 4)
        return fail(parse_error("HIP RDATA is shorter than its 4-octet header"));
    size_t hit = get_u8(wire, 0);
    size_t key = get_u16(wire, 2);
    if (hit == 0 || key == 0)
        return fail(parse_error("HIP record has an empty HIT or public key"));
    size_t pos = 4 + hit + key;
    if (wire.size() < pos)
        return fail(parse_error("HIP RDATA is too short for its HIT and public key"));
    while (pos < wire.size()) {
        auto name = NameView::from_wire(wire, pos);
        if (!name)
            return fail(parse_error(fmt::format("HIP rendezvous server: {}", name.error().message())));
    }
    return {};
}

bool hip_to_text(std::string_view wire, std::string& out)
{
    size_t hit = get_u8(wire, 0);
    size_t key = get_u16(wire, 2);
    fmt::format_to(std::back_inserter(out), "{} ", get_u8(wire, 1));
    signet::append_hex(out, wire.substr(4, hit), HexCase::Upper);
    out.push_back(' ');
    append_base64(out, wire.substr(4 + hit, key));
    for (size_t pos = 4 + hit + key; pos < wire.size();) {
        size_t start = pos;
        (void)NameView::from_wire(wire, pos);
        out.push_back(' ');
        NameView::from_valid_wire(wire.substr(start, pos - start)).append_text(out);
    }
    return true;
}

// --- WKS (RFC 1035 §3.4.2) ----------------------------------------------------

constexpr size_t max_wks_bitmap = 8192; // ports 0..65535

// A protocol by number or name ("tcp", "udp", or what the system knows).
std::optional<uint8_t> wks_protocol(std::string_view text)
{
    if (auto number = parse_decimal(text, 255))
        return static_cast<uint8_t>(*number);
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
    });
    if (lower == "tcp")
        return 6;
    if (lower == "udp")
        return 17;
    protoent entry {};
    protoent* found = nullptr;
    std::array<char, 1024> buffer {};
    if (getprotobyname_r(lower.c_str(), &entry, buffer.data(), buffer.size(), &found) == 0 && found
        && found->p_proto >= 0 && found->p_proto <= 255)
        return static_cast<uint8_t>(found->p_proto);
    return std::nullopt;
}

// A port by number or by service name for the protocol.
std::optional<uint16_t> wks_port(std::string_view text, std::string_view protocol)
{
    if (auto number = parse_decimal(text, 65535))
        return static_cast<uint16_t>(*number);
    std::string name(text);
    std::string proto(protocol);
    servent entry {};
    servent* found = nullptr;
    std::array<char, 1024> buffer {};
    if (getservbyname_r(name.c_str(), proto.c_str(), &entry, buffer.data(), buffer.size(), &found) == 0 && found)
        return ntohs(static_cast<uint16_t>(found->s_port));
    return std::nullopt;
}

// "address protocol service ...": services by port number or name.
Result<void> wks_from_text(RRType, std::span<const Token> tokens, NameView, Bytes& out)
{
    if (tokens.size() < 2)
        return fail(parse_error(fmt::format("missing RDATA field '{}' for WKS", tokens.empty() ? "address" : "protocol")));
    uint8_t address[4];
    if (!parse_ipv4(tokens[0].text, address))
        return fail(token_error(tokens[0], fmt::format("bad IPv4 address '{}'", excerpt(tokens[0].text))));
    auto protocol = wks_protocol(tokens[1].text);
    if (!protocol)
        return fail(token_error(tokens[1], fmt::format("bad protocol '{}' for WKS: expected 0 to 255, tcp or udp",
                                                      excerpt(tokens[1].text))));
    std::string protocol_name = *protocol == 6 ? "tcp" : *protocol == 17 ? "udp" : std::string(tokens[1].text);
    Bytes bitmap;
    for (size_t i = 2; i < tokens.size(); ++i) {
        auto port = wks_port(tokens[i].text, protocol_name);
        if (!port)
            return fail(token_error(tokens[i], fmt::format("bad service '{}' for WKS: expected a port number or a "
                                                          "service name the system knows", excerpt(tokens[i].text))));
        size_t octet = *port / 8;
        if (bitmap.size() <= octet)
            bitmap.resize(octet + 1, '\0');
        bitmap[octet] = static_cast<char>(bitmap[octet] | (0x80 >> (*port % 8)));
    }
    out.append(reinterpret_cast<const char*>(address), 4);
    out.push_back(static_cast<char>(*protocol));
    out += bitmap;
    return {};
}

Result<void> wks_check_wire(std::string_view wire)
{
    if (wire.size() < 5)
        return fail(parse_error("WKS RDATA is shorter than its address and protocol"));
    if (wire.size() - 5 > max_wks_bitmap)
        return fail(parse_error("WKS bit map is longer than 8192 octets"));
    return {};
}

bool wks_to_text(std::string_view wire, std::string& out)
{
    // A bit map with trailing zero octets would not read back the same.
    if (wire.size() > 5 && wire.back() == '\0')
        return false;
    append_ipv4_text(out, wire.substr(0, 4));
    fmt::format_to(std::back_inserter(out), " {}", get_u8(wire, 4));
    for (size_t octet = 5; octet < wire.size(); ++octet) {
        for (unsigned bit = 0; bit < 8; ++bit) {
            if (get_u8(wire, octet) & (0x80 >> bit))
                fmt::format_to(std::back_inserter(out), " {}", (octet - 5) * 8 + bit);
        }
    }
    return true;
}

} // namespace

const CustomCodec apl_codec { apl_from_text, apl_check_wire, apl_to_text };
const CustomCodec a6_codec { a6_from_text, a6_check_wire, a6_to_text };
const CustomCodec hip_codec { hip_from_text, hip_check_wire, hip_to_text };
const CustomCodec wks_codec { wks_from_text, wks_check_wire, wks_to_text };

} // namespace signet::dns::detail
