// Private to the RDATA codecs: the field vocabulary the per-type layouts are
// written in, the layout table, and the small text and wire helpers shared by
// the generic engine (rdata_text.cc, rdata_wire.cc) and the LOC and SVCB
// codecs. Nothing here is part of the public API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <signet/base/error.h>
#include <signet/dns/name.h>
#include <signet/dns/rdata.h>

namespace signet::dns::detail {

// Largest RDATA: RDLENGTH is a 16-bit field (RFC 1035 §3.2.1).
constexpr size_t max_rdata_length = 65535;

// What one RDATA field is, in both presentation and wire form.
enum class FieldKind : uint8_t {
    U8,
    U16,
    U32,
    Ttl32, // 32-bit count of seconds; text also takes TTL units ("1h30m")
    Time32, // RRSIG time: YYYYMMDDHHmmSS or decimal seconds (RFC 4034 §3.2)
    Name, // uncompressed domain name
    IPv4,
    IPv6,
    CharString, // one <character-string>: length octet + data
    CharStrings, // rest: one or more <character-string>s (TXT)
    StringRest, // rest: octets with no length prefix, one quoted-or-not token (CAA value, URI target)
    CaaTag, // length octet + 1..255 letters and digits (RFC 8659 §4.1)
    Base64Rest, // rest: base64 split over any number of tokens
    HexRest, // rest: hex split over any number of tokens
    Salt, // length octet + hex; "-" for none (RFC 5155 §3.3)
    Base32HexNext, // length octet + base32hex without padding (RFC 5155 §3.3)
    TypeBitmapRest, // rest: type mnemonics <-> window bitmaps (RFC 4034 §4.1.2)
    TypeCovered, // 16-bit type, written as a mnemonic
    Algorithm, // DNSSEC algorithm: number or mnemonic (RFC 4034 Appendix A.1)
    CertType, // CERT type: number or mnemonic (RFC 4398 §2.1)
    OptCharString, // rest: none or one <character-string> (ISDN subaddress)
    X25Address, // <character-string> of at least 4 decimal digits (RFC 1183 §3.1)
    Decimal, // <character-string> holding a decimal number (GPOS, RFC 1712 §3)
    Eui48, // 6 octets as xx-xx-xx-xx-xx-xx (RFC 7043 §3.2)
    Eui64, // 8 octets as xx-xx-xx-xx-xx-xx-xx-xx (RFC 7043 §4.2)
    Locator64, // 8 octets as four colon-separated 16-bit hex groups (RFC 6742 §2.1)
    NsapRest, // rest: "0x" then hex, dots allowed between digits (RFC 1706 §5)
    AtmaRest, // rest: format octet and address; "+digits" (E.164) or hex (NSAP) (ATM Forum AF-DANS-0152.000)
    DType, // two tokens, the D bit and a 7-bit type, in one octet (AMTRELAY, RFC 8777 §4.2)
    Gateway, // by the type in octet 1: none ".", IPv4, IPv6 or a name (RFC 4025 §2.5, RFC 8777 §4.2.4)
    Base64OptRest, // rest: base64 over any number of tokens, or nothing
    Base64DashRest, // rest: base64, or "-" for none (DOA, RFC draft-durand-doa-over-dns §3)
    DsyncScheme, // 8-bit scheme: a number or NOTIFY (RFC 9859 §2.1)
};

// Fields that take the rest of the wire data; a layout may have only one,
// and only as its last field.
constexpr bool is_rest(FieldKind kind)
{
    switch (kind) {
    case FieldKind::CharStrings:
    case FieldKind::StringRest:
    case FieldKind::Base64Rest:
    case FieldKind::HexRest:
    case FieldKind::TypeBitmapRest:
    case FieldKind::OptCharString:
    case FieldKind::NsapRest:
    case FieldKind::AtmaRest:
    case FieldKind::Base64OptRest:
    case FieldKind::Base64DashRest:
        return true;
    default:
        return false;
    }
}

struct Field {
    FieldKind kind;
    std::string_view name; // as the defining RFC names it, for messages
};

// A type whose presentation format is not a plain field sequence.
struct CustomCodec {
    Result<void> (*from_text)(RRType type, std::span<const Token> tokens, NameView origin, Bytes& out);
    Result<void> (*check_wire)(std::string_view wire);
    // Appends the presentation form; false when there is none that reads back
    // to the same wire data (the caller then uses the RFC 3597 form).
    bool (*to_text)(std::string_view wire, std::string& out);
};

struct Layout {
    std::span<const Field> fields;
    // RFC 4034 §6.2 as amended by RFC 6840 §5.1: the embedded names of this
    // type are lower-cased in canonical form.
    bool lowercase_names = false;
    // Rules that span fields (a digest length that depends on its type).
    Result<void> (*extra_check)(std::string_view wire) = nullptr;
    const CustomCodec* custom = nullptr;
};

// RFC 1876 LOC (rdata_loc.cc), RFC 9460 SVCB/HTTPS (rdata_svcb.cc), and
// APL, A6, HIP and WKS (rdata_lists.cc).
extern const CustomCodec loc_codec;
extern const CustomCodec svcb_codec;
extern const CustomCodec apl_codec;
extern const CustomCodec a6_codec;
extern const CustomCodec hip_codec;
extern const CustomCodec wks_codec;

// The gateway type an IPSECKEY or AMTRELAY record keeps in its second octet
// (AMTRELAY shares that octet with the D bit).
inline uint8_t gateway_type(RRType type, uint8_t octet) { return type == RRType::AMTRELAY ? octet & 0x7f : octet; }

// The layout of a type with a dedicated codec, or nullptr.
const Layout* find_layout(RRType type);
// The same, plus the obsolete types whose embedded names RFC 4034 §6.2
// lower-cases although Signet reads them only in the generic form.
const Layout* find_canonical_layout(RRType type);

// --- errors ---------------------------------------------------------------

// A parse error pointing at `token`'s column.
Error token_error(const Token& token, std::string message);
// A parse error with no particular token (the caller's line is used).
Error parse_error(std::string message);

// --- text helpers (rdata_text.cc) -----------------------------------------

// Plain unsigned decimal, no sign, at most `max`.
std::optional<uint64_t> parse_decimal(std::string_view text, uint64_t max);
// Dotted quad, four decimal parts without leading zeros.
bool parse_ipv4(std::string_view text, uint8_t* out);
bool parse_ipv6(std::string_view text, uint8_t* out);
// 0..15, or -1 for a character that is not a hex digit.
int hex_digit_value(char c);
// RFC 1183 §3.1: a PSDN address is decimal digits, starting with a 4-digit
// DNIC.
bool is_x25_address(std::string_view text);
// An optional sign, decimal digits and at most one '.' (GPOS, RFC 1712 §3).
bool is_decimal_number(std::string_view text);
// Decodes "\DDD" and "\X" escapes (RFC 1035 §5.1), appending the octets.
// False on a malformed escape.
bool decode_escapes(std::string_view text, Bytes& out);
// A <character-string> in double quotes: '"' and '\' escaped with '\', octets
// outside 0x20..0x7e as \DDD.
void append_quoted(std::string& out, std::string_view bytes);
void append_ipv4_text(std::string& out, std::string_view four);
void append_ipv6_text(std::string& out, std::string_view sixteen);
// "\# <length> <HEX>" (RFC 3597 §5); "\# 0" when empty.
void append_generic(std::string& out, std::string_view wire);

inline void append_u16(Bytes& out, uint16_t value)
{
    out.push_back(static_cast<char>(value >> 8));
    out.push_back(static_cast<char>(value & 0xff));
}

inline void append_u32(Bytes& out, uint32_t value)
{
    append_u16(out, static_cast<uint16_t>(value >> 16));
    append_u16(out, static_cast<uint16_t>(value & 0xffff));
}

inline uint8_t get_u8(std::string_view wire, size_t pos) { return static_cast<uint8_t>(wire[pos]); }

inline uint16_t get_u16(std::string_view wire, size_t pos)
{
    return static_cast<uint16_t>((get_u8(wire, pos) << 8) | get_u8(wire, pos + 1));
}

inline uint32_t get_u32(std::string_view wire, size_t pos)
{
    return (static_cast<uint32_t>(get_u16(wire, pos)) << 16) | get_u16(wire, pos + 2);
}

// --- encodings (encoding.cc; hex is signet/base/hex.h) ---------------------

// Base64 split over several tokens, in 4-character quanta that may straddle
// tokens; padding ends the data.
class Base64Stream {
public:
    bool feed(std::string_view text, Bytes& out);
    bool finish() const { return count_ == 0; }

private:
    uint8_t quantum_[4] = {};
    uint8_t count_ = 0;
    uint8_t pads_ = 0;
    bool done_ = false;
};

void append_base64(std::string& out, std::string_view bytes);
void append_base32hex(std::string& out, std::string_view bytes);
bool decode_base32hex(std::string_view text, Bytes& out);

// --- types (rdata_types.cc) -----------------------------------------------

std::optional<uint8_t> algorithm_from_text(std::string_view text);
std::optional<uint16_t> cert_type_from_text(std::string_view text);
// The type as master files Signet writes name it (type_is_portable);
// returns whether that was its mnemonic.
bool append_type_text(std::string& out, uint16_t type);
// Sorts `types` in place and appends the minimal window bitmaps.
void append_type_bitmap(Bytes& out, std::span<uint16_t> types);
// Rewrites the type bitmap of valid NSEC or NSEC3 RDATA in its minimal form
// (the same types, no trailing zero octets).
void minimize_type_bitmap(RRType type, Bytes& wire);
// Validates the bitmaps in `wire` (windows ascending, lengths 1..32). Sets
// `minimal` false when a window ends in a zero octet, which RFC 4034 §4.1.2
// forbids writers but readers can tolerate.
Result<void> check_type_bitmap(std::string_view wire, bool& minimal);

} // namespace signet::dns::detail
