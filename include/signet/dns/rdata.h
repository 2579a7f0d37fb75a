// RR types and RDATA codecs. Each type's layout is described once (a field
// list in dns/rdata_layout.cc) and drives the text→wire, wire→text and
// canonical-form conversions; LOC and SVCB/HTTPS, whose presentation format is
// not a plain field sequence, have their own codecs beside it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <signet/base/error.h>
#include <signet/base/hex.h>
#include <signet/dns/name.h>

namespace signet::dns {

// IANA RR type values. Any other 16-bit value is valid too and is handled by
// the RFC 3597 generic codec; the enum only names the ones Signet knows.
enum class RRType : uint16_t {
    A = 1,
    NS = 2,
    MD = 3,
    MF = 4,
    CNAME = 5,
    SOA = 6,
    MB = 7,
    MG = 8,
    MR = 9,
    WKS = 11,
    PTR = 12,
    HINFO = 13,
    MINFO = 14,
    MX = 15,
    TXT = 16,
    RP = 17,
    AFSDB = 18,
    X25 = 19,
    ISDN = 20,
    RT = 21,
    NSAP = 22,
    NSAP_PTR = 23,
    SIG = 24,
    KEY = 25,
    PX = 26,
    GPOS = 27,
    AAAA = 28,
    LOC = 29,
    EID = 31,
    NIMLOC = 32,
    SRV = 33,
    ATMA = 34,
    NAPTR = 35,
    KX = 36,
    CERT = 37,
    A6 = 38,
    DNAME = 39,
    SINK = 40,
    APL = 42,
    DS = 43,
    SSHFP = 44,
    IPSECKEY = 45,
    RRSIG = 46,
    NSEC = 47,
    DNSKEY = 48,
    DHCID = 49,
    NSEC3 = 50,
    NSEC3PARAM = 51,
    TLSA = 52,
    SMIMEA = 53,
    HIP = 55,
    NINFO = 56,
    RKEY = 57,
    TALINK = 58,
    CDS = 59,
    CDNSKEY = 60,
    OPENPGPKEY = 61,
    CSYNC = 62,
    ZONEMD = 63,
    SVCB = 64,
    HTTPS = 65,
    DSYNC = 66,
    SPF = 99,
    NID = 104,
    L32 = 105,
    L64 = 106,
    LP = 107,
    EUI48 = 108,
    EUI64 = 109,
    ANY = 255,
    URI = 256,
    CAA = 257,
    AVC = 258,
    DOA = 259,
    AMTRELAY = 260,
    RESINFO = 261,
    WALLET = 262,
    TA = 32768,
    DLV = 32769,
};

// "A", "NSEC3", "WALLET", or "TYPE65534" for types without a mnemonic: the
// name for messages and reports.
std::string type_to_text(RRType type);
// True when every zone reader Signet's output is meant for (BIND 9.18,
// Knot 3.2, NSD 4.6, ldns 1.8) reads this type's mnemonic and, where Signet
// has one, its presentation format. Master files Signet writes name other
// types TYPEnnn and give their RDATA in the RFC 3597 form, which all of them
// read.
bool type_is_portable(RRType type);
// Accepts mnemonics (any case) and "TYPEnnn".
std::optional<RRType> type_from_text(std::string_view text);
// True for the types whose RDATA has a dedicated codec here.
bool is_known_type(RRType type);

// One token of RDATA presentation text, as the master-file tokenizer found it:
// escapes are still in `text` (a name needs "\." kept apart from "."); quotes
// are removed and recorded in `quoted`. `column` counts from 1. The text is a
// view of the tokenizer's buffer.
struct Token {
    std::string_view text;
    bool quoted = false;
    uint32_t column = 0;
};

// Presentation → wire. `origin` completes relative names. Also accepts the
// RFC 3597 generic form ("\#" length hex) for every type, known or not, and
// checks that the wire data it gives is valid for a known type. Errors carry
// the column of the offending token in their location (file and line empty).
Result<Bytes> rdata_from_text(RRType type, std::span<const Token> tokens, NameView origin);
// The same, writing the wire form into `out` (replacing what it held), so
// that a reader can reuse one buffer for every record.
Result<void> rdata_from_text(RRType type, std::span<const Token> tokens, NameView origin, Bytes& out);

// Checks that `wire` is well-formed RDATA for `type` (always true for
// unknown types).
Result<void> rdata_check_wire(RRType type, std::string_view wire);

// Wire → presentation, for RDATA that passed rdata_check_wire. Names are
// absolute. Unknown types use the generic "\# len hex" form.
std::string rdata_to_text(RRType type, std::string_view wire);
void append_rdata_text(std::string& out, RRType type, std::string_view wire);
// "TYPE RDATA" as master files Signet writes them: the mnemonic and
// presentation format for a portable type (type_is_portable), else
// "TYPEnnn \# <length> <hex>".
void append_type_and_rdata_text(std::string& out, RRType type, std::string_view wire);

// Canonical RDATA (RFC 4034 §6.2 as amended by RFC 6840 §5.1): embedded names
// lower-cased only for NS, CNAME, SOA, PTR, MX, RP, SRV, NAPTR, DNAME and RRSIG
// (and the obsolete types of that list: MD, MF, MB, MG, MR, MINFO, AFSDB, RT,
// SIG, PX, NXT, KX). Other types are unchanged.
Bytes rdata_canonical(RRType type, std::string_view wire);
// The same, appended to `out`.
void rdata_canonical(RRType type, std::string_view wire, Bytes& out);
// True for exactly the types whose canonical RDATA lower-cases names, that
// is, whose rdata_canonical() may differ from the RDATA itself.
bool canonical_lowercases_names(RRType type);

// NSEC/NSEC3 type bitmaps (RFC 4034 §4.1.2). `types` need not be sorted.
Bytes type_bitmap_to_wire(std::span<const RRType> types);
Result<std::vector<RRType>> type_bitmap_from_wire(std::string_view wire);

// Encodings used by RDATA presentation formats.
std::string to_base64(std::string_view bytes);
Result<Bytes> from_base64(std::string_view text);
// RFC 4648 §7 ("extended hex"), no padding: upper case in RDATA (NSEC3's next
// hashed owner), lower case in NSEC3 owner names as signers write them.
std::string to_base32hex(std::string_view bytes, HexCase letters = HexCase::Upper);
Result<Bytes> from_base32hex(std::string_view text); // either case, no padding
// Hex as RDATA presentation formats write it (upper case) and read it
// (either case): signet::to_hex and signet::from_hex (signet/base/hex.h).
std::string to_hex(std::string_view bytes);
Result<Bytes> from_hex(std::string_view text);

} // namespace signet::dns
