#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <algorithm>
#include <initializer_list>
#include <string>
#include <vector>

#include <signet/dns/rdata.h>

namespace signet::dns::rdata_test {
namespace {

// Splits RDATA text the way the master-file reader does: quotes removed and
// recorded, backslash escapes kept, parentheses and comments dropped,
// columns counted from 1. Token texts are views of `text`.
std::vector<Token> tokenize(std::string_view text)
{
    std::vector<Token> tokens;
    size_t i = 0;
    while (i < text.size()) {
        char c = text[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '(' || c == ')') {
            ++i;
            continue;
        }
        if (c == ';') {
            while (i < text.size() && text[i] != '\n')
                ++i;
            continue;
        }
        Token token;
        token.column = static_cast<uint32_t>(i + 1);
        size_t start = i;
        if (c == '"') {
            token.quoted = true;
            start = ++i;
            while (i < text.size() && text[i] != '"')
                i += (text[i] == '\\' && i + 1 < text.size()) ? 2 : 1;
            token.text = text.substr(start, i - start);
            ++i;
        } else {
            while (i < text.size()) {
                char d = text[i];
                if (d == ' ' || d == '\t' || d == '\n' || d == ';' || d == '(' || d == ')' || d == '"')
                    break;
                i += (d == '\\' && i + 1 < text.size()) ? 2 : 1;
            }
            token.text = text.substr(start, i - start);
        }
        tokens.push_back(token);
    }
    return tokens;
}

const Name& origin()
{
    static const Name name = Name::from_text("example.com.").value();
    return name;
}

Result<Bytes> parse(RRType type, std::string_view text)
{
    auto tokens = tokenize(text);
    return rdata_from_text(type, tokens, origin());
}

Bytes wire_of(RRType type, std::string_view text)
{
    auto wire = parse(type, text);
    EXPECT_TRUE(wire) << type_to_text(type) << " " << text << ": " << (wire ? "" : wire.error().to_string());
    return wire ? *wire : Bytes();
}

std::string error_of(RRType type, std::string_view text)
{
    auto wire = parse(type, text);
    EXPECT_FALSE(wire) << type_to_text(type) << " " << text << " was accepted";
    return wire ? std::string() : wire.error().message();
}

Bytes hex(std::string_view text)
{
    std::string digits;
    for (char c : text) {
        if (c != ' ' && c != '\n')
            digits += c;
    }
    return from_hex(digits).value();
}

Bytes octets(std::initializer_list<int> values)
{
    Bytes out;
    for (int v : values)
        out.push_back(static_cast<char>(v));
    return out;
}

Bytes u16(unsigned v) { return octets({ int(v >> 8), int(v & 0xff) }); }
Bytes u32(uint32_t v) { return u16(v >> 16) + u16(v & 0xffff); }
Bytes cs(std::string_view s) { return Bytes(1, static_cast<char>(s.size())) + Bytes(s); }
Bytes name(std::string_view text) { return Name::from_text(text, origin()).value().wire(); }

// Text → wire → text gives `printed`, which reads back to the same wire.
void expect_round_trip(RRType type, std::string_view text, std::string_view printed)
{
    Bytes wire = wire_of(type, text);
    EXPECT_TRUE(rdata_check_wire(type, wire)) << text;
    std::string out = rdata_to_text(type, wire);
    EXPECT_EQ(out, printed) << type_to_text(type) << " " << text;
    EXPECT_EQ(wire_of(type, out), wire) << type_to_text(type) << " " << out;
}

// RFC 4034 Appendix B, to cross-check decoded DNSKEY RDATA against the key
// tags the RFC examples state.
uint16_t key_tag(std::string_view rdata)
{
    uint32_t sum = 0;
    for (size_t i = 0; i < rdata.size(); ++i)
        sum += (i & 1) ? uint8_t(rdata[i]) : uint32_t(uint8_t(rdata[i])) << 8;
    sum += (sum >> 16) & 0xffff;
    return static_cast<uint16_t>(sum & 0xffff);
}

TEST(RRTypeText, MnemonicsAndGenericNames)
{
    EXPECT_EQ(type_to_text(RRType::A), "A");
    EXPECT_EQ(type_to_text(RRType::NSEC3PARAM), "NSEC3PARAM");
    EXPECT_EQ(type_to_text(static_cast<RRType>(65534)), "TYPE65534");
    EXPECT_EQ(type_from_text("nsec3param"), RRType::NSEC3PARAM);
    EXPECT_EQ(type_from_text("Https"), RRType::HTTPS);
    EXPECT_EQ(type_from_text("TYPE1234"), static_cast<RRType>(1234));
    EXPECT_EQ(type_from_text("type0"), static_cast<RRType>(0));
    EXPECT_EQ(type_from_text("TYPE65535"), static_cast<RRType>(65535));
    EXPECT_EQ(type_from_text("TYPE1"), RRType::A);
    for (auto bad : { "", "TYPE", "TYPE65536", "TYPE-1", "TYPE1x", "FOO", "A6X", "NSEC33" })
        EXPECT_FALSE(type_from_text(bad)) << bad;
    // Every value reads back from what is printed for it.
    for (uint32_t v = 0; v <= 65535; ++v)
        ASSERT_EQ(type_from_text(type_to_text(static_cast<RRType>(v))), static_cast<RRType>(v)) << v;
}

TEST(RRTypeText, KnownTypes)
{
    for (auto type : { RRType::A, RRType::SOA, RRType::TXT, RRType::LOC, RRType::NSEC3, RRType::SVCB,
                       RRType::HTTPS, RRType::CAA, RRType::URI, RRType::ZONEMD, RRType::SMIMEA, RRType::SPF })
        EXPECT_TRUE(is_known_type(type)) << type_to_text(type);
    EXPECT_FALSE(is_known_type(RRType::ANY));
    EXPECT_FALSE(is_known_type(static_cast<RRType>(1234)));
    EXPECT_TRUE(is_known_type(RRType::AFSDB));
    EXPECT_FALSE(is_known_type(static_cast<RRType>(10))); // NULL: no presentation format is defined
}

TEST(Rdata, Addresses)
{
    EXPECT_EQ(wire_of(RRType::A, "192.0.2.1"), octets({ 192, 0, 2, 1 }));
    expect_round_trip(RRType::A, "10.0.0.255", "10.0.0.255");
    EXPECT_EQ(error_of(RRType::A, "300.1.1.1"), "bad IPv4 address '300.1.1.1'");
    for (auto bad : { "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.", "1..2.3", "a.b.c.d", "1.2.3.4/24" })
        error_of(RRType::A, bad);
    EXPECT_EQ(wire_of(RRType::AAAA, "2001:db8::1"), hex("20010DB8000000000000000000000001"));
    expect_round_trip(RRType::AAAA, "2001:DB8:0:0:0:0:0:53", "2001:db8::53");
    expect_round_trip(RRType::AAAA, "::ffff:192.0.2.1", "::ffff:192.0.2.1");
    EXPECT_EQ(error_of(RRType::AAAA, "2001:db8::g"), "bad IPv6 address '2001:db8::g'");
    error_of(RRType::AAAA, "192.0.2.1");
}

TEST(Rdata, Ipv6AgreesWithInetPton)
{
    // The reader's own IPv6 parser must accept exactly what inet_pton does,
    // and give the same octets: edge cases, then random strings made of the
    // characters addresses are made of.
    std::vector<std::string> samples = {
        "::", "::1", "1::", "1:", ":1", ":::", "1:::2", "1::2::3", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7::", "::1:2:3:4:5:6:7", "::1:2:3:4:5:6:7:8", "12345::", "0001:2::", "::ffff:1.2.3.4",
        "::1.2.3.4", "1.2.3.4", "::01.2.3.4", "::256.1.1.1", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4",
        "::a.1.1.1", "::1234.1.1.1", "::1.2.3", "::1.2.3.4.5", "fe80::ABCD", "FFFF:ffff::", "1::2:",
        "1:2:3:4:5:6:7:8:", "::1.2.3.4:1", "1:2:3:4:5:6::1.2.3.4",
        "0000000000000000000000000000000000000000::", // a group of 40 digits
    };
    uint32_t seed = 42;
    auto next = [&] { return seed = seed * 1664525 + 1013904223, seed >> 16; };
    const std::string alphabet = "0123456789abcdefABCDEF:::::..g";
    for (int i = 0; i < 20000; ++i) {
        std::string text;
        for (uint32_t length = 1 + next() % 20; length > 0; --length)
            text += alphabet[next() % alphabet.size()];
        samples.push_back(text);
    }
    size_t accepted = 0;
    for (const auto& text : samples) {
        uint8_t expected[16];
        bool valid = inet_pton(AF_INET6, text.c_str(), expected) == 1;
        auto wire = parse(RRType::AAAA, text);
        ASSERT_EQ(bool(wire), valid) << text;
        if (valid) {
            ++accepted;
            EXPECT_EQ(*wire, std::string(reinterpret_cast<const char*>(expected), 16)) << text;
        }
    }
    EXPECT_GT(accepted, 30u);
}

TEST(Rdata, SingleNames)
{
    for (auto type : { RRType::NS, RRType::CNAME, RRType::DNAME, RRType::PTR }) {
        EXPECT_EQ(wire_of(type, "ns1"), name("ns1.example.com."));
        expect_round_trip(type, "@", "example.com.");
        expect_round_trip(type, "a\\.b.example.net.", "a\\.b.example.net.");
        error_of(type, "a..b");
    }
}

TEST(Rdata, Soa)
{
    Bytes wire = wire_of(RRType::SOA, "ns1 hostmaster ( 2024010101 1h 15m 2w3d 1D )");
    EXPECT_EQ(wire, name("ns1.example.com.") + name("hostmaster.example.com.") + u32(2024010101) + u32(3600)
                  + u32(900) + u32(17 * 86400) + u32(86400));
    EXPECT_EQ(rdata_to_text(RRType::SOA, wire),
              "ns1.example.com. hostmaster.example.com. 2024010101 3600 900 1468800 86400");
    expect_round_trip(RRType::SOA, ". . 4294967295 0 0 0 0", ". . 4294967295 0 0 0 0");
    error_of(RRType::SOA, "ns1 hostmaster 1h 1 1 1 1"); // the serial takes no units
    error_of(RRType::SOA, "ns1 hostmaster 4294967296 1 1 1 1");
    error_of(RRType::SOA, "ns1 hostmaster 1 1h30 1 1 1");
    EXPECT_EQ(error_of(RRType::SOA, "ns1 hostmaster 1 2 3 4"), "missing RDATA field 'minimum' for SOA");
}

TEST(Rdata, MxAndErrors)
{
    EXPECT_EQ(wire_of(RRType::MX, "10 mail"), u16(10) + name("mail.example.com."));
    expect_round_trip(RRType::MX, "0 .", "0 .");
    EXPECT_EQ(error_of(RRType::MX, "10"), "missing RDATA field 'exchange' for MX");
    EXPECT_EQ(error_of(RRType::MX, "10 mail extra"), "trailing data 'extra' after MX RDATA");
    error_of(RRType::MX, "65536 mail");
    error_of(RRType::MX, "-1 mail");
    error_of(RRType::MX, "1x mail");

    // The error points at the offending token's column.
    auto tokens = tokenize("10 bad..name");
    auto result = rdata_from_text(RRType::MX, tokens, origin());
    ASSERT_FALSE(result);
    ASSERT_TRUE(result.error().where());
    EXPECT_EQ(result.error().where()->column, 4u);
    EXPECT_EQ(result.error().code(), ErrorCode::Parse);
    EXPECT_NE(result.error().message().find("'bad..name'"), std::string::npos);
}

TEST(Rdata, TxtCharacterStrings)
{
    Bytes wire = wire_of(RRType::TXT, R"("hello world" plain "a\"b" "\065\\" "")");
    EXPECT_EQ(wire, cs("hello world") + cs("plain") + cs("a\"b") + cs("A\\") + cs(""));
    EXPECT_EQ(rdata_to_text(RRType::TXT, wire), R"("hello world" "plain" "a\"b" "A\\" "")");
    expect_round_trip(RRType::TXT, R"("\000\255 tab\009;x")", R"("\000\255 tab\009;x")");
    expect_round_trip(RRType::SPF, R"("v=spf1 -all")", R"("v=spf1 -all")");
    EXPECT_EQ(wire_of(RRType::TXT, R"(a\;b)"), cs("a;b"));

    std::string longest(255, 'x');
    EXPECT_EQ(wire_of(RRType::TXT, "\"" + longest + "\""), cs(longest));
    EXPECT_NE(error_of(RRType::TXT, "\"" + longest + "y\"").find("255"), std::string::npos);
    // Escapes count as the one octet they stand for.
    std::string escaped;
    for (int i = 0; i < 255; ++i)
        escaped += "\\065";
    EXPECT_EQ(wire_of(RRType::TXT, escaped), cs(std::string(255, 'A')));
    error_of(RRType::TXT, R"("bad \25 escape")");
    error_of(RRType::TXT, R"("\256")");
    error_of(RRType::TXT, "");
}

TEST(Rdata, HinfoRpSrvNaptr)
{
    EXPECT_EQ(wire_of(RRType::HINFO, R"("KLH-10" "ITS")"), cs("KLH-10") + cs("ITS"));
    expect_round_trip(RRType::HINFO, "PC Linux", R"("PC" "Linux")");
    error_of(RRType::HINFO, R"("only-one")");

    EXPECT_EQ(wire_of(RRType::RP, "admin.example.net. ."), name("admin.example.net.") + Bytes(1, '\0'));
    expect_round_trip(RRType::RP, "admin txt", "admin.example.com. txt.example.com.");

    EXPECT_EQ(wire_of(RRType::SRV, "0 5 5060 sip"), u16(0) + u16(5) + u16(5060) + name("sip.example.com."));
    expect_round_trip(RRType::SRV, "10 60 5060 bigbox", "10 60 5060 bigbox.example.com.");

    // RFC 3403 §4.1 field order: order, preference, flags, services,
    // regexp, replacement.
    Bytes naptr = wire_of(RRType::NAPTR, R"(100 10 "U" "E2U+sip" "!^.*$!sip:info@example.com!" .)");
    EXPECT_EQ(naptr, u16(100) + u16(10) + cs("U") + cs("E2U+sip") + cs("!^.*$!sip:info@example.com!") + Bytes(1, '\0'));
    expect_round_trip(RRType::NAPTR, R"(100 50 "s" "http+I2L" "" _http._tcp)",
                      R"(100 50 "s" "http+I2L" "" _http._tcp.example.com.)");
}

TEST(Rdata, Caa)
{
    // RFC 8659 §4.1: flags, tag (length-prefixed), value (the rest, no prefix).
    Bytes wire = wire_of(RRType::CAA, R"(0 issue "ca.example.net")");
    EXPECT_EQ(wire, octets({ 0 }) + cs("issue") + "ca.example.net");
    EXPECT_EQ(rdata_to_text(RRType::CAA, wire), R"(0 issue "ca.example.net")");
    EXPECT_EQ(wire_of(RRType::CAA, "0 issue ca.example.net"), wire);
    expect_round_trip(RRType::CAA, R"(128 tbs "Unknown")", R"(128 tbs "Unknown")");
    expect_round_trip(RRType::CAA, R"(0 issue ";")", R"(0 issue ";")");
    expect_round_trip(RRType::CAA, R"(0 iodef "mailto:security@example.com")", R"(0 iodef "mailto:security@example.com")");
    expect_round_trip(RRType::CAA, R"(0 issuewild "")", R"(0 issuewild "")");
    error_of(RRType::CAA, R"(0 is-sue "x")");
    error_of(RRType::CAA, R"(256 issue "x")");
    error_of(RRType::CAA, R"(0 issue "a" "b")");
    EXPECT_FALSE(rdata_check_wire(RRType::CAA, octets({ 0, 0 })));
    EXPECT_FALSE(rdata_check_wire(RRType::CAA, octets({ 0, 2, 'a', '-' })));
}

TEST(Rdata, CertTlsaSshfpOpenpgpkey)
{
    Bytes cert = wire_of(RRType::CERT, "PKIX 12345 RSASHA256 AQID BAU=");
    EXPECT_EQ(cert, u16(1) + u16(12345) + octets({ 8, 1, 2, 3, 4, 5 }));
    EXPECT_EQ(rdata_to_text(RRType::CERT, cert), "1 12345 8 AQIDBAU=");
    EXPECT_EQ(wire_of(RRType::CERT, "1 12345 8 AQIDBAU="), cert);
    expect_round_trip(RRType::CERT, "pgp 0 0 AA==", "3 0 0 AA==");
    expect_round_trip(RRType::CERT, "URI 0 0 AA==", "253 0 0 AA==");
    error_of(RRType::CERT, "X509 0 0 AA==");

    // RFC 6698 §2.3, the first two examples.
    Bytes tlsa = wire_of(RRType::TLSA, "0 0 1 d2abde240d7cd3ee6b4b28c54df034b9 7983a1d16e8a410e4561cb106618e971");
    EXPECT_EQ(tlsa, octets({ 0, 0, 1 }) + hex("d2abde240d7cd3ee6b4b28c54df034b97983a1d16e8a410e4561cb106618e971"));
    EXPECT_EQ(rdata_to_text(RRType::TLSA, tlsa),
              "0 0 1 D2ABDE240D7CD3EE6B4B28C54DF034B97983A1D16E8A410E4561CB106618E971");
    Bytes tlsa2 = wire_of(RRType::TLSA, "1 1 2 ( 92003ba34942dc74152e2f2c408d29ec a5a520e7f2e06bb944f4dca346baf63c"
                                        " 1b177615d466f6c4b71c216a50292bd5 8c9ebdd2f74e38fe51ffd48c43326cbc )");
    EXPECT_EQ(tlsa2.size(), 3u + 64u);
    EXPECT_EQ(tlsa2.substr(0, 4), octets({ 1, 1, 2, 0x92 }));
    expect_round_trip(RRType::SMIMEA, "3 0 0 30820122", "3 0 0 30820122");
    // Hex may be split anywhere, even inside an octet.
    EXPECT_EQ(wire_of(RRType::TLSA, "3 1 1 A BC D"), octets({ 3, 1, 1, 0xAB, 0xCD }));
    error_of(RRType::TLSA, "3 1 1 ABC");
    error_of(RRType::TLSA, "3 1 1 XY");
    error_of(RRType::TLSA, "3 1 1");

    // RFC 4255 §3.3.
    Bytes sshfp = wire_of(RRType::SSHFP, "2 1 123456789abcdef67890123456789abcdef67890");
    EXPECT_EQ(sshfp, octets({ 2, 1 }) + hex("123456789abcdef67890123456789abcdef67890"));
    EXPECT_EQ(rdata_to_text(RRType::SSHFP, sshfp), "2 1 123456789ABCDEF67890123456789ABCDEF67890");

    EXPECT_EQ(wire_of(RRType::OPENPGPKEY, "AQ ID BA U="), octets({ 1, 2, 3, 4, 5 }));
    expect_round_trip(RRType::OPENPGPKEY, "AQIDBAU=", "AQIDBAU=");
    error_of(RRType::OPENPGPKEY, "AQIDBAU");
    error_of(RRType::OPENPGPKEY, "");
}

constexpr std::string_view rfc4034_dnskey = "AQPSKmynfzW4kyBv015MUG2DeIQ3 Cbl+BBZH4b/0PY1kxkmvHjcZc8no "
                                            "kfzj31GajIQKY+5CptLr3buXA10h WqTkF7H6RfoRqXQeogmMHfpftf6z "
                                            "Mv1LyBUgia7za6ZEzOJBOztyvhjL 742iU/TpPSEDhm2SNKLijfUppn1U aNvv4w==";
constexpr std::string_view rfc4034_ds_key = "AQOeiiR0GOMYkDshWoSKz9Xz fwJr1AYtsmx3TGkJaNXVbfi/ 2pHm822aJ5iI9BMzNXxeYCmZ "
                                            "DRD99WYwYqUSdjMmmAphXdvx egXd/M5+X7OrzKBaMbCVdFLU "
                                            "Uh6DhweJBjEVv5f2wwjM9Xzc nOf+EPbtG9DMBmADjFDc2w/r ljwvFw==";

TEST(Rdata, DnskeyRfc4034)
{
    // RFC 4034 §2.3: flags 256, protocol 3, algorithm 5, then the key.
    Bytes wire = wire_of(RRType::DNSKEY, "256 3 5 ( " + std::string(rfc4034_dnskey) + " )");
    ASSERT_EQ(wire.size(), 4u + 130u);
    EXPECT_EQ(wire.substr(0, 12), hex("010003050103D22A6CA77F35"));
    // The same key signs the RFC 4034 §3.3 example with key tag 2642.
    EXPECT_EQ(key_tag(wire), 2642);
    std::string key(rfc4034_dnskey);
    std::erase(key, ' ');
    EXPECT_EQ(rdata_to_text(RRType::DNSKEY, wire), "256 3 5 " + key);
    EXPECT_EQ(wire_of(RRType::DNSKEY, "256 3 RSASHA1 " + key), wire);
    EXPECT_EQ(wire_of(RRType::CDNSKEY, "256 3 rsasha1 " + key), wire);

    // RFC 4034 §5.4: "key id = 60485".
    EXPECT_EQ(key_tag(wire_of(RRType::DNSKEY, "256 3 5 " + std::string(rfc4034_ds_key))), 60485);

    // RFC 8078 §4: the CDNSKEY delete form.
    EXPECT_EQ(wire_of(RRType::CDNSKEY, "0 3 0 AA=="), octets({ 0, 0, 3, 0, 0 }));
    expect_round_trip(RRType::CDNSKEY, "0 3 0 AA==", "0 3 0 AA==");
    expect_round_trip(RRType::DNSKEY, "257 3 ECDSAP256SHA256 AQID", "257 3 13 AQID");
    expect_round_trip(RRType::DNSKEY, "257 3 ed25519 AQID", "257 3 15 AQID");
    error_of(RRType::DNSKEY, "256 3 NOSUCHALG AQID");
    error_of(RRType::DNSKEY, "256 3 256 AQID");
    EXPECT_EQ(error_of(RRType::DNSKEY, "256 3 5"), "missing RDATA field 'public key' for DNSKEY");
}

TEST(Rdata, DsRfc4034)
{
    // RFC 4034 §5.4: key tag 60485, algorithm 5, digest type 1 (SHA-1).
    Bytes wire = wire_of(RRType::DS, "60485 5 1 ( 2BB183AF5F22588179A53B0A 98631FAD1A292118 )");
    EXPECT_EQ(wire, u16(60485) + octets({ 5, 1 }) + hex("2BB183AF5F22588179A53B0A98631FAD1A292118"));
    EXPECT_EQ(rdata_to_text(RRType::DS, wire), "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118");
    EXPECT_EQ(wire_of(RRType::DS, "60485 RSASHA1 1 2bb183af5f22588179a53b0a98631fad1a292118"), wire);
    EXPECT_EQ(wire_of(RRType::CDS, "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118"), wire);
    // The digest length must match its type (RFC 4034 §5.1.4, RFC 4509).
    EXPECT_NE(error_of(RRType::DS, "60485 5 1 2BB183AF").find("20 octets"), std::string::npos);
    error_of(RRType::DS, "60485 5 2 2BB183AF5F22588179A53B0A98631FAD1A292118");
    expect_round_trip(RRType::DS, "1 13 99 00", "1 13 99 00");
    // RFC 8078 §4: the CDS delete form.
    EXPECT_EQ(wire_of(RRType::CDS, "0 0 0 00"), octets({ 0, 0, 0, 0, 0 }));
    expect_round_trip(RRType::CDS, "0 0 0 00", "0 0 0 00");
    EXPECT_FALSE(rdata_check_wire(RRType::DS, u16(1) + octets({ 8, 2, 0xAA })));
}

TEST(Rdata, RrsigRfc4034)
{
    // RFC 4034 §3.3. Expiration 2003-03-22 17:31:03 UTC is 1048354263 s and
    // inception 2003-02-20 17:31:03 UTC is 1045762263 s after the epoch.
    const std::string signature = "oJB1W6WNGv+ldvQ3WDG0MQkg5IEhjRip8WTr PYGv07h108dUKGMeDPKijVCHX3DDKdfb+v6o "
                                  "B9wfuh3DTJXUAfI/M0zmO/zz8bW0Rznl8O3t GNazPwQKkRN20XPXV6nwwfoXmJQbsLNrLfkG "
                                  "J5D6fwFm8nN+6pBzeDQfsS3Ap3o=";
    Bytes wire = wire_of(RRType::RRSIG, "A 5 3 86400 20030322173103 ( 20030220173103 2642 example.com. "
                                            + signature + " )");
    Bytes expected_start = u16(1) + octets({ 5, 3 }) + u32(86400) + u32(1048354263) + u32(1045762263) + u16(2642)
        + name("example.com.");
    EXPECT_EQ(wire.substr(0, expected_start.size()), expected_start);
    EXPECT_EQ(wire.size(), expected_start.size() + 128);
    std::string one_token = signature;
    std::erase(one_token, ' ');
    EXPECT_EQ(rdata_to_text(RRType::RRSIG, wire),
              "A 5 3 86400 20030322173103 20030220173103 2642 example.com. " + one_token);
    // Decimal times and a TTL with units give the same RDATA.
    EXPECT_EQ(wire_of(RRType::RRSIG, "A RSASHA1 3 1d 1048354263 1045762263 2642 example.com. " + one_token), wire);

    // Times are seconds modulo 2^32 (RFC 4034 §3.1.5); printing maps the
    // value into 1970..2106, so every value reads back.
    Bytes last = wire_of(RRType::RRSIG, "TYPE65535 13 0 0 21060207062815 19700101000000 0 . AA==");
    EXPECT_EQ(last.substr(8, 8), u32(0xffffffff) + u32(0));
    EXPECT_EQ(rdata_to_text(RRType::RRSIG, last), "TYPE65535 13 0 0 21060207062815 19700101000000 0 . AA==");
    Bytes wrapped = wire_of(RRType::RRSIG, "NSEC 13 0 0 21060207062816 20380119031408 0 . AA==");
    EXPECT_EQ(wrapped.substr(8, 8), u32(0) + u32(0x80000000u));
    expect_round_trip(RRType::RRSIG, "NSEC 13 0 0 21060207062816 20380119031408 0 . AA==",
                      "NSEC 13 0 0 19700101000000 20380119031408 0 . AA==");

    error_of(RRType::RRSIG, "A 5 3 86400 20030230000000 20030220173103 2642 example.com. AA=="); // 30 February
    error_of(RRType::RRSIG, "A 5 3 86400 19691231235959 20030220173103 2642 example.com. AA==");
    error_of(RRType::RRSIG, "A 5 3 86400 2003032217310 20030220173103 2642 example.com. AA==");
    error_of(RRType::RRSIG, "A 5 3 86400 20030322246000 20030220173103 2642 example.com. AA==");
    error_of(RRType::RRSIG, "BOGUS 5 3 86400 1 1 2642 example.com. AA==");
}

TEST(Rdata, NsecRfc4034)
{
    // RFC 4034 §4.3: "alfa.example.com. 86400 IN NSEC host.example.com. (
    // A MX RRSIG NSEC TYPE1234 )", and the RDATA bytes given there.
    Bytes wire = wire_of(RRType::NSEC, "host.example.com. ( A MX RRSIG NSEC TYPE1234 )");
    Bytes expected = name("host.example.com.") + octets({ 0x00, 0x06, 0x40, 0x01, 0x00, 0x00, 0x00, 0x03, 0x04, 0x1b })
        + Bytes(26, '\0') + octets({ 0x20 });
    EXPECT_EQ(wire, expected);
    EXPECT_EQ(rdata_to_text(RRType::NSEC, wire), "host.example.com. A MX RRSIG NSEC TYPE1234");
    // Order and duplicates in the text do not matter.
    EXPECT_EQ(wire_of(RRType::NSEC, "host.example.com. TYPE1234 nsec A rrsig mx A"), wire);
    expect_round_trip(RRType::NSEC, "next", "next.example.com.");
    error_of(RRType::NSEC, "host.example.com. A BOGUS");
}

TEST(Rdata, Nsec3Rfc5155)
{
    // RFC 5155 Appendix A: the NSEC3 of the apex. The next hashed owner is
    // H(ns1.example) = 174EB240... (SHA-1, salt AABBCCDD, 12 iterations,
    // recomputed independently). Bitmap by hand: window 0, 7 octets; NS (2)
    // and SOA (6) make 0x22, MX (15) 0x01, RRSIG (46) 0x02 in octet 5,
    // DNSKEY (48) and NSEC3PARAM (51) 0x90 in octet 6.
    Bytes wire = wire_of(RRType::NSEC3, "1 1 12 aabbccdd ( 2t7b4g4vsa5smi47k61mv5bv1a22bojr MX DNSKEY NS "
                                        "SOA NSEC3PARAM RRSIG )");
    Bytes expected = octets({ 1, 1, 0, 12, 4, 0xaa, 0xbb, 0xcc, 0xdd, 20 }) + hex("174EB2409FE28BCB4887A1836F957F0A8425E27B")
        + octets({ 0x00, 0x07, 0x22, 0x01, 0x00, 0x00, 0x00, 0x02, 0x90 });
    EXPECT_EQ(wire, expected);
    EXPECT_EQ(rdata_to_text(RRType::NSEC3, wire),
              "1 1 12 AABBCCDD 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR NS SOA MX RRSIG DNSKEY NSEC3PARAM");
    // Empty salt and an empty bitmap (an empty non-terminal).
    Bytes empty = wire_of(RRType::NSEC3, "1 0 0 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR");
    EXPECT_EQ(empty, octets({ 1, 0, 0, 0, 0, 20 }) + hex("174EB2409FE28BCB4887A1836F957F0A8425E27B"));
    EXPECT_EQ(rdata_to_text(RRType::NSEC3, empty), "1 0 0 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR");
    error_of(RRType::NSEC3, "1 0 0 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR=");
    error_of(RRType::NSEC3, "1 0 0 ABC 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR");
    error_of(RRType::NSEC3, "1 0 0 -");
    // A one-octet hash: "10" is 0x08; "12" has non-zero bits after its last
    // octet, and is refused as BIND, ldns and Knot refuse it, rather than
    // read as "10".
    EXPECT_EQ(wire_of(RRType::NSEC3, "1 0 0 - 10"), octets({ 1, 0, 0, 0, 0, 1, 0x08 }));
    error_of(RRType::NSEC3, "1 0 0 - 12");

    EXPECT_EQ(wire_of(RRType::NSEC3PARAM, "1 0 12 aabbccdd"), octets({ 1, 0, 0, 12, 4, 0xaa, 0xbb, 0xcc, 0xdd }));
    expect_round_trip(RRType::NSEC3PARAM, "1 0 12 aabbccdd", "1 0 12 AABBCCDD");
    expect_round_trip(RRType::NSEC3PARAM, "1 0 0 -", "1 0 0 -");
    error_of(RRType::NSEC3PARAM, "1 0 65536 -");
    error_of(RRType::NSEC3PARAM, "1 0 0 - extra");
}

TEST(Rdata, LocRfc1876)
{
    // RFC 1876 §4 "cambridge-net.kei.com. LOC 42 21 54 N 71 06 18 W -24m 30m".
    // By hand: latitude 2^31 + (42*3600 + 21*60 + 54)*1000, longitude
    // 2^31 - (71*3600 + 6*60 + 18)*1000, altitude 10,000,000 - 2,400 cm,
    // size 30m = 3e3 cm (0x33), defaults 10000m = 1e6 cm (0x16) and 10m =
    // 1e3 cm (0x13). Other implementations publish the same 16 octets.
    Bytes wire = wire_of(RRType::LOC, "42 21 54 N 71 06 18 W -24m 30m");
    Bytes expected = octets({ 0, 0x33, 0x16, 0x13 }) + u32((1u << 31) + (42 * 3600 + 21 * 60 + 54) * 1000)
        + u32((1u << 31) - (71 * 3600 + 6 * 60 + 18) * 1000) + u32(10000000 - 2400);
    EXPECT_EQ(wire, expected);
    EXPECT_EQ(wire, hex("0033161389172DD070BE15F000988D20"));
    EXPECT_EQ(rdata_to_text(RRType::LOC, wire), "42 21 54.000 N 71 6 18.000 W -24.00m 30m 10000m 10m");

    expect_round_trip(RRType::LOC, "42 21 43.952 N 71 5 6.344 W -24m 1m 200m",
                      "42 21 43.952 N 71 5 6.344 W -24.00m 1m 200m 10m");
    expect_round_trip(RRType::LOC, "52 14 05 N 00 08 50 E 10m", "52 14 5.000 N 0 8 50.000 E 10.00m 1m 10000m 10m");
    expect_round_trip(RRType::LOC, "32 7 19 S 116 2 25 E 10m", "32 7 19.000 S 116 2 25.000 E 10.00m 1m 10000m 10m");
    expect_round_trip(RRType::LOC, "42 21 28.764 N 71 00 51.617 W -44m 2000m",
                      "42 21 28.764 N 71 0 51.617 W -44.00m 2000m 10000m 10m");
    // BIND's canonical form reads back unchanged.
    expect_round_trip(RRType::LOC, "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m",
                      "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m");
    // Minutes and seconds may be left out; small precisions print in cm.
    expect_round_trip(RRType::LOC, "42 21 n 71 w 0 0.5 0.05m 0", "42 21 0.000 N 71 0 0.000 W 0.00m 0.50m 0.05m 0.00m");
    expect_round_trip(RRType::LOC, "90 S 180 E 42849672.95m 90000000m 90000000m 90000000m",
                      "90 0 0.000 S 180 0 0.000 E 42849672.95m 90000000m 90000000m 90000000m");
    expect_round_trip(RRType::LOC, "0 N 0 W -100000m", "0 0 0.000 N 0 0 0.000 E -100000.00m 1m 10000m 10m");

    for (auto bad : { "91 N 0 E 0m", "90 1 N 0 E 0m", "42 60 N 0 E 0m", "42 21 60 N 0 E 0m", "42 21 1.0001 N 0 E 0m",
                      "42 X 0 E 0m", "42 N 181 E 0m", "42 N 0 N 0m", "42 N 0 E", "42 N 0 E -100000.01m",
                      "42 N 0 E 42849672.96m", "42 N 0 E 0m 90000001m", "42 N 0 E 0m 1.001m", "42 N 0 E 0m 1 1 1 1",
                      "42 N 0 E 0mm", "42.5 N 0 E 0m" })
        error_of(RRType::LOC, bad);

    EXPECT_FALSE(rdata_check_wire(RRType::LOC, wire.substr(0, 15)));
    Bytes version1 = wire;
    version1[0] = 1;
    EXPECT_FALSE(rdata_check_wire(RRType::LOC, version1));
    Bytes bad_precision = wire;
    bad_precision[1] = static_cast<char>(0xA0);
    EXPECT_FALSE(rdata_check_wire(RRType::LOC, bad_precision));
    // 0e3 is zero too, but would read back as 0e0; BIND refuses it as well.
    Bytes odd_zero = wire;
    odd_zero[1] = 0x03;
    EXPECT_FALSE(rdata_check_wire(RRType::LOC, odd_zero));
    EXPECT_EQ(rdata_to_text(RRType::LOC, odd_zero), "\\# 16 0003161389172DD070BE15F000988D20");
    error_of(RRType::LOC, "\\# 16 0003161389172DD070BE15F000988D20");
}

TEST(Rdata, UriAndZonemd)
{
    // RFC 7553 §4.6 example; the target is the rest, without a length octet.
    Bytes uri = wire_of(RRType::URI, R"(10 1 "ftp://ftp1.example.com/public")");
    EXPECT_EQ(uri, u16(10) + u16(1) + "ftp://ftp1.example.com/public");
    EXPECT_EQ(rdata_to_text(RRType::URI, uri), R"(10 1 "ftp://ftp1.example.com/public")");
    expect_round_trip(RRType::URI, R"(1 0 "https://example.com/a b\"c")", R"(1 0 "https://example.com/a b\"c")");
    error_of(RRType::URI, "10 1");

    // RFC 8976 Appendix A.1 (2018031900 is 0x7848B91C).
    const std::string digest = "c68090d90a7aed716bc459f9340e3d7c1370d4d24b7e2fc3a1ddc0b9a87153b9a9713b3c9ae5cc27777f98b8e730044c";
    Bytes zonemd = wire_of(RRType::ZONEMD, "2018031900 1 1 ( c68090d90a7aed71 6bc459f9340e3d7c 1370d4d24b7e2fc3 "
                                           "a1ddc0b9a87153b9 a9713b3c9ae5cc27 777f98b8e730044c )");
    EXPECT_EQ(zonemd, hex("7848B91C0101") + hex(digest));
    std::string upper = to_hex(hex(digest));
    EXPECT_EQ(rdata_to_text(RRType::ZONEMD, zonemd), "2018031900 1 1 " + upper);
    // RFC 8976 §2.2.4: at least 12 octets; SHA-384 and SHA-512 untruncated.
    error_of(RRType::ZONEMD, "1 1 1 00112233445566778899AABB");
    error_of(RRType::ZONEMD, "1 1 240 00112233445566778899AA");
    expect_round_trip(RRType::ZONEMD, "1 1 240 00112233445566778899AABB", "1 1 240 00112233445566778899AABB");
}

TEST(Rdata, SvcbRfc9460Vectors)
{
    const Bytes foo_com = name("foo.example.com.");
    const Bytes foo_org = name("foo.example.org.");
    // Appendix D.1 (AliasMode) and D.2 (ServiceMode), with their wire forms.
    EXPECT_EQ(wire_of(RRType::HTTPS, "0 foo.example.com."),
              hex("0000 03666f6f076578616d706c6503636f6d00"));
    EXPECT_EQ(wire_of(RRType::SVCB, "1 ."), hex("0001 00"));
    EXPECT_EQ(wire_of(RRType::SVCB, "16 foo.example.com. port=53"), u16(16) + foo_com + hex("0003 0002 0035"));
    EXPECT_EQ(wire_of(RRType::SVCB, "1 foo.example.com. key667=hello"), u16(1) + foo_com + hex("029b 0005 68656c6c6f"));
    EXPECT_EQ(wire_of(RRType::SVCB, R"(1 foo.example.com. key667="hello\210qoo")"),
              u16(1) + foo_com + hex("029b 0009 68656c6c6fd2716f6f"));
    EXPECT_EQ(wire_of(RRType::SVCB, R"(1 foo.example.com. ipv6hint="2001:db8::1,2001:db8::53:1")"),
              u16(1) + foo_com + hex("0006 0020 20010db8000000000000000000000001 20010db8000000000000000000530001"));
    EXPECT_EQ(wire_of(RRType::SVCB, R"(1 example.com. ipv6hint="2001:db8:ffff:ffff:ffff:ffff:198.51.100.100")"),
              u16(1) + name("example.com.") + hex("0006 0010 20010db8ffffffffffffffffc6336464"));
    // Neither the params nor the mandatory keys are sorted in the text.
    Bytes sorted = wire_of(RRType::SVCB, "16 foo.example.org. ( alpn=h2,h3-19 mandatory=ipv4hint,alpn ipv4hint=192.0.2.1 )");
    EXPECT_EQ(sorted, u16(16) + foo_org + hex("0000 0004 0001 0004  0001 0009 02 6832 05 68332d3139  0004 0004 c0000201"));
    EXPECT_EQ(rdata_to_text(RRType::SVCB, sorted),
              R"(16 foo.example.org. mandatory=alpn,ipv4hint alpn="h2,h3-19" ipv4hint=192.0.2.1)");
    // An escaped comma and an escaped backslash in an alpn id, both ways.
    Bytes alpn = u16(16) + foo_org + hex("0001 000c 08 665c6f6f2c626172 02 6832");
    EXPECT_EQ(wire_of(RRType::SVCB, R"(16 foo.example.org. alpn="f\\\\oo\\,bar,h2")"), alpn);
    EXPECT_EQ(wire_of(RRType::SVCB, R"(16 foo.example.org. alpn=f\\\092oo\092,bar,h2)"), alpn);
    EXPECT_EQ(rdata_to_text(RRType::SVCB, alpn), R"(16 foo.example.org. alpn="f\\\\oo\\,bar,h2")");

    expect_round_trip(RRType::SVCB, "0 foo.example.com.", "0 foo.example.com.");
    expect_round_trip(RRType::SVCB, R"(1 foo.example.com. key667="hello\210qoo")",
                      R"(1 foo.example.com. key667="hello\210qoo")");
    expect_round_trip(RRType::SVCB, R"(1 foo.example.com. ipv6hint="2001:db8::1,2001:db8::53:1")",
                      "1 foo.example.com. ipv6hint=2001:db8::1,2001:db8::53:1");
    expect_round_trip(RRType::HTTPS, "1 . alpn=h2,h3 no-default-alpn port=8443 ipv4hint=192.0.2.1,192.0.2.2 ech=AEj+CgBE",
                      R"(1 . alpn="h2,h3" no-default-alpn port=8443 ipv4hint=192.0.2.1,192.0.2.2 ech=AEj+CgBE)");
    expect_round_trip(RRType::HTTPS, "1 svc key65535 dohpath=\"/q{?dns}\" ohttp key9",
                      R"(1 svc.example.com. dohpath="/q{?dns}" ohttp key9 key65535)");
}

TEST(Rdata, SvcbRfc9460FailureCases)
{
    // RFC 9460 Appendix D.3, and the rules they illustrate.
    for (auto bad : {
             "1 foo.example.com. ( key123=abc key123=def )",
             "1 foo.example.com. mandatory",
             "1 foo.example.com. alpn",
             "1 foo.example.com. port",
             "1 foo.example.com. ipv4hint",
             "1 foo.example.com. ipv6hint",
             "1 foo.example.com. no-default-alpn=abc",
             "1 foo.example.com. mandatory=key123",
             "1 foo.example.com. mandatory=mandatory",
             "1 foo.example.com. ( mandatory=key123,key123 key123=abc )",
             "1 foo.example.com. no-default-alpn",
             "1 foo.example.com. port=65536",
             "1 foo.example.com. ipv4hint=192.0.2.1,",
             "1 foo.example.com. alpn=h2,,h3",
             "1 foo.example.com. ech=AEj",
             "1 foo.example.com. bogus=1",
             "1 foo.example.com. key65536=1",
             "1 foo.example.com. \"alpn=h2\"",
             "65536 foo.example.com.",
             "1",
         })
        error_of(RRType::SVCB, bad);
    // Keys out of order or a truncated value are not valid wire data.
    EXPECT_FALSE(rdata_check_wire(RRType::HTTPS, hex("000100000300021e6100010003026833")));
    EXPECT_FALSE(rdata_check_wire(RRType::HTTPS, hex("000100000300021e")));
    EXPECT_FALSE(rdata_check_wire(RRType::HTTPS, hex("0001000003000201bb0003000201bb")));
    EXPECT_FALSE(rdata_check_wire(RRType::HTTPS, hex("00010000000002 0001"))); // mandatory lists a missing key
    EXPECT_EQ(rdata_to_text(RRType::HTTPS, hex("000100000300021e")), "\\# 8 000100000300021E");
}

TEST(Rdata, GenericForm)
{
    // RFC 3597 §5: accepted for every type; for a known type it must be
    // valid RDATA of that type and equals the native form.
    EXPECT_EQ(wire_of(RRType::A, "\\# 4 0A000001"), wire_of(RRType::A, "10.0.0.1"));
    EXPECT_EQ(wire_of(RRType::MX, "\\# 20 ( 000a 04 6d61696c 07 6578616d706c65 03 636f6d 00 )"), wire_of(RRType::MX, "10 mail"));
    Bytes unknown = wire_of(static_cast<RRType>(1234), "\\# 3 abcdef");
    EXPECT_EQ(unknown, hex("ABCDEF"));
    EXPECT_EQ(rdata_to_text(static_cast<RRType>(1234), unknown), "\\# 3 ABCDEF");
    EXPECT_EQ(wire_of(static_cast<RRType>(1234), "\\# 0"), "");
    EXPECT_EQ(rdata_to_text(static_cast<RRType>(1234), ""), "\\# 0");
    EXPECT_EQ(rdata_to_text(RRType::ANY, "\x01"), "\\# 1 01");

    EXPECT_NE(error_of(RRType::A, "\\# 4 0A0000").find("does not match"), std::string::npos);
    error_of(RRType::A, "\\# 4 0A00000100");
    error_of(RRType::A, "\\# 4 0A00000");
    error_of(RRType::A, "\\# 3 0A0000"); // valid generic data, but no A RDATA
    error_of(RRType::A, "\\#");
    error_of(RRType::A, "\\# x");
    error_of(RRType::A, "\\# 65536");
    error_of(static_cast<RRType>(1234), "abc");
    // A quoted "\#" is an ordinary string.
    EXPECT_EQ(wire_of(RRType::TXT, R"("\#" 0)"), cs("#") + cs("0"));
}

TEST(Rdata, CheckWire)
{
    EXPECT_TRUE(rdata_check_wire(RRType::A, octets({ 1, 2, 3, 4 })));
    EXPECT_FALSE(rdata_check_wire(RRType::A, octets({ 1, 2, 3 })));
    EXPECT_FALSE(rdata_check_wire(RRType::A, octets({ 1, 2, 3, 4, 5 })));
    EXPECT_FALSE(rdata_check_wire(RRType::AAAA, Bytes(15, '\0')));
    EXPECT_FALSE(rdata_check_wire(RRType::MX, u16(10) + octets({ 0xc0, 0x0c }))); // a compression pointer
    EXPECT_FALSE(rdata_check_wire(RRType::MX, u16(10) + name("mail.example.com.") + "x"));
    EXPECT_FALSE(rdata_check_wire(RRType::MX, u16(10) + octets({ 3, 'a', 'b' })));
    EXPECT_FALSE(rdata_check_wire(RRType::TXT, ""));
    EXPECT_FALSE(rdata_check_wire(RRType::TXT, octets({ 5, 'a' })));
    EXPECT_FALSE(rdata_check_wire(RRType::SOA, name("a.") + name("b.") + u32(1)));
    EXPECT_FALSE(rdata_check_wire(RRType::NSEC3, octets({ 1, 0, 0, 0, 0, 0 }))); // empty next hash
    EXPECT_FALSE(rdata_check_wire(RRType::NSEC3PARAM, octets({ 1, 0, 0, 0, 2, 0xaa })));
    EXPECT_TRUE(rdata_check_wire(static_cast<RRType>(1234), "anything"));
    EXPECT_FALSE(rdata_check_wire(static_cast<RRType>(1234), Bytes(65536, 'x')));

    const Bytes next = name("a.");
    EXPECT_FALSE(rdata_check_wire(RRType::NSEC, next + octets({ 0, 1, 0x40, 0, 1, 0x20 }))); // window 0 twice
    EXPECT_FALSE(rdata_check_wire(RRType::NSEC, next + octets({ 1, 1, 0x40, 0, 1, 0x20 }))); // descending
    EXPECT_FALSE(rdata_check_wire(RRType::NSEC, next + octets({ 0, 0 })));
    EXPECT_FALSE(rdata_check_wire(RRType::NSEC, next + octets({ 0, 33 }) + Bytes(33, '\x01')));
    EXPECT_FALSE(rdata_check_wire(RRType::NSEC, next + octets({ 0, 2, 0x40 })));
    EXPECT_FALSE(rdata_check_wire(RRType::NSEC, next + octets({ 0 })));

    // A bitmap with a trailing zero octet (or an all-zero window) is
    // tolerated on reading and kept in the minimal form RFC 4034 §4.1.2
    // asks for. Given such wire data directly, the text keeps its octets.
    Bytes padded = next + octets({ 0, 2, 0x40, 0 });
    ASSERT_TRUE(rdata_check_wire(RRType::NSEC, padded));
    EXPECT_EQ(wire_of(RRType::NSEC, "\\# 7 01610000024000"), next + octets({ 0, 1, 0x40 }));
    EXPECT_EQ(wire_of(RRType::NSEC, "\\# 9 016100 000100 010140"), next + octets({ 1, 1, 0x40 }));
    EXPECT_EQ(wire_of(RRType::NSEC3, "\\# 11 01000000 000141 000200 00"), hex("01000000 000141"));
    EXPECT_EQ(rdata_to_text(RRType::NSEC, padded), "\\# 7 0161000002" "4000");
    // No key, signature or digest is empty.
    EXPECT_FALSE(rdata_check_wire(RRType::DNSKEY, octets({ 1, 0, 3, 13 })));
    EXPECT_FALSE(rdata_check_wire(RRType::DS, octets({ 0, 1, 13, 99 })));
    EXPECT_FALSE(rdata_check_wire(RRType::TLSA, octets({ 3, 1, 1 })));
    EXPECT_EQ(rdata_to_text(RRType::DNSKEY, octets({ 1, 0, 3, 13 })), "\\# 4 0100030D");
    error_of(RRType::DNSKEY, "\\# 4 0100030D");
    // Invalid data is printed in the generic form rather than misread.
    EXPECT_EQ(rdata_to_text(RRType::A, octets({ 1, 2, 3 })), "\\# 3 010203");
    EXPECT_EQ(rdata_to_text(RRType::MX, u16(1) + octets({ 0xc0, 0x0c })), "\\# 4 0001C00C");
}

TEST(Rdata, CanonicalForm)
{
    // RFC 4034 §6.2 as amended by RFC 6840 §5.1.
    Bytes mx = wire_of(RRType::MX, "10 MAIL.Example.COM.");
    EXPECT_EQ(mx, u16(10) + octets({ 4, 'M', 'A', 'I', 'L', 7, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'C', 'O', 'M', 0 }));
    EXPECT_EQ(rdata_canonical(RRType::MX, mx), u16(10) + name("mail.example.com."));
    EXPECT_EQ(rdata_to_text(RRType::MX, mx), "10 MAIL.Example.COM.");

    Bytes nsec = wire_of(RRType::NSEC, "Host.Example.COM. A");
    EXPECT_EQ(rdata_canonical(RRType::NSEC, nsec), nsec);
    Bytes svcb = wire_of(RRType::HTTPS, "1 Svc.Example.COM. alpn=H2");
    EXPECT_EQ(rdata_canonical(RRType::HTTPS, svcb), svcb);
    Bytes txt = wire_of(RRType::TXT, "ABC");
    EXPECT_EQ(rdata_canonical(RRType::TXT, txt), txt);

    EXPECT_EQ(rdata_canonical(RRType::SOA, wire_of(RRType::SOA, "NS1.X. Admin.X. 1 2 3 4 5")),
              wire_of(RRType::SOA, "ns1.x. admin.x. 1 2 3 4 5"));
    EXPECT_EQ(rdata_canonical(RRType::RP, wire_of(RRType::RP, "A.X. B.X.")), wire_of(RRType::RP, "a.x. b.x."));
    EXPECT_EQ(rdata_canonical(RRType::SRV, wire_of(RRType::SRV, "1 2 3 SIP.X.")), wire_of(RRType::SRV, "1 2 3 sip.x."));
    EXPECT_EQ(rdata_canonical(RRType::NAPTR, wire_of(RRType::NAPTR, R"(1 2 "U" "E2U" "" R.X.)")),
              wire_of(RRType::NAPTR, R"(1 2 "U" "E2U" "" r.x.)"));
    for (auto type : { RRType::NS, RRType::CNAME, RRType::PTR, RRType::DNAME })
        EXPECT_EQ(rdata_canonical(type, wire_of(type, "A.B.")), wire_of(type, "a.b."));

    // Only the signer's name: "QUJDRA==" is the octets "ABCD", which stay.
    Bytes rrsig = wire_of(RRType::RRSIG, "A 13 2 300 1 0 1 Example.COM. QUJDRA==");
    EXPECT_EQ(rdata_canonical(RRType::RRSIG, rrsig), wire_of(RRType::RRSIG, "A 13 2 300 1 0 1 example.com. QUJDRA=="));
    EXPECT_EQ(rdata_canonical(RRType::RRSIG, rrsig).substr(rrsig.size() - 4), "ABCD");
    Bytes unknown = "ABC";
    EXPECT_EQ(rdata_canonical(static_cast<RRType>(1234), unknown), unknown);

    // Obsolete types of the RFC 4034 §6.2 list have their names lower-cased
    // too: AFSDB is subtype + hostname.
    const auto afsdb = RRType::AFSDB;
    Bytes afsdb_wire = wire_of(afsdb, "\\# 7 0001 01 41 01 42 00 ; 1 A.B.");
    EXPECT_EQ(afsdb_wire, u16(1) + octets({ 1, 'A', 1, 'B', 0 }));
    EXPECT_EQ(afsdb_wire, wire_of(afsdb, "1 A.B."));
    EXPECT_EQ(rdata_canonical(afsdb, afsdb_wire), u16(1) + octets({ 1, 'a', 1, 'b', 0 }));
    // So is NXT, read only in the generic form.
    const auto nxt = static_cast<RRType>(30);
    EXPECT_FALSE(is_known_type(nxt));
    EXPECT_EQ(rdata_canonical(nxt, octets({ 1, 'A', 0, 0x40 })), octets({ 1, 'a', 0, 0x40 }));
    Bytes bad_afsdb = u16(1) + octets({ 5, 'A' });
    EXPECT_EQ(rdata_canonical(afsdb, bad_afsdb), bad_afsdb);

    // The appending form leaves what the buffer held.
    Bytes out = "xy";
    rdata_canonical(RRType::MX, mx, out);
    EXPECT_EQ(out, "xy" + rdata_canonical(RRType::MX, mx));
}

TEST(Rdata, CanonicalLowercasesNamesIsExactlyTheRfc4034List)
{
    // RFC 4034 §6.2 item 3 as amended by RFC 6840 §5.1 (no NSEC), with the
    // obsolete types; A6 is historic (RFC 6563) and left out.
    std::vector<uint16_t> listed = { 2, 3, 4, 5, 6, 7, 8, 9, 12, 14, 15, 17, 18, 21, 24, 26, 30, 33, 35, 36, 39, 46 };
    for (uint32_t value = 0; value <= 0xffff; ++value) {
        auto type = static_cast<RRType>(value);
        bool expected = std::find(listed.begin(), listed.end(), value) != listed.end();
        EXPECT_EQ(canonical_lowercases_names(type), expected) << type_to_text(type);
    }
    // Where it says no, the canonical form is the RDATA itself.
    const std::pair<RRType, std::string_view> unchanged[] = {
        { RRType::NSEC, "Host.Example. A" },
        { RRType::TXT, "ABC" },
        { RRType::HTTPS, "1 Svc.Example." },
        { RRType::A, "192.0.2.65" },
    };
    for (const auto& [type, text] : unchanged) {
        Bytes wire = wire_of(type, text);
        EXPECT_EQ(rdata_canonical(type, wire), wire) << type_to_text(type);
    }
}

TEST(TypeBitmap, ToAndFromWire)
{
    std::vector<RRType> types = { RRType::RRSIG, static_cast<RRType>(1234), RRType::A, RRType::NSEC, RRType::MX, RRType::A };
    Bytes wire = type_bitmap_to_wire(types);
    EXPECT_EQ(wire, octets({ 0x00, 0x06, 0x40, 0x01, 0x00, 0x00, 0x00, 0x03, 0x04, 0x1b }) + Bytes(26, '\0') + octets({ 0x20 }));
    auto back = type_bitmap_from_wire(wire);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, (std::vector<RRType> { RRType::A, RRType::MX, RRType::RRSIG, RRType::NSEC, static_cast<RRType>(1234) }));
    EXPECT_EQ(type_bitmap_to_wire({}), "");
    EXPECT_TRUE(type_bitmap_from_wire("")->empty());

    // More types than fit the small buffer, in every window's extremes.
    std::vector<RRType> many;
    for (unsigned v = 0; v < 65536; v += 255)
        many.push_back(static_cast<RRType>(v));
    auto many_back = type_bitmap_from_wire(type_bitmap_to_wire(many));
    ASSERT_TRUE(many_back);
    EXPECT_EQ(*many_back, many);
    const RRType highest[] = { static_cast<RRType>(65535) };
    EXPECT_EQ(type_bitmap_to_wire(highest), octets({ 255, 32 }) + Bytes(31, '\0') + octets({ 1 }));

    EXPECT_FALSE(type_bitmap_from_wire(octets({ 0, 1, 0x40, 0, 1, 0x40 })));
    EXPECT_FALSE(type_bitmap_from_wire(octets({ 0, 0 })));
    EXPECT_FALSE(type_bitmap_from_wire(octets({ 0, 3, 0x40 })));
}

TEST(Rdata, EveryKnownTypeRoundTrips)
{
    struct Case {
        RRType type;
        std::string_view text;
    };
    // Printed forms that must read back to the same wire data.
    const Case cases[] = {
        { RRType::A, "192.0.2.1" },
        { RRType::NS, "ns1.example.com." },
        { RRType::CNAME, "www.example.com." },
        { RRType::SOA, "ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300" },
        { RRType::PTR, "host.example.com." },
        { RRType::HINFO, R"("KLH-10" "TOPS-20")" },
        { RRType::MX, "1 xx.example." },
        { RRType::TXT, R"("v=DKIM1; k=rsa" "\\\"\000")" },
        { RRType::RP, "mbox.example.com. ." },
        { RRType::AAAA, "2001:db8::f00:baaa" },
        { RRType::LOC, "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m" },
        { RRType::SRV, "0 0 0 ." },
        { RRType::NAPTR, R"(10 100 "S" "SIP+D2U" "" _sip._udp.example.com.)" },
        { RRType::CERT, "1 0 0 AA==" },
        { RRType::DNAME, "example.net." },
        { RRType::DS, "58470 5 1 3079F1593EBAD6DC121E202A8B766A6A4837206C" },
        { RRType::SSHFP, "4 2 0A1B2C3D" },
        { RRType::RRSIG, "NSEC3PARAM 15 1 0 20240101000000 20231201000000 12345 example. AAECAw==" },
        { RRType::NSEC, "\\@.example. NS DS RRSIG NSEC TYPE65534" },
        { RRType::DNSKEY, "257 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=" },
        { RRType::NSEC3, "1 0 0 - Q04JKCEVQVMU85R014C7DKBA38O0JI5R A AAAA RRSIG" },
        { RRType::NSEC3PARAM, "1 0 0 -" },
        { RRType::TLSA, "3 1 1 00" },
        { RRType::SMIMEA, "3 1 1 00" },
        { RRType::CDS, "0 0 0 00" },
        { RRType::CDNSKEY, "0 3 0 AA==" },
        { RRType::OPENPGPKEY, "AA==" },
        { RRType::ZONEMD, "1 1 240 000102030405060708090A0B" },
        { RRType::SVCB, R"(1 . mandatory=alpn alpn="h2" port=443)" },
        { RRType::HTTPS, "0 ." },
        { RRType::SVCB, R"(1 doh.example.net. mandatory=dohpath alpn="h2,h3" port=0 dohpath="/q{?dns}" ohttp key9="\001")" },
        { RRType::HTTPS, R"(1 svc.example.com. mandatory=alpn,ipv4hint alpn="h2,h\\,3" no-default-alpn port=443 )"
                         R"(ipv4hint=192.0.2.1 ech=AQID ipv6hint=2001:db8::1 key999="x\000")" },
        { RRType::SPF, R"("v=spf1 -all")" },
        { RRType::URI, R"(1 1 "https://example.com/")" },
        { RRType::CAA, R"(0 issue "letsencrypt.org")" },
        { RRType::MB, "mail.example." },
        { RRType::MG, "mail.example." },
        { RRType::MR, "mail.example." },
        { RRType::WKS, "192.0.2.1 6 25 80" },
        { RRType::MINFO, "rm.example. em.example." },
        { RRType::AFSDB, "1 afs.example." },
        { RRType::X25, R"("311061700956")" },
        { RRType::ISDN, R"("150862028003217" "004")" },
        { RRType::ISDN, R"("150862028003217")" },
        { RRType::RT, "10 relay.example." },
        { RRType::NSAP, "0x47000580005A0000000001E133FFFFFF00016100" },
        { RRType::NSAP_PTR, "foo.example." },
        { RRType::SIG, "A 8 2 3600 20300101000000 20200101000000 12345 example. AAAA" },
        { RRType::KEY, "256 3 8 AwEAAQ==" },
        { RRType::PX, "10 map822.example. mapx400.example." },
        { RRType::GPOS, R"("-22.6882" "116.8652" "250.0")" },
        { RRType::EID, "1289AB" },
        { RRType::NIMLOC, "3245FE" },
        { RRType::ATMA, "+358400123456" },
        { RRType::ATMA, "47000580FFFF" },
        { RRType::KX, "10 kx.example." },
        { RRType::A6, "0 2001:db8::1" },
        { RRType::A6, "64 ::1:2:3:4 prefix.example." },
        { RRType::A6, "128 prefix.example." },
        { RRType::SINK, "1 0 0 AQID" },
        { RRType::APL, "1:192.168.32.0/21 !1:192.168.38.0/28 2:ff00::/8 1:0.0.0.0/0" },
        { RRType::IPSECKEY, "10 1 2 192.0.2.38 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==" },
        { RRType::IPSECKEY, "10 0 2 . AQID" },
        { RRType::IPSECKEY, "10 2 2 2001:db8::1 AQID" },
        { RRType::IPSECKEY, "10 3 2 gw.example. AQID" },
        { RRType::DHCID, "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=" },
        { RRType::HIP, "2 200100107B1A74DF365639CC39F1D578 AwEAAQ== rvs1.example. rvs2.example." },
        { RRType::NINFO, R"("foo" "bar")" },
        { RRType::RKEY, "0 3 5 AQID" },
        { RRType::TALINK, "prev.example. next.example." },
        { RRType::CSYNC, "66 3 A NS AAAA" },
        { RRType::CSYNC, "1 0" },
        { RRType::DSYNC, "CDS 1 5359 ds-scanner.example." },
        { RRType::NID, "10 0014:4fff:ff20:ee64" },
        { RRType::L32, "10 10.1.2.0" },
        { RRType::L64, "10 2001:0db8:1140:1000" },
        { RRType::LP, "10 l64-subnet.example." },
        { RRType::EUI48, "00-00-5e-00-53-2a" },
        { RRType::EUI64, "00-00-5e-ef-10-00-00-2a" },
        { RRType::AVC, R"("app-name:WOLFGANG|app-class:OAM")" },
        { RRType::DOA, R"(0 1 2 "" aHR0cHM6Ly93d3cuaXNjLm9yZy8=)" },
        { RRType::DOA, R"(4294967295 4294967295 255 "text/plain" -)" },
        { RRType::AMTRELAY, "10 0 1 203.0.113.15" },
        { RRType::AMTRELAY, "10 1 2 2001:db8::15" },
        { RRType::AMTRELAY, "128 1 3 amtrelays.example." },
        { RRType::AMTRELAY, "10 0 0 ." },
        { RRType::RESINFO, R"("qnamemin" "exterr=15,16,17" "infourl=https://resolver.example.com/guide")" },
        { RRType::WALLET, R"("BTC" "bc1qxyz")" },
        { RRType::TA, "12345 8 2 49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE0A3B2A1B0B7A9B9A3B1C6A55" },
        { RRType::DLV, "12345 8 2 49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE0A3B2A1B0B7A9B9A3B1C6A55" },
    };
    for (const auto& c : cases)
        expect_round_trip(c.type, c.text, c.text);

    // A small deterministic fuzz: mutate each sample's wire form. Whatever
    // the checker accepts must print as text that reads back to the same
    // octets (but for minimised type bitmaps); nothing may crash (the
    // sanitizer build runs this too).
    uint32_t state = 12345;
    auto next = [&state] {
        state = state * 1103515245u + 12345u;
        return state >> 16;
    };
    size_t accepted = 0;
    for (const auto& c : cases) {
        const Bytes sample = wire_of(c.type, c.text);
        for (int round = 0; round < 3000; ++round) {
            Bytes wire = sample;
            switch (next() % 4) {
            case 0:
                if (!wire.empty())
                    wire[next() % wire.size()] = static_cast<char>(next());
                break;
            case 1:
                wire.resize(next() % (wire.size() + 1));
                break;
            case 2:
                wire.push_back(static_cast<char>(next() % 4));
                break;
            default:
                if (!wire.empty())
                    wire[next() % wire.size()] ^= static_cast<char>(1 << (next() % 8));
                break;
            }
            std::string text = rdata_to_text(c.type, wire);
            (void)rdata_canonical(c.type, wire);
            if (!rdata_check_wire(c.type, wire))
                continue;
            ++accepted;
            auto tokens = tokenize(text);
            auto back = rdata_from_text(c.type, tokens, origin());
            ASSERT_TRUE(back) << type_to_text(c.type) << " " << text << ": " << back.error().message();
            if (*back != wire) {
                // Only a longer-than-needed type bitmap changes: it is read
                // into its minimal form, which prints natively.
                ASSERT_TRUE(c.type == RRType::NSEC || c.type == RRType::NSEC3) << text;
                std::string again = rdata_to_text(c.type, *back);
                ASSERT_FALSE(again.starts_with("\\#")) << again;
                ASSERT_EQ(wire_of(c.type, again), *back) << again;
                continue;
            }
        }
    }
    EXPECT_GT(accepted, 10000u);
}

// Every other type with a presentation format (issue: each of these once
// made Signet refuse a zone BIND and Knot read): the octets each text gives,
// the generic form of those octets reading to the same, and what is
// refused, field kind by field kind.
TEST(Rdata, ObsoleteExperimentalAndNewerTypes)
{
    struct Case {
        RRType type;
        std::string_view text;
        Bytes wire;
    };
    const Bytes key = octets({ 1, 2, 3 }); // "AQID"
    const Case cases[] = {
        { RRType::MB, "Mail", name("Mail.example.com.") },
        { RRType::MINFO, "rm em.x.", name("rm.example.com.") + name("em.x.") },
        { RRType::AFSDB, "1 afs.x.", u16(1) + name("afs.x.") },
        { RRType::X25, "311061700956", cs("311061700956") },
        { RRType::ISDN, R"("150862028003217" "004")", cs("150862028003217") + cs("004") },
        { RRType::ISDN, "150862028003217", cs("150862028003217") },
        { RRType::NSAP, "0x47.0005.80.005a00", hex("47000580005a00") },
        { RRType::NSAP_PTR, "foo.x.", name("foo.x.") },
        { RRType::KEY, "256 3 8 AQID", u16(256) + octets({ 3, 8 }) + key },
        { RRType::KEY, "49152 3 0", u16(49152) + octets({ 3, 0 }) }, // RFC 2535 §3.1.2: no key
        { RRType::PX, "10 a.x. b.x.", u16(10) + name("a.x.") + name("b.x.") },
        { RRType::GPOS, "-22.6882 116.8652 250.0", cs("-22.6882") + cs("116.8652") + cs("250.0") },
        { RRType::EID, "12 89 ab", hex("1289ab") },
        { RRType::ATMA, "+358400123456", octets({ 1 }) + Bytes("358400123456") },
        { RRType::ATMA, "39.246f.00e7", hex("0039246f00e7") },
        { RRType::A6, "0 2001:db8::1", octets({ 0 }) + hex("20010db8000000000000000000000001") },
        { RRType::A6, "64 ::1:2:3:4 p.x.", octets({ 64 }) + hex("0001000200030004") + name("p.x.") },
        // The prefix's bits of the first suffix octet are sent as zero.
        { RRType::A6, "4 ffff::1 p.x.", octets({ 4 }) + hex("0fff0000000000000000000000000001") + name("p.x.") },
        { RRType::A6, "128 p.x.", octets({ 128 }) + name("p.x.") },
        { RRType::SINK, "1 0 0 AQID", octets({ 1, 0, 0 }) + key },
        // RFC 3123 §4: trailing zero octets of an address are not sent.
        { RRType::APL, "1:192.168.32.0/21 !1:192.168.38.0/28 2:ff00::/8",
          u16(1) + octets({ 21, 3, 192, 168, 32 }) + u16(1) + octets({ 28, 0x83, 192, 168, 38 }) + u16(2)
              + octets({ 8, 1, 0xff }) },
        { RRType::APL, "", Bytes() },
        { RRType::IPSECKEY, "10 1 2 192.0.2.38 AQID", octets({ 10, 1, 2, 192, 0, 2, 38 }) + key },
        { RRType::IPSECKEY, "10 0 2 . AQID", octets({ 10, 0, 2 }) + key },
        { RRType::IPSECKEY, "10 3 2 gw AQID", octets({ 10, 3, 2 }) + name("gw.example.com.") + key },
        { RRType::IPSECKEY, "10 2 0 2001:db8::1", octets({ 10, 2, 0 }) + hex("20010db8000000000000000000000001") },
        { RRType::DHCID, "AQID", key },
        { RRType::HIP, "2 2001AB AQID rvs.x.", octets({ 3, 2 }) + u16(3) + hex("2001ab") + key + name("rvs.x.") },
        { RRType::CSYNC, "66 3 A NS AAAA", u32(66) + u16(3) + octets({ 0, 4, 0x60, 0, 0, 0x08 }) },
        { RRType::DSYNC, "CDS 1 5359 s.x.", u16(59) + octets({ 1 }) + u16(5359) + name("s.x.") },
        { RRType::DSYNC, "CSYNC Notify 53 s.x.", u16(62) + octets({ 1 }) + u16(53) + name("s.x.") },
        { RRType::NID, "10 1:2:3:4", u16(10) + hex("0001000200030004") },
        { RRType::L32, "10 10.1.2.0", u16(10) + octets({ 10, 1, 2, 0 }) },
        { RRType::L64, "10 2001:0db8:1140:1000", u16(10) + hex("20010db811401000") },
        { RRType::LP, "10 Sub.x.", u16(10) + name("Sub.x.") },
        { RRType::EUI48, "0-0-5E-00-53-2a", hex("00005e00532a") },
        { RRType::EUI64, "00-00-5e-ef-10-00-00-2a", hex("00005eef1000002a") },
        { RRType::DOA, R"(0 1 2 "" -)", u32(0) + u32(1) + octets({ 2, 0 }) },
        { RRType::DOA, R"(0 1 2 "image/png" AQID)", u32(0) + u32(1) + octets({ 2 }) + cs("image/png") + key },
        { RRType::AMTRELAY, "10 0 1 203.0.113.15", octets({ 10, 1, 203, 0, 113, 15 }) },
        { RRType::AMTRELAY, "10 1 3 relay.x.", octets({ 10, 0x83 }) + name("relay.x.") },
        { RRType::AMTRELAY, "10 0 0 .", octets({ 10, 0 }) },
        { RRType::WKS, "192.0.2.1 tcp 25 80", octets({ 192, 0, 2, 1, 6, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0x80 }) },
        { RRType::WKS, "192.0.2.1 UDP", octets({ 192, 0, 2, 1, 17 }) },
        { RRType::WALLET, R"("BTC" "bc1q")", cs("BTC") + cs("bc1q") },
        { RRType::TA, "1 8 1 0102030405060708090A0B0C0D0E0F1011121314", u16(1) + octets({ 8, 1 }) + hex("0102030405060708090a0b0c0d0e0f1011121314") },
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(fmt::format("{} {}", type_to_text(c.type), c.text));
        EXPECT_TRUE(is_known_type(c.type));
        EXPECT_EQ(wire_of(c.type, c.text), c.wire);
        EXPECT_TRUE(rdata_check_wire(c.type, c.wire));
        // RFC 3597 §5: the generic form of the same octets reads the same.
        std::string generic = fmt::format("\\# {} {}", c.wire.size(), to_hex(c.wire));
        EXPECT_EQ(wire_of(c.type, generic), c.wire);
        // And whatever is printed reads back to them.
        std::string printed = rdata_to_text(c.type, c.wire);
        EXPECT_EQ(wire_of(c.type, printed), c.wire) << printed;
    }

    // Records some reader would not take in the typed form are printed
    // generically: an IPSECKEY or KEY without a key (BIND or Knot refuse it).
    EXPECT_EQ(rdata_to_text(RRType::KEY, u16(49152) + octets({ 3, 0 })), "\\# 4 C0000300");
    EXPECT_TRUE(rdata_to_text(RRType::IPSECKEY, octets({ 10, 0, 0 })).starts_with("\\# 3 "));

    // One bad example per kind of field, each refused with its reason.
    const std::pair<RRType, std::string_view> bad[] = {
        { RRType::MB, "" },
        { RRType::MD, "mail.x." }, // RFC 1035 §3.3.4: obsolete, to be rejected
        { RRType::MF, "\\# 1 00" },
        { RRType::ISDN, "1 2 3" }, // one subaddress at most
        { RRType::X25, "123" }, // RFC 1183 §3.1: a 4-digit DNIC first
        { RRType::X25, "12ab34" },
        { RRType::GPOS, "abc 1 2" },
        { RRType::GPOS, "1.2.3 1 2" },
        { RRType::GPOS, "91 1 2" }, // first field: -90..90
        { RRType::GPOS, "1 181 2" }, // second: -180..180
        { RRType::GPOS, "1 2" },
        { RRType::EUI48, "00-00-5e-00-53" },
        { RRType::EUI48, "00-00-5e-00-53-2a-01" },
        { RRType::EUI48, "000-00-5e-00-53-2a" },
        { RRType::EUI48, "00:00:5e:00:53:2a" },
        { RRType::EUI64, "00-00-5e-00-53-2a" },
        { RRType::NID, "10 1:2:3" },
        { RRType::L64, "10 12345:1:2:3" },
        { RRType::L64, "10 1:2:3:4:" },
        { RRType::L32, "10 2001:db8::1" },
        { RRType::NSAP, "47000580" }, // "0x" first
        { RRType::NSAP, "0x470" },
        { RRType::NSAP, "0x" },
        { RRType::NSAP, "0x47." },
        { RRType::ATMA, "+12a" },
        { RRType::ATMA, "+" },
        { RRType::ATMA, "123" },
        { RRType::AMTRELAY, "10 2 1 192.0.2.1" }, // the D bit is 0 or 1
        { RRType::AMTRELAY, "10 0 128 ." },
        { RRType::AMTRELAY, "10 0 4 x" },
        { RRType::AMTRELAY, "10 0 0 x." },
        { RRType::IPSECKEY, "10 4 2 x AQID" }, // gateway types are 0 to 3
        { RRType::IPSECKEY, "10 1 2 2001:db8::1 AQID" },
        { RRType::IPSECKEY, "10 2 2 192.0.2.1 AQID" },
        { RRType::IPSECKEY, "10 0 2 . !!!!" },
        { RRType::DOA, R"(0 1 2 "" ***)" },
        { RRType::DOA, R"(0 1 2 "")" },
        { RRType::DHCID, "" },
        { RRType::APL, "3:1.2.3.4/8" },
        { RRType::APL, "1:1.2.3.4/33" },
        { RRType::APL, "2:ff00::/129" },
        { RRType::APL, "1:1.2.3.4" },
        { RRType::APL, "2:1.2.3.4/8" },
        { RRType::APL, "1:1.2.3.4/8x" },
        { RRType::A6, "129 ::1" },
        { RRType::A6, "0 ::1 p.x." }, // no prefix name with no prefix
        { RRType::A6, "64 ::1" }, // and one with a prefix
        { RRType::A6, "64 1.2.3.4 p.x." },
        { RRType::HIP, "2 zz AQID" },
        { RRType::HIP, "2 2001 !!" },
        { RRType::HIP, "2 2001" },
        { RRType::HIP, "256 2001 AQID" },
        { RRType::CSYNC, "1 0 NOSUCHTYPE" },
        { RRType::DSYNC, "NOSUCHTYPE 1 1 x." },
        { RRType::WKS, "192.0.2.1 nosuchproto 25" },
        { RRType::WKS, "192.0.2.1 6 65536" },
        { RRType::WKS, "192.0.2.1 6 nosuchservice" },
        { RRType::WKS, "192.0.2.1" },
        { RRType::SINK, "1 0 256" },
        { RRType::KEY, "256 3 8" }, // no key, yet the flags do not say so
        { RRType::DSYNC, "CDS NOTIFYX 53 s.x." },
        { RRType::TA, "1 8 1 0102" }, // a SHA-1 digest is 20 octets
    };
    for (const auto& [type, text] : bad)
        EXPECT_NE(error_of(type, text), "") << type_to_text(type) << " " << text;
    EXPECT_EQ(error_of(RRType::X25, "123"), "bad PSDN address '123' for X25: a PSDN address is at least 4 decimal "
                                            "digits (RFC 1183 §3.1)");
    EXPECT_EQ(error_of(RRType::MD, "mail.x."), "type MD is obsolete and refused in master files (RFC 1035 §3.3.4): "
                                               "write 'MX 0 <host>' instead");
    // Their names are still lower-cased in the canonical form (RFC 4034 §6.2).
    EXPECT_EQ(rdata_canonical(RRType::MF, name("A.X.")), name("a.x."));
    EXPECT_EQ(error_of(RRType::GPOS, "91 1 2"), "GPOS longitude '91' is outside -90 to 90 (RFC 1712 §3)");
    EXPECT_EQ(error_of(RRType::IPSECKEY, "10 4 2 x AQID"),
              "bad gateway 'x' for IPSECKEY: gateway type 4 is not defined (types are 0 to 3)");

    // The generic form is checked against the type's layout too.
    for (auto [type, text] : std::initializer_list<std::pair<RRType, std::string_view>> {
             { RRType::EUI48, "\\# 0" },
             { RRType::EUI48, "\\# 5 00005e0053" },
             { RRType::EUI64, "\\# 6 00005e00532a" },
             { RRType::X25, "\\# 3 023132" },
             { RRType::IPSECKEY, "\\# 3 0a0402" },
             { RRType::AMTRELAY, "\\# 3 0a0401" },
             { RRType::APL, "\\# 9 0001 15 05 c0a8200000" },
             { RRType::APL, "\\# 3 000115" },
             { RRType::A6, "\\# 1 81" },
             { RRType::A6, "\\# 2 7f01" },
             { RRType::HIP, "\\# 5 0002000100" },
             { RRType::ATMA, "\\# 3 01310a" },
             { RRType::GPOS, "\\# 6 01610131013" },
             { RRType::WKS, "\\# 4 c0000201" },
             { RRType::NSAP, "\\# 0" },
         })
        EXPECT_NE(error_of(type, text), "") << type_to_text(type) << " " << text;

    // Messages name types by their mnemonics, whether or not master files
    // Signet writes use them.
    EXPECT_EQ(type_to_text(RRType::WALLET), "WALLET");
    EXPECT_EQ(type_to_text(RRType::DLV), "DLV");
    EXPECT_TRUE(error_of(RRType::WALLET, "").find("WALLET") != std::string::npos);
}

// Master files name a type by a mnemonic, with its presentation format, only
// where BIND, Knot, NSD and ldns all read both; otherwise TYPEnnn and the
// RFC 3597 form, which all of them read.
TEST(Rdata, WrittenTypesAreOnesEveryReaderReads)
{
    auto written = [](RRType type, std::string_view text) {
        std::string out;
        append_type_and_rdata_text(out, type, wire_of(type, text));
        return out;
    };
    EXPECT_EQ(written(RRType::AFSDB, "1 afs.x."), "AFSDB 1 afs.x.");
    EXPECT_EQ(written(RRType::EUI48, "00-00-5e-00-53-2a"), "EUI48 00-00-5e-00-53-2a");
    EXPECT_EQ(written(RRType::WALLET, "BTC"), "TYPE262 \\# 4 03425443");
    EXPECT_EQ(written(RRType::MB, "m.x."), "TYPE7 \\# 5 016D017800");
    EXPECT_EQ(written(RRType::DLV, "1 8 1 0102030405060708090A0B0C0D0E0F1011121314"),
              "TYPE32769 \\# 24 000108010102030405060708090A0B0C0D0E0F1011121314");
    EXPECT_EQ(written(RRType::KEY, "49152 3 0"), "KEY \\# 4 C0000300");
    for (auto type : { RRType::A, RRType::AFSDB, RRType::APL, RRType::CSYNC, RRType::IPSECKEY, RRType::L64 })
        EXPECT_TRUE(type_is_portable(type)) << type_to_text(type);
    for (auto type : { RRType::MD, RRType::WKS, RRType::A6, RRType::HIP, RRType::SIG, RRType::WALLET, RRType::TA })
        EXPECT_FALSE(type_is_portable(type)) << type_to_text(type);
    // Type bitmaps and types covered are written the same way.
    EXPECT_EQ(rdata_to_text(RRType::NSEC, wire_of(RRType::NSEC, "x. A WALLET")), "x. A TYPE262");
}

} // namespace
} // namespace signet::dns::rdata_test
