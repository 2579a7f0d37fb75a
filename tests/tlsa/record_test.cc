#include <gtest/gtest.h>

#include <signet/dns/zone.h>
#include <signet/tlsa/record.h>

namespace signet::tlsa::record_test {
namespace {

dns::Name name(std::string_view text) { return *dns::Name::from_text(text); }

Bytes hex(std::string_view text) { return *dns::from_hex(text); }

// RFC 6698 §2.3: the two complete examples of the RFC, read as a zone
// file reads them, give the parameters and data the RFC describes, and print
// back the same (in upper-case hex, as the zone writer prints hex).
TEST(TlsaRecord, Rfc6698Section23Examples)
{
    const std::string zone_text = R"(example.com. 3600 IN SOA ns.example.com. admin.example.com. 1 3600 600 86400 300
example.com. 3600 IN NS ns.example.com.
_443._tcp.www.example.com. IN TLSA (
   0 0 1 d2abde240d7cd3ee6b4b28c54df034b9
         7983a1d16e8a410e4561cb106618e971 )
_443._tcp.www.example.com. IN TLSA (
   1 1 2 92003ba34942dc74152e2f2c408d29ec
         a5a520e7f2e06bb944f4dca346baf63c
         1b177615d466f6c4b71c216a50292bd5
         8c9ebdd2f74e38fe51ffd48c43326cbc )
)";
    dns::Diagnostics diagnostics;
    auto zone = dns::load_zone_text("$TTL 3600\n" + zone_text, name("example.com."), diagnostics);
    ASSERT_TRUE(zone) << zone.error().to_string();
    auto rrset = zone->find(name("_443._tcp.www.example.com."), dns::RRType::TLSA);
    ASSERT_TRUE(rrset);
    ASSERT_EQ(rrset->size(), 2u);
    std::vector<Record> records;
    for (std::string_view rdata : rrset->rdatas()) {
        auto record = from_rdata(rdata);
        ASSERT_TRUE(record) << record.error().to_string();
        EXPECT_EQ(to_rdata(*record), rdata);
        records.push_back(*record);
    }
    // Canonical RDATA order puts "0 0 1" first.
    EXPECT_EQ(records[0].spec, (RecordSpec { CertUsage::PkixTa, Selector::Cert, MatchingType::Sha256 }));
    EXPECT_EQ(records[0].data, hex("d2abde240d7cd3ee6b4b28c54df034b97983a1d16e8a410e4561cb106618e971"));
    EXPECT_EQ(to_text(records[0]), "0 0 1 D2ABDE240D7CD3EE6B4B28C54DF034B97983A1D16E8A410E4561CB106618E971");
    EXPECT_EQ(records[1].spec, (RecordSpec { CertUsage::PkixEe, Selector::Spki, MatchingType::Sha512 }));
    EXPECT_EQ(records[1].data.size(), 64u);
    EXPECT_EQ(to_text(records[1]).substr(0, 14), "1 1 2 92003BA3");
}

// RFC 6698 §3: "_443._tcp.www.example.com" for HTTPS on www.example.com;
// RFC 7672 §2.2.3 for SMTP: "_25._tcp." and the MX host.
TEST(TlsaRecord, OwnerNames)
{
    EXPECT_EQ(owner_name(name("www.example.com."), 443, Transport::Tcp)->to_text(), "_443._tcp.www.example.com.");
    EXPECT_EQ(owner_name(name("mail.example.nl."), 25, Transport::Tcp)->to_text(), "_25._tcp.mail.example.nl.");
    EXPECT_EQ(owner_name(name("sip.example.nl."), 5061, Transport::Sctp)->to_text(), "_5061._sctp.sip.example.nl.");
    EXPECT_EQ(owner_name(name("dns.example.nl."), 853, Transport::Udp)->to_text(), "_853._udp.dns.example.nl.");
    EXPECT_EQ(owner_name(name("www.example.com."), 65535, Transport::Tcp)->to_text(), "_65535._tcp.www.example.com.");

    auto zero = owner_name(name("www.example.com."), 0, Transport::Tcp);
    ASSERT_FALSE(zero);
    EXPECT_NE(zero.error().message().find("port 0"), std::string::npos);

    // A host of 250 octets in wire form leaves room for "_tcp" (255) but
    // not for "_443" too.
    std::string label(63, 'a');
    auto long_host = name(label + "." + label + "." + label + "." + std::string(56, 'b') + ".");
    ASSERT_EQ(long_host.wire().size(), 250u);
    auto too_long = owner_name(long_host, 443, Transport::Tcp);
    ASSERT_FALSE(too_long);
    EXPECT_NE(too_long.error().to_string().find("255"), std::string::npos) << too_long.error().to_string();
}

TEST(TlsaRecord, Transports)
{
    EXPECT_EQ(transport_from_text("TCP"), Transport::Tcp);
    EXPECT_EQ(transport_from_text("udp"), Transport::Udp);
    EXPECT_EQ(transport_from_text("sctp"), Transport::Sctp);
    EXPECT_FALSE(transport_from_text("quic"));
    EXPECT_EQ(transport_to_text(Transport::Sctp), "sctp");
}

TEST(TlsaRecord, SpecsAsNumbersOrAcronyms)
{
    EXPECT_EQ(*parse_spec("3 1 1"), (RecordSpec { CertUsage::DaneEe, Selector::Spki, MatchingType::Sha256 }));
    EXPECT_EQ(*parse_spec("  2\t0  2 "), (RecordSpec { CertUsage::DaneTa, Selector::Cert, MatchingType::Sha512 }));
    // RFC 7218 acronyms, any case.
    EXPECT_EQ(
        *parse_spec("dane-ee spki sha2-256"), (RecordSpec { CertUsage::DaneEe, Selector::Spki, MatchingType::Sha256 }));
    EXPECT_EQ(*parse_spec("PKIX-TA Cert Full"), (RecordSpec { CertUsage::PkixTa, Selector::Cert, MatchingType::Full }));
    for (std::string_view bad : { "4 1 1", "3 2 1", "3 1 3", "3 1", "3 1 1 1", "", "x y z", "-1 1 1", "03 1 1" }) {
        auto spec = parse_spec(bad);
        EXPECT_FALSE(spec) << bad;
        if (!spec) {
            EXPECT_EQ(spec.error().code(), ErrorCode::Usage);
        }
    }
    EXPECT_EQ(usage_to_text(CertUsage::DaneTa), "DANE-TA");
    EXPECT_EQ(selector_to_text(Selector::Spki), "SPKI");
    EXPECT_EQ(matching_to_text(MatchingType::Sha512), "SHA2-512");
    EXPECT_EQ(spec_to_text({ CertUsage::PkixEe, Selector::Cert, MatchingType::Full }), "1 0 0");
}

TEST(TlsaRecord, SpecLists)
{
    auto specs = parse_specs("3 1 1,2 1 1");
    ASSERT_TRUE(specs);
    EXPECT_EQ(*specs, default_specs());
    EXPECT_EQ(specs_to_text(*specs), "3 1 1,2 1 1");
    EXPECT_EQ(specs_to_text(*parse_specs(" 3 0 2 , dane-ta spki full ")), "3 0 2,2 1 0");
    for (std::string_view bad :
        { "", "3 1 1,", ",3 1 1", "3 1 1,,2 1 1", "3 1 1,3 1 1", "3 1 1,DANE-EE SPKI SHA2-256" })
        EXPECT_FALSE(parse_specs(bad)) << bad;
    auto repeated = parse_specs("3 1 1,2 1 1,3 1 1");
    ASSERT_FALSE(repeated);
    EXPECT_NE(repeated.error().message().find("twice"), std::string::npos);
}

TEST(TlsaRecord, RdataChecks)
{
    EXPECT_FALSE(from_rdata(std::string("\x03\x01\x01", 3))); // no data
    EXPECT_FALSE(from_rdata(std::string("\x04\x01\x01\xaa", 4))); // usage 4
    EXPECT_FALSE(from_rdata(std::string("\x03\x01\x01", 3) + std::string(31, 'x'))); // SHA-256 of 31 octets
    EXPECT_FALSE(from_rdata(std::string("\x03\x01\x02", 3) + std::string(32, 'x'))); // SHA-512 of 32 octets
    auto full = from_rdata(std::string("\x03\x01\x00", 3) + "any length");
    ASSERT_TRUE(full);
    EXPECT_EQ(full->spec.matching, MatchingType::Full);
    EXPECT_EQ(full->data, "any length");
    auto sha512 = from_rdata(std::string("\x02\x00\x02", 3) + std::string(64, '\x5a'));
    ASSERT_TRUE(sha512);
    EXPECT_EQ(sha512->spec, (RecordSpec { CertUsage::DaneTa, Selector::Cert, MatchingType::Sha512 }));
}

} // namespace
} // namespace signet::tlsa::record_test
