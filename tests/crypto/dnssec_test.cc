#include <gtest/gtest.h>

#include <signet/crypto/dnssec.h>
#include <signet/dns/rdata.h>

namespace signet::crypto::dnssec_test {
namespace {

Bytes base64(std::string_view text) { return *dns::from_base64(text); }

// RFC 4034 §5.4 and RFC 4509 §2.3: the DNSKEY of dskey.example.com.
Bytes dskey_dnskey()
{
    return make_dnskey_rdata(256, static_cast<Algorithm>(5),
                             base64("AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZ"
                                    "DRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9Xzc"
                                    "nOf+EPbtG9DMBmADjFDc2w/rljwvFw=="));
}

TEST(Dnssec, KeyTagOfRfc4034Example) { EXPECT_EQ(key_tag(dskey_dnskey()), 60485); }

TEST(Dnssec, Sha256InPiecesIsTheSha256OfTheWhole)
{
    // FIPS 180-2 example: "abc".
    EXPECT_EQ(dns::to_hex(sha256("abc")), "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
    std::string text(100000, 'x');
    for (size_t i = 0; i < text.size(); ++i)
        text[i] = static_cast<char>(i * 7);
    Sha256 pieces;
    for (size_t at = 0; at < text.size(); at += 4093)
        pieces.add(std::string_view(text).substr(at, 4093));
    EXPECT_EQ(pieces.finish(), sha256(text));
}

TEST(Dnssec, Nsec3HashOfRfc5155AppendixAAndItsOrder)
{
    // RFC 5155 Appendix A: salt AABBCCDD, 12 iterations.
    Nsec3Hasher hasher(std::string("\xaa\xbb\xcc\xdd", 4), 12);
    auto hash = [&](std::string_view owner) {
        return dns::to_base32hex(hasher.hash(*dns::Name::from_text(owner)).view(), HexCase::Lower);
    };
    struct Vector {
        const char* owner;
        const char* hash;
    };
    for (auto [owner, expected] : { Vector { "example.", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom" },
                                    Vector { "a.example.", "35mthgpgcu1qg68fab165klnsnk3dpvl" },
                                    Vector { "ai.example.", "gjeqe526plbf1g8mklp59enfd789njgi" },
                                    Vector { "ns1.example.", "2t7b4g4vsa5smi47k61mv5bv1a22bojr" },
                                    Vector { "ns2.example.", "q04jkcevqvmu85r014c7dkba38o0ji5r" },
                                    Vector { "w.example.", "k8udemvp1j2f7eg6jebps17vp3n8i58h" },
                                    Vector { "*.w.example.", "r53bq7cc2uvmubfu5ocmm6pers9tk9en" },
                                    Vector { "x.w.example.", "b4um86eghhds6nea196smvmlo4ors995" },
                                    Vector { "y.w.example.", "ji6neoaepv8b5o6k4ev33abha8ht9fgc" },
                                    Vector { "x.y.w.example.", "2vptu5timamqttgl4luu9kg21e0aor3s" },
                                    Vector { "xx.example.", "t644ebqk9bibcna874givr6joj62mlhv" } })
        EXPECT_EQ(hash(owner), expected) << owner;
    // Case does not matter.
    EXPECT_EQ(hash("XX.Example."), hash("xx.example."));
    // The chain's order is unsigned octet order, decided past the eighth
    // octet too.
    std::vector<Nsec3Hash> hashes;
    for (int i = 0; i < 64; ++i) {
        Nsec3Hash h {};
        for (size_t k = 0; k < Nsec3Hash::size; ++k)
            h.octets[k] = static_cast<char>(k < 9 && i % 4 == 0 ? 0x80 : (i * 37 + static_cast<int>(k) * 11) & 0xff);
        hashes.push_back(h);
    }
    for (const auto& a : hashes) {
        for (const auto& b : hashes) {
            const int expected = a.view().compare(b.view());
            EXPECT_EQ(expected < 0, a < b);
            EXPECT_EQ(expected == 0, a == b);
        }
    }
}

TEST(Dnssec, DsDigestsOfRfc4034AndRfc4509Examples)
{
    auto owner = *dns::Name::from_text("dskey.example.com.");
    auto sha1_ds = make_ds_rdata(owner, dskey_dnskey(), DigestType::SHA1);
    ASSERT_TRUE(sha1_ds);
    EXPECT_EQ(dns::rdata_to_text(dns::RRType::DS, *sha1_ds), "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118");
    auto sha256_ds = make_ds_rdata(owner, dskey_dnskey(), DigestType::SHA256);
    ASSERT_TRUE(sha256_ds);
    EXPECT_EQ(dns::rdata_to_text(dns::RRType::DS, *sha256_ds),
              "60485 5 2 D4B7D520E7BB5F0F67674A0CCEB1E3E0614B93C4F9E99B8383F6A1E4469DA50A");
    // The owner's case does not matter (canonical form).
    auto upper = *dns::Name::from_text("DSKEY.Example.COM.");
    EXPECT_EQ(*make_ds_rdata(upper, dskey_dnskey(), DigestType::SHA256), *sha256_ds);
}

// RFC 6605 §6.1: the P-256 example DNSKEY and its DS.
TEST(Dnssec, Rfc6605P256Example)
{
    Bytes dnskey = make_dnskey_rdata(257, Algorithm::ECDSAP256SHA256,
                                     base64("GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+"
                                            "MAnLr+Wi9xMWyQLc8NAA=="));
    EXPECT_EQ(key_tag(dnskey), 55648);
    auto ds = make_ds_rdata(*dns::Name::from_text("example.net."), dnskey, DigestType::SHA256);
    ASSERT_TRUE(ds);
    EXPECT_EQ(dns::rdata_to_text(dns::RRType::DS, *ds),
              "55648 13 2 B4C8C1FE2E7477127B27115656AD6256F424625BF5C1E2770CE6D6E37DF61D17");
    EXPECT_TRUE(PublicKey::from_dnskey(dnskey));
}

TEST(Dnssec, MalformedKeysRefused)
{
    EXPECT_FALSE(PublicKey::from_dnskey("\x01\x00\x03"));
    EXPECT_FALSE(PublicKey::from_dnskey(make_dnskey_rdata(256, Algorithm::ECDSAP256SHA256, "short")));
    EXPECT_FALSE(PublicKey::from_dnskey(make_dnskey_rdata(256, Algorithm::ED25519, std::string(31, 'x'))));
    EXPECT_FALSE(PublicKey::from_dnskey(make_dnskey_rdata(256, Algorithm::RSASHA256, "\x03\x01\x00\x01")));
    EXPECT_FALSE(PublicKey::from_dnskey(make_dnskey_rdata(256, static_cast<Algorithm>(5), "AAAA")));
}

TEST(Algorithms, NamesAndNumbers)
{
    EXPECT_EQ(algorithm_from_text("ecdsap256sha256"), Algorithm::ECDSAP256SHA256);
    EXPECT_EQ(algorithm_from_text("ED25519"), Algorithm::ED25519);
    EXPECT_EQ(algorithm_from_text("8"), Algorithm::RSASHA256);
    EXPECT_FALSE(algorithm_from_text("rsasha1"));
    EXPECT_FALSE(algorithm_from_text("7"));
    EXPECT_EQ(algorithm_to_text(Algorithm::RSASHA512), "RSASHA512");
}

} // namespace
} // namespace signet::crypto::dnssec_test
