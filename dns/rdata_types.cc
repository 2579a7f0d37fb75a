// RR type mnemonics, the DNSSEC algorithm and CERT type mnemonics, and NSEC
// type bitmaps.
#include <algorithm>
#include <array>
#include <vector>

#include <fmt/format.h>

#include "detail/rdata_internal.h"

namespace signet::dns {

namespace {

struct Mnemonic {
    std::string_view name;
    uint16_t value;
    // Written in master files: every reader Signet writes for (BIND 9.18,
    // Knot 3.2, NSD 4.6, ldns 1.8) reads the mnemonic and, where Signet has
    // one, the presentation format. The others are written as TYPEnnn with
    // RFC 3597 RDATA (§5), which every one of them reads; they are still
    // read, and messages name them.
    bool portable;
};

// IANA "Resource Record (RR) TYPEs", sorted by value.
constexpr Mnemonic type_names[] = {
    { "A", 1, true }, { "NS", 2, true }, { "MD", 3, false }, { "MF", 4, false }, { "CNAME", 5, true },
    { "SOA", 6, true }, { "MB", 7, false }, { "MG", 8, false }, { "MR", 9, false }, { "NULL", 10, false },
    { "WKS", 11, false }, { "PTR", 12, true }, { "HINFO", 13, true }, { "MINFO", 14, true }, { "MX", 15, true },
    { "TXT", 16, true }, { "RP", 17, true }, { "AFSDB", 18, true }, { "X25", 19, false }, { "ISDN", 20, false },
    { "RT", 21, true }, { "NSAP", 22, false }, { "NSAP-PTR", 23, false }, { "SIG", 24, false }, { "KEY", 25, true },
    { "PX", 26, false }, { "GPOS", 27, false }, { "AAAA", 28, true }, { "LOC", 29, true }, { "NXT", 30, false },
    { "EID", 31, false }, { "NIMLOC", 32, false }, { "SRV", 33, true }, { "ATMA", 34, false },
    { "NAPTR", 35, true }, { "KX", 36, true }, { "CERT", 37, true }, { "A6", 38, false }, { "DNAME", 39, true },
    { "SINK", 40, false }, { "OPT", 41, false }, { "APL", 42, true }, { "DS", 43, true }, { "SSHFP", 44, true },
    { "IPSECKEY", 45, true }, { "RRSIG", 46, true }, { "NSEC", 47, true }, { "DNSKEY", 48, true },
    { "DHCID", 49, true }, { "NSEC3", 50, true }, { "NSEC3PARAM", 51, true }, { "TLSA", 52, true },
    { "SMIMEA", 53, true }, { "HIP", 55, false }, { "NINFO", 56, false }, { "RKEY", 57, false },
    { "TALINK", 58, false }, { "CDS", 59, true }, { "CDNSKEY", 60, true }, { "OPENPGPKEY", 61, true },
    { "CSYNC", 62, true }, { "ZONEMD", 63, true }, { "SVCB", 64, true }, { "HTTPS", 65, true },
    { "DSYNC", 66, false }, { "SPF", 99, true }, { "UINFO", 100, false }, { "UID", 101, false },
    { "GID", 102, false }, { "UNSPEC", 103, false }, { "NID", 104, true }, { "L32", 105, true },
    { "L64", 106, true }, { "LP", 107, true }, { "EUI48", 108, true }, { "EUI64", 109, true },
    { "TKEY", 249, true }, { "TSIG", 250, true }, { "IXFR", 251, true }, { "AXFR", 252, true },
    { "MAILB", 253, true }, { "MAILA", 254, true }, { "ANY", 255, true }, { "URI", 256, true },
    { "CAA", 257, true }, { "AVC", 258, false }, { "DOA", 259, false }, { "AMTRELAY", 260, false },
    { "RESINFO", 261, false }, { "WALLET", 262, false }, { "TA", 32768, false }, { "DLV", 32769, false },
};

constexpr bool sorted_by_value()
{
    for (size_t i = 1; i < std::size(type_names); ++i) {
        if (type_names[i - 1].value >= type_names[i].value)
            return false;
    }
    return true;
}
static_assert(sorted_by_value(), "type_names must be sorted by value for the binary search");

constexpr size_t max_mnemonic_length = 10; // "NSEC3PARAM", "OPENPGPKEY"

// FNV-1a, for the lookup of upper-case mnemonics: the zone reader looks up
// the type of every record.
constexpr uint32_t mnemonic_hash(std::string_view text)
{
    uint32_t hash = 2166136261u;
    for (char c : text) {
        hash ^= static_cast<uint8_t>(c);
        hash *= 16777619u;
    }
    return hash;
}

// Open addressing over indexes into type_names; `empty` marks a free slot.
constexpr size_t hash_slots = 512;
constexpr uint8_t empty = 0xff;
static_assert(std::size(type_names) < empty && std::size(type_names) * 2 < hash_slots);

constexpr auto type_names_by_hash = [] {
    std::array<uint8_t, hash_slots> table {};
    for (auto& slot : table)
        slot = empty;
    for (size_t i = 0; i < std::size(type_names); ++i) {
        size_t slot = mnemonic_hash(type_names[i].name) & (hash_slots - 1);
        while (table[slot] != empty)
            slot = (slot + 1) & (hash_slots - 1);
        table[slot] = static_cast<uint8_t>(i);
    }
    return table;
}();

// DNSSEC algorithm numbers (RFC 4034 Appendix A.1 and the IANA registry).
constexpr Mnemonic algorithm_names[] = {
    { "RSAMD5", 1, true }, { "DH", 2, true }, { "DSA", 3, true }, { "RSASHA1", 5, true },
    { "DSA-NSEC3-SHA1", 6, true }, { "RSASHA1-NSEC3-SHA1", 7, true }, { "RSASHA256", 8, true },
    { "RSASHA512", 10, true }, { "ECC-GOST", 12, true }, { "ECDSAP256SHA256", 13, true },
    { "ECDSAP384SHA384", 14, true }, { "ED25519", 15, true }, { "ED448", 16, true },
    { "INDIRECT", 252, true }, { "PRIVATEDNS", 253, true }, { "PRIVATEOID", 254, true },
};

// CERT types (RFC 4398 §2.1).
constexpr Mnemonic cert_type_names[] = {
    { "PKIX", 1, true }, { "SPKI", 2, true }, { "PGP", 3, true }, { "IPKIX", 4, true },
    { "ISPKI", 5, true }, { "IPGP", 6, true }, { "ACPKIX", 7, true }, { "IACPKIX", 8, true },
    { "URI", 253, true }, { "OID", 254, true },
};

bool equal_ignoring_case(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i) {
        auto x = static_cast<uint8_t>(a[i]);
        auto y = static_cast<uint8_t>(b[i]);
        if (x >= 'a' && x <= 'z')
            x = static_cast<uint8_t>(x - 32);
        if (y >= 'a' && y <= 'z')
            y = static_cast<uint8_t>(y - 32);
        if (x != y)
            return false;
    }
    return true;
}

std::optional<uint16_t> find_mnemonic(std::span<const Mnemonic> table, std::string_view text)
{
    for (const auto& entry : table) {
        if (equal_ignoring_case(entry.name, text))
            return entry.value;
    }
    return std::nullopt;
}

const Mnemonic* type_entry(uint16_t value)
{
    const auto* it = std::lower_bound(std::begin(type_names), std::end(type_names), value,
                                      [](const Mnemonic& m, uint16_t v) { return m.value < v; });
    if (it == std::end(type_names) || it->value != value)
        return nullptr;
    return it;
}

} // namespace

