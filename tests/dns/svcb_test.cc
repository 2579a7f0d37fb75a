// SVCB and HTTPS as a zone file gives them: every registered SvcParamKey
// checked and written in its own format (RFC 9460, RFC 9461, RFC 9540), the
// same rules for wire data, and the rules that depend on the owner name
// (DNS servers under "_dns", RFC 9461) or on the whole RRset (AliasMode,
// RFC 9460 §2.4.2) in the zone checks. The RFC 9460 test vectors are in
// rdata_test.cc.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <fmt/format.h>

#include <signet/base/hex.h>
#include <signet/dns/rdata.h>
#include <signet/dns/zone.h>

namespace signet::dns::svcb_test {
namespace {

const Name& example()
{
    static const Name origin = *Name::from_text("example.");
    return origin;
}

// Four lines, so the record under test is on line 5.
constexpr std::string_view head = "$TTL 300\n@ SOA ns hostmaster 1 7200 3600 1209600 300\n  NS ns\nns A 192.0.2.1\n";

Result<Zone> load(std::string_view records, Diagnostics& diag)
{
    return load_zone_text(fmt::format("{}{}", head, records), example(), diag);
}

// The RDATA of `owner type rdata`, read from a zone file.
Bytes read(RRType type, std::string_view rdata, std::string_view owner = "svc")
{
    Diagnostics diag;
    auto zone = load(fmt::format("{} {} {}\n", owner, type_to_text(type), rdata), diag);
    EXPECT_TRUE(zone) << rdata << ": " << (zone ? "" : zone.error().to_string());
    if (!zone)
        return {};
    auto rrset = zone->find(*Name::from_text(owner, example()), type);
    return rrset ? Bytes(rrset->rdata(0)) : Bytes();
}

// The zone's first error, as "file:line:column: message".
std::string refusal(RRType type, std::string_view rdata, std::string_view owner = "svc")
{
    Diagnostics diag;
    auto zone = load(fmt::format("{} {} {}\n", owner, type_to_text(type), rdata), diag);
    EXPECT_FALSE(zone) << rdata << " was accepted";
    return zone ? std::string() : zone.error().to_string();
}

Bytes hex(std::string_view text)
{
    std::string digits;
    for (char c : text) {
        if (c != ' ')
            digits += c;
    }
    return from_hex(digits).value();
}

// Text → wire → `printed`, which reads back to the same wire; and the
// RFC 3597 generic form of those octets is the same record.
void expect_round_trip(RRType type, std::string_view text, std::string_view printed)
{
    SCOPED_TRACE(text);
    const Bytes wire = read(type, text);
    EXPECT_TRUE(rdata_check_wire(type, wire));
    EXPECT_EQ(rdata_to_text(type, wire), printed);
    EXPECT_EQ(read(type, printed), wire);
    EXPECT_EQ(read(type, fmt::format("\\# {} {}", wire.size(), to_hex(wire))), wire);
}

TEST(Svcb, RegisteredKeysRoundTripInTheirOwnFormat)
{
    // RFC 9460 §7.2: "a single decimal integer between 0 and 65535". Port 0
    // is in that range and no other reader refuses it, so it is kept.
    expect_round_trip(RRType::SVCB, "1 . alpn=h2,h3 port=0", R"(1 . alpn="h2,h3" port=0)");
    expect_round_trip(RRType::HTTPS, "1 . port=65535", "1 . port=65535");
    // RFC 9461 §5 and its example; RFC 6570 expressions with more than one
    // variable, modifiers and %-escapes.
    expect_round_trip(RRType::SVCB, "1 doh.example.net. alpn=h2 dohpath=/dns-query{?dns}",
                      R"(1 doh.example.net. alpn="h2" dohpath="/dns-query{?dns}")");
    expect_round_trip(RRType::SVCB, R"(1 . alpn=h3 dohpath="/q%41/{tenant}{?dns,ct*}{&x:3}")",
                      R"(1 . alpn="h3" dohpath="/q%41/{tenant}{?dns,ct*}{&x:3}")");
    // UTF-8 outside ASCII is written as \DDD escapes.
    expect_round_trip(RRType::SVCB, R"(1 . alpn=h2 dohpath=/r\195\169solve{?dns})",
                      R"(1 . alpn="h2" dohpath="/r\195\169solve{?dns}")");
    // RFC 9540 §4: ohttp takes no value; "ohttp=" is the same.
    expect_round_trip(RRType::HTTPS, "1 . alpn=h2 ohttp", R"(1 . alpn="h2" ohttp)");
    expect_round_trip(RRType::HTTPS, "1 . alpn=h2 ohttp=", R"(1 . alpn="h2" ohttp)");
    expect_round_trip(RRType::HTTPS, "1 . mandatory=ohttp,alpn alpn=h3 ohttp",
                      R"(1 . mandatory=alpn,ohttp alpn="h3" ohttp)");
    // RFC 9460 §2.1: "keyNNNNN" gives the wire value of any key, a known one
    // too, which is then written in its own format.
    expect_round_trip(RRType::SVCB, R"(1 . key3=\001\187)", "1 . port=443");
    expect_round_trip(RRType::SVCB, R"(1 . key1=\002h2 key8)", R"(1 . alpn="h2" ohttp)");
    expect_round_trip(RRType::SVCB, R"(1 . mandatory=key9 key9=\001\002 key65280=x)",
                      R"(1 . mandatory=key9 key9="\001\002" key65280="x")");
    // AliasMode with SvcParams is a warning of the zone checks, not a codec
    // error; and alpn escapes (RFC 9460 Appendix A.1).
    expect_round_trip(RRType::HTTPS, R"(0 pool.example.net. alpn=h2)", R"(0 pool.example.net. alpn="h2")");
    expect_round_trip(RRType::SVCB, R"(1 . alpn="a\\,b,c\\\\d")", R"(1 . alpn="a\\,b,c\\\\d")");
    expect_round_trip(RRType::HTTPS, "1 . ipv4hint=192.0.2.1,198.51.100.7 ipv6hint=::1,2001:db8::1 ech=AEj+CgBE",
                      "1 . ipv4hint=192.0.2.1,198.51.100.7 ech=AEj+CgBE ipv6hint=::1,2001:db8::1");
}

TEST(Svcb, EachRuleIsRefusedNamingTheKey)
{
    struct Case {
        const char* rdata;
        const char* message;
    };
    const std::string long_id(256, 'x');
    const std::string long_alpn = "1 . alpn=" + long_id;
    const Case cases[] = {
        // RFC 9460 §2.1: lower-case keys; registered names or keyNNNNN.
        { "1 . ALPN=h2", "SvcParamKey 'ALPN' must be lower-case, as 'alpn' (RFC 9460 §2.1)" },
        { "1 . Port=443", "SvcParamKey 'Port' must be lower-case, as 'port'" },
        { "1 . alpn=h2 KEY9", "SvcParamKey 'KEY9' must be lower-case, as 'key9'" },
        { "1 . mandatory=ALPN alpn=h2", "mandatory lists a bad key: SvcParamKey 'ALPN' must be lower-case" },
        { "1 . key0667=x", "SvcParamKey 'key0667' has a leading zero: write 'key667'" },
        { "1 . key65536", "SvcParamKey 'key65536' is out of range" },
        { "1 . tls-supported-groups=29", "unknown SvcParamKey 'tls-supported-groups': write a key" },
        { "1 . foo_bar=1", "bad SvcParamKey 'foo_bar'" },
        { "1 . =h2", "missing SvcParamKey" },
        { "1 . port=1 port=2", "SvcParamKey port appears twice" },
        // RFC 9540 §4.
        { "1 . ohttp=x", "bad SvcParam 'ohttp=x': ohttp takes no value (RFC 9540 §4)" },
        { "1 . key8=x", "bad SvcParam 'key8=x': ohttp takes no value (RFC 9540 §4)" },
        // RFC 9460 §7.2.
        { "1 . port=65536", "port needs a port number from 0 to 65535" },
        { "1 . port=-1", "port needs a port number" },
        { "1 . port", "port needs a value" },
        { R"(1 . port=\052\052\051)", "port must not contain escape sequences (RFC 9460 §7.2)" },
        { "1 . key3=443", "port must be 2 octets (RFC 9460 §7.2)" },
        // RFC 9460 §7.3.
        { "1 . ipv4hint=", "ipv4hint needs a value" },
        { "1 . ipv4hint=192.0.2.1,", "ipv4hint needs IPv4 addresses" },
        { "1 . ipv4hint=192.0.2.1,,192.0.2.2", "ipv4hint needs IPv4 addresses" },
        { R"(1 . ipv4hint=192.0.2.\049)", "ipv4hint must not contain escape sequences (RFC 9460 §7.3)" },
        { "1 . key4=abc", "ipv4hint must be one or more IPv4 addresses" },
        { "1 . ipv6hint=192.0.2.1", "ipv6hint needs IPv6 addresses" },
        { "1 . ipv6hint", "ipv6hint needs a value" },
        { "1 . ech", "ech needs a value" },
        { "1 . ech=AEj", "ech needs base64 data" },
        // RFC 9460 §7.1.1 and Appendix A.1.
        { "1 . alpn", "alpn needs a value" },
        { "1 . alpn=h2,,h3", "alpn has an empty protocol id" },
        { "1 . alpn=h2,", "alpn has an empty protocol id" },
        { R"(1 . alpn=h\\x2)", R"(alpn has a '\' that escapes neither ',' nor '\')" },
        { long_alpn.c_str(), "alpn has a protocol id longer than 255 octets" },
        { "1 . key1=\\003h2", "alpn has an empty or truncated protocol id" },
        { "1 . no-default-alpn", "no-default-alpn needs an alpn SvcParam beside it" },
        { "1 . alpn=h2 no-default-alpn=x", "no-default-alpn takes no value" },
        // RFC 9460 §8.
        { "1 . mandatory", "mandatory needs a value" },
        { "1 . mandatory=mandatory", "mandatory must not list itself" },
        { "1 . mandatory=alpn,alpn alpn=h2", "mandatory lists a key twice" },
        { "1 . mandatory=port alpn=h2", "mandatory key port is not in the RR" },
        { "1 . mandatory=key9 alpn=h2", "mandatory key key9 is not in the RR" },
        { "1 . mandatory=alpn, alpn=h2", "mandatory lists a bad key: missing SvcParamKey" },
        { R"(1 . mandatory=\097lpn alpn=h2)", "mandatory must not contain escape sequences (RFC 9460 §8)" },
        { R"(1 . key0=\000\003\000\001 alpn=h2 port=1)", "mandatory must list its keys in strictly increasing order" },
        // RFC 9461 §5, whatever the owner.
        { "1 . alpn=h2 dohpath", "dohpath needs a value" },
        { "1 . alpn=h2 dohpath=dns-query{?dns}", "dohpath must be a relative URI template for the DoH path, "
                                                 "starting with '/' (RFC 9461 §5)" },
        { "1 . alpn=h2 dohpath=/dns-query", "dohpath must contain the variable \"dns\"" },
        { "1 . alpn=h2 dohpath=/q{?dnsx}", "dohpath must contain the variable \"dns\"" },
        { "1 . alpn=h2 dohpath=/q{?dns", "dohpath has a '{' without its '}'" },
        { "1 . alpn=h2 dohpath=/q{?dn$}", "dohpath has a malformed URI template expression" },
        { "1 . alpn=h2 dohpath=/q{?dns:0}", "dohpath has a malformed URI template expression" },
        { "1 . alpn=h2 dohpath=/q{}{?dns}", "dohpath has a malformed URI template expression" },
        { R"(1 . alpn=h2 dohpath="/q {?dns}")", "dohpath has a character that a URI template allows only %-escaped" },
        { "1 . alpn=h2 dohpath=/q%4{?dns}", "dohpath has a '%' that starts no %-escape" },
        { R"(1 . alpn=h2 dohpath=/q\255{?dns})", "dohpath must be UTF-8 (RFC 9461 §5)" },
        { R"(1 . alpn=h2 dohpath=/q\237\160\128{?dns})", "dohpath must be UTF-8" }, // a surrogate
    };
    for (const Case& c : cases) {
        const std::string error = refusal(RRType::SVCB, c.rdata);
        EXPECT_TRUE(error.starts_with("<text>:5:")) << c.rdata << ": " << error;
        EXPECT_NE(error.find(c.message), std::string::npos) << c.rdata << ": " << error;
    }
    // The column is the SvcParam's.
    EXPECT_EQ(refusal(RRType::HTTPS, "1 . alpn=h2 Port=443"),
              "<text>:5:23: HTTPS record: SvcParamKey 'Port' must be lower-case, as 'port' (RFC 9460 §2.1)");
}

TEST(Svcb, WireChecksApplyTheSameRules)
{
    const Bytes head = hex("0001 00"); // priority 1, target "."
    auto refused = [&](std::string_view params, std::string_view message) {
        auto checked = rdata_check_wire(RRType::SVCB, head + hex(params));
        ASSERT_FALSE(checked) << params << " was accepted";
        EXPECT_NE(checked.error().message().find(message), std::string::npos)
            << params << ": " << checked.error().message();
        // What is not valid is written in the generic form, never misread.
        EXPECT_TRUE(rdata_to_text(RRType::SVCB, head + hex(params)).starts_with("\\# "));
    };
    refused("0008 0001 78", "SVCB SvcParam ohttp takes no value (RFC 9540 §4)");
    refused("0007 0002 2f71", "SVCB SvcParam dohpath must contain the variable \"dns\"");
    refused("0007 0009 646e737b3f646e737d", "SVCB SvcParam dohpath must be a relative URI template");
    refused("0007 0008 2fff7b3f646e737d", "SVCB SvcParam dohpath must be UTF-8");
    refused("0003 0003 000035", "SVCB SvcParam port must be 2 octets");
    refused("0003 0000", "SVCB SvcParam port must be 2 octets");
    refused("0001 0003 036832", "SVCB SvcParam alpn has an empty or truncated protocol id");
    refused("0001 0004 00 026832", "SVCB SvcParam alpn has an empty or truncated protocol id");
    refused("0001 0000", "SVCB SvcParam alpn must not be empty");
    refused("0001 0003 026832 0002 0001 78", "SVCB SvcParam no-default-alpn takes no value");
    refused("0002 0000", "SVCB no-default-alpn needs an alpn SvcParam beside it");
    refused("0000 0002 0000", "SVCB SvcParam mandatory must not list itself");
    refused("0000 0004 0003 0001 0001 0003 026832 0003 0002 01bb",
            "SVCB SvcParam mandatory must list its keys in strictly increasing order");
    refused("0000 0003 000100 0001 0003 026832", "SVCB SvcParam mandatory must be a non-empty list of 16-bit keys");
    refused("0000 0002 0009 0001 0003 026832", "SVCB mandatory key key9 is not in the RR");
    refused("0004 0005 c000020100", "SVCB SvcParam ipv4hint must be one or more IPv4 addresses");
    refused("0006 000f 20010db8000000000000000000000001", "SVCB SvcParam ipv6hint must be one or more IPv6");
    refused("0005 0000", "SVCB SvcParam ech must not be empty");
    refused("0003 0002 01bb 0001 0003 026832", "not in strictly increasing order");

    // Port 0 and an unregistered key with any value are valid.
    const Bytes port0 = head + hex("0003 0002 0000");
    EXPECT_TRUE(rdata_check_wire(RRType::SVCB, port0));
    EXPECT_EQ(rdata_to_text(RRType::SVCB, port0), "1 . port=0");
    const Bytes key9 = head + hex("0009 0002 ffff 0008 0000");
    EXPECT_FALSE(rdata_check_wire(RRType::SVCB, key9)); // 9 before 8
    const Bytes keys = head + hex("0008 0000 0009 0002 ffff");
    EXPECT_TRUE(rdata_check_wire(RRType::SVCB, keys));
    EXPECT_EQ(rdata_to_text(RRType::SVCB, keys), R"(1 . ohttp key9="\255\255")");
}

std::vector<std::string> lines_of(const std::vector<Error>& errors)
{
    std::vector<std::string> out;
    for (const Error& error : errors)
        out.push_back(error.to_string());
    return out;
}

// RFC 9461: what a DNS server's ServiceMode SVCB records must hold. MUST
// is an error that refuses the zone; "does not apply" a warning.
TEST(Svcb, DnsServerRecordsFollowRfc9461)
{
    Diagnostics diag;
    EXPECT_FALSE(load("_dns SVCB 1 dot.example.net. port=853\n"
                      "_dns.doh SVCB 1 doh.example.net. alpn=dot,h2\n"
                      "_8443._DNS.alt SVCB 1 doh.example.net. alpn=h3 port=8443\n",
                      diag));
    EXPECT_EQ(lines_of(diag.errors),
              (std::vector<std::string> {
                  "<text>:5: SVCB 1 dot.example.net. of _dns.example. has no alpn: a DNS server has no default "
                  "protocol, so its ServiceMode records must list theirs (RFC 9461 §4.1)",
                  "<text>:7: SVCB 1 doh.example.net. of _8443._DNS.alt.example. lists HTTP in its alpn, so it is a "
                  "DNS-over-HTTPS endpoint, which must have a dohpath (RFC 9461 §5)",
                  "<text>:6: SVCB 1 doh.example.net. of _dns.doh.example. lists HTTP in its alpn, so it is a "
                  "DNS-over-HTTPS endpoint, which must have a dohpath (RFC 9461 §5)",
              }));

    // Valid: DoT and DoQ need no dohpath, DoH has one; AliasMode needs no
    // alpn; HTTPS records and names that only look like "_dns" are not DNS
    // servers' SVCB.
    Diagnostics good;
    EXPECT_TRUE(load("_dns SVCB 1 dot.example.net. alpn=dot,doq\n"
                     "_dns SVCB 2 doh.example.net. alpn=h2,h3 dohpath=/dns-query{?dns}\n"
                     "_dns.alias SVCB 0 dns.example.net.\n"
                     "_dns.web HTTPS 1 . port=443\n"
                     "_dnsx SVCB 1 . port=53\n"
                     "x._dns.sub SVCB 1 . port=53\n"
                     "_x._dns.sub SVCB 1 . port=53\n",
                     good));
    EXPECT_EQ(lines_of(good.errors), std::vector<std::string>());
    EXPECT_EQ(lines_of(good.warnings), std::vector<std::string>());

    // RFC 9461 §4.1: no-default-alpn "does not apply".
    Diagnostics warned;
    EXPECT_TRUE(load("_53._dns SVCB 1 dot.example.net. alpn=dot no-default-alpn\n", warned));
    EXPECT_EQ(lines_of(warned.warnings),
              (std::vector<std::string> { "<text>:5: SVCB 1 dot.example.net. of _53._dns.example. has "
                                          "no-default-alpn, which does not apply to DNS servers: they have no "
                                          "default protocol (RFC 9461 §4.1)" }));
}

// RFC 9460 §2.4.2 says SHOULD: warnings, and the zone still loads.
TEST(Svcb, AliasModeWithParamsAndMixedModesAreWarnings)
{
    Diagnostics diag;
    EXPECT_TRUE(load("www HTTPS 0 pool.example.net. alpn=h2\n"
                     "mixed HTTPS 0 pool.example.net.\n"
                     "mixed HTTPS 1 . alpn=h2\n"
                     "ok HTTPS 0 pool.example.net.\n"
                     "occluded NS ns.example.net.\n"
                     "x.occluded HTTPS 0 . port=1\n",
                     diag));
    EXPECT_EQ(lines_of(diag.warnings),
              (std::vector<std::string> {
                  "<text>:6: mixed.example. HTTPS mixes AliasMode and ServiceMode records; clients ignore the "
                  "ServiceMode ones (RFC 9460 §2.4.2)",
                  "<text>:5: HTTPS 0 pool.example.net. of www.example. is in AliasMode but has SvcParams, which "
                  "clients ignore (RFC 9460 §2.4.2)",
                  "<text>:10: x.occluded.example. HTTPS is occluded by the delegation at 'occluded.example.' and "
                  "will not be served or signed",
              }));
}

} // namespace
} // namespace signet::dns::svcb_test
