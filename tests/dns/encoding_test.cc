#include <gtest/gtest.h>

#include <string>

#include <signet/dns/rdata.h>

namespace signet::dns::encoding_test {
namespace {

// RFC 4648 §10 test vectors.
struct Vector {
    std::string_view plain;
    std::string_view base64;
    std::string_view base32hex; // §10 with the padding left out, as RFC 5155 writes it
    std::string_view hex;
};

constexpr Vector rfc4648_vectors[] = {
    { "", "", "", "" },
    { "f", "Zg==", "CO", "66" },
    { "fo", "Zm8=", "CPNG", "666F" },
    { "foo", "Zm9v", "CPNMU", "666F6F" },
    { "foob", "Zm9vYg==", "CPNMUOG", "666F6F62" },
    { "fooba", "Zm9vYmE=", "CPNMUOJ1", "666F6F6261" },
    { "foobar", "Zm9vYmFy", "CPNMUOJ1E8", "666F6F626172" },
};

TEST(Encoding, Rfc4648Vectors)
{
    for (const auto& v : rfc4648_vectors) {
        EXPECT_EQ(to_base64(v.plain), v.base64) << v.plain;
        EXPECT_EQ(to_base32hex(v.plain), v.base32hex) << v.plain;
        EXPECT_EQ(to_hex(v.plain), v.hex) << v.plain;
        EXPECT_EQ(from_base64(v.base64).value(), v.plain);
        EXPECT_EQ(from_base32hex(v.base32hex).value(), v.plain);
        EXPECT_EQ(from_hex(v.hex).value(), v.plain);
    }
}

TEST(Encoding, DecodersIgnoreCaseWhereTheAlphabetAllows)
{
    EXPECT_EQ(from_hex("666f6F").value(), "foo");
    EXPECT_EQ(from_base32hex("cpnmuoj1e8").value(), "foobar");
    // Base64 is case-sensitive: "zM9V" is other data, not an error.
    EXPECT_NE(from_base64("zm9v").value(), "foo");
}

TEST(Encoding, Base64RejectsBadInput)
{
    EXPECT_FALSE(from_base64("Zg")); // padding required
    EXPECT_FALSE(from_base64("Zg="));
    EXPECT_FALSE(from_base64("Z==="));
    EXPECT_FALSE(from_base64("Zg==Zg==")); // nothing after padding
    EXPECT_FALSE(from_base64("Zm9v Zg==")); // whitespace never occurs inside a token
    EXPECT_FALSE(from_base64("Zm9*"));
    EXPECT_FALSE(from_base64("Zm=v"));
    auto error = from_base64("Zg");
    EXPECT_EQ(error.error().code(), ErrorCode::Parse);
    EXPECT_NE(error.error().message().find("'Zg'"), std::string::npos);
}

TEST(Encoding, Base32HexRejectsBadInput)
{
    EXPECT_FALSE(from_base32hex("CO======")); // no padding in DNS
    EXPECT_FALSE(from_base32hex("C")); // 1, 3 or 6 characters cannot end a group
    EXPECT_FALSE(from_base32hex("CPN"));
    EXPECT_FALSE(from_base32hex("CPNMUO"));
    EXPECT_FALSE(from_base32hex("CPNW")); // W is past the extended-hex alphabet
    EXPECT_FALSE(from_base32hex("CP-G"));
    // Bits past the last octet must be zero: "12" would read as "10".
    EXPECT_EQ(from_base32hex("10").value(), std::string(1, '\x08'));
    EXPECT_FALSE(from_base32hex("12"));
    EXPECT_FALSE(from_base32hex("CPNMUOJ1E9")); // "foobar" ends in ...E8
}

TEST(Encoding, HexRejectsBadInput)
{
    EXPECT_FALSE(from_hex("ABC"));
    EXPECT_FALSE(from_hex("0g"));
    EXPECT_FALSE(from_hex("0x00"));
    EXPECT_NE(from_hex("ABC").error().message().find("odd"), std::string::npos);
}

TEST(Encoding, RoundTripsEveryLengthAndOctet)
{
    std::string data;
    for (int length = 0; length < 80; ++length) {
        EXPECT_EQ(from_base64(to_base64(data)).value(), data);
        EXPECT_EQ(from_base32hex(to_base32hex(data)).value(), data);
        EXPECT_EQ(from_hex(to_hex(data)).value(), data);
        data.push_back(static_cast<char>(length * 37 + 11));
    }
    std::string all;
    for (int c = 0; c < 256; ++c)
        all.push_back(static_cast<char>(c));
    EXPECT_EQ(from_base64(to_base64(all)).value(), all);
    EXPECT_EQ(from_base32hex(to_base32hex(all)).value(), all);
    EXPECT_EQ(from_hex(to_hex(all)).value(), all);
}

TEST(Encoding, Base32HexOfAnNsec3Hash)
{
    // RFC 5155 Appendix A: the hash of ns1.example (SHA-1, salt aabbccdd,
    // 12 iterations) in hex, computed independently, and its base32hex.
    auto hash = from_hex("174EB2409FE28BCB4887A1836F957F0A8425E27B").value();
    EXPECT_EQ(to_base32hex(hash), "2T7B4G4VSA5SMI47K61MV5BV1A22BOJR");
    EXPECT_EQ(from_base32hex("2t7b4g4vsa5smi47k61mv5bv1a22bojr").value(), hash);
}

} // namespace
} // namespace signet::dns::encoding_test