std::string type_to_text(RRType type)
{
    if (const Mnemonic* entry = type_entry(static_cast<uint16_t>(type)))
        return std::string(entry->name);
    return fmt::format("TYPE{}", static_cast<uint16_t>(type));
}

bool type_is_portable(RRType type)
{
    const Mnemonic* entry = type_entry(static_cast<uint16_t>(type));
    return entry && entry->portable;
}

std::optional<RRType> type_from_text(std::string_view text)
{
    if (text.empty() || text.size() > max_mnemonic_length + 5)
        return std::nullopt;
    // Upper-case into a small buffer once, then look the name up by hash:
    // the zone reader calls this for every record.
    std::array<char, max_mnemonic_length + 5> upper;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        upper[i] = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
    }
    std::string_view key(upper.data(), text.size());
    if (key.size() > 4 && key.starts_with("TYPE")) {
        // RFC 3597 §5: "TYPE" followed by the decimal type number.
        std::string_view digits = key.substr(4);
        if (digits.size() > 5)
            return std::nullopt;
        auto value = detail::parse_decimal(digits, 65535);
        if (!value)
            return std::nullopt;
        return static_cast<RRType>(*value);
    }
    for (size_t slot = mnemonic_hash(key) & (hash_slots - 1); type_names_by_hash[slot] != empty;
         slot = (slot + 1) & (hash_slots - 1)) {
        const Mnemonic& entry = type_names[type_names_by_hash[slot]];
        if (entry.name == key)
            return static_cast<RRType>(entry.value);
    }
    return std::nullopt;
}

bool is_known_type(RRType type) { return detail::find_layout(type) != nullptr; }

Bytes type_bitmap_to_wire(std::span<const RRType> types)
{
    // Most nodes have a handful of types; sort them on the stack.
    constexpr size_t small = 64;
    Bytes out;
    if (types.size() <= small) {
        std::array<uint16_t, small> values;
        for (size_t i = 0; i < types.size(); ++i)
            values[i] = static_cast<uint16_t>(types[i]);
        detail::append_type_bitmap(out, std::span(values.data(), types.size()));
    } else {
        std::vector<uint16_t> values(types.size());
        for (size_t i = 0; i < types.size(); ++i)
            values[i] = static_cast<uint16_t>(types[i]);
        detail::append_type_bitmap(out, values);
    }
    return out;
}

Result<std::vector<RRType>> type_bitmap_from_wire(std::string_view wire)
{
    bool minimal = true;
    SIGNET_TRY(detail::check_type_bitmap(wire, minimal));
    std::vector<RRType> types;
    for (size_t pos = 0; pos < wire.size();) {
        unsigned window = detail::get_u8(wire, pos);
        size_t length = detail::get_u8(wire, pos + 1);
        for (size_t i = 0; i < length; ++i) {
            uint8_t octet = detail::get_u8(wire, pos + 2 + i);
            for (unsigned bit = 0; bit < 8; ++bit) {
                if (octet & (0x80 >> bit))
                    types.push_back(static_cast<RRType>(window * 256 + i * 8 + bit));
            }
        }
        pos += 2 + length;
    }
    return types;
}

namespace detail {

std::optional<uint8_t> algorithm_from_text(std::string_view text)
{
    if (!text.empty() && text[0] >= '0' && text[0] <= '9') {
        auto value = parse_decimal(text, 255);
        return value ? std::optional<uint8_t>(static_cast<uint8_t>(*value)) : std::nullopt;
    }
    auto value = find_mnemonic(algorithm_names, text);
    return value ? std::optional<uint8_t>(static_cast<uint8_t>(*value)) : std::nullopt;
}

std::optional<uint16_t> cert_type_from_text(std::string_view text)
{
    if (!text.empty() && text[0] >= '0' && text[0] <= '9') {
        auto value = parse_decimal(text, 65535);
        return value ? std::optional<uint16_t>(static_cast<uint16_t>(*value)) : std::nullopt;
    }
    return find_mnemonic(cert_type_names, text);
}

bool append_type_text(std::string& out, uint16_t type)
{
    const Mnemonic* entry = type_entry(type);
    if (entry && entry->portable) {
        out += entry->name;
        return true;
    }
    fmt::format_to(std::back_inserter(out), "TYPE{}", type);
    return false;
}

void append_type_bitmap(Bytes& out, std::span<uint16_t> types)
{
    std::sort(types.begin(), types.end());
    // RFC 4034 §4.1.2: one block per window that has a type, in increasing
    // window order, each as long as its last non-zero octet requires.
    size_t i = 0;
    while (i < types.size()) {
        unsigned window = types[i] >> 8;
        std::array<uint8_t, 32> bits {};
        size_t length = 0;
        for (; i < types.size() && (types[i] >> 8) == window; ++i) {
            unsigned low = types[i] & 0xff;
            bits[low / 8] = static_cast<uint8_t>(bits[low / 8] | (0x80 >> (low % 8)));
            length = low / 8 + 1;
        }
        out.push_back(static_cast<char>(window));
        out.push_back(static_cast<char>(length));
        out.append(reinterpret_cast<const char*>(bits.data()), length);
    }
}

Result<void> check_type_bitmap(std::string_view wire, bool& minimal)
{
    int last_window = -1;
    for (size_t pos = 0; pos < wire.size();) {
        if (wire.size() - pos < 2)
            return fail(parse_error("type bitmap is truncated"));
        int window = get_u8(wire, pos);
        size_t length = get_u8(wire, pos + 1);
        if (window <= last_window)
            return fail(parse_error("type bitmap windows are not in increasing order"));
        if (length == 0 || length > 32)
            return fail(parse_error(fmt::format("type bitmap window {} has length {} (must be 1 to 32)", window, length)));
        if (wire.size() - pos - 2 < length)
            return fail(parse_error("type bitmap is truncated"));
        if (get_u8(wire, pos + 1 + length) == 0)
            minimal = false;
        last_window = window;
        pos += 2 + length;
    }
    return {};
}

} // namespace detail

} // namespace signet::dns
