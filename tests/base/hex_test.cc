#include <gtest/gtest.h>

#include <string>

#include <signet/base/hex.h>

namespace signet::hex_test {
namespace {

TEST(Hex, EncodesInEitherCase)
{
    const std::string bytes("\x00\x01\x7f\x80\xab\xff", 6);
    EXPECT_EQ(to_hex(bytes), "00017f80abff");
    EXPECT_EQ(to_hex(bytes, HexCase::Upper), "00017F80ABFF");
    EXPECT_EQ(to_hex(""), "");
    std::string out = "id=";
    append_hex(out, "\x12\x34");
    EXPECT_EQ(out, "id=1234");
}

TEST(Hex, EveryOctetRoundTrips)
{
    std::string all;
    for (int i = 0; i < 256; ++i)
        all.push_back(static_cast<char>(i));
    EXPECT_EQ(from_hex(to_hex(all)).value(), all);
    EXPECT_EQ(from_hex(to_hex(all, HexCase::Upper)).value(), all);
}

TEST(Hex, DecodesEitherCaseAndNothingElse)
{
    EXPECT_EQ(from_hex("666f6F").value(), "foo");
    EXPECT_EQ(from_hex("").value(), "");
    for (std::string_view bad : { "0g", "0x00", "00 11", "-1", "1\n" }) {
        auto decoded = from_hex(bad);
        ASSERT_FALSE(decoded) << bad;
        EXPECT_EQ(decoded.error().code(), ErrorCode::Parse);
        EXPECT_NE(decoded.error().message().find("bad hex digit"), std::string::npos) << bad;
    }
    // A bad digit is named before an odd count.
    EXPECT_NE(from_hex("abc").error().message().find("odd number of hex digits in 'abc'"), std::string::npos);
    EXPECT_NE(from_hex("abz").error().message().find("bad hex digit"), std::string::npos);
}

TEST(Hex, DecoderTakesPairsSplitOverPieces)
{
    HexDecoder decoder;
    std::string out;
    EXPECT_TRUE(decoder.feed("a", out));
    EXPECT_FALSE(decoder.finish());
    EXPECT_TRUE(decoder.feed("bCD1", out));
    EXPECT_FALSE(decoder.finish());
    EXPECT_TRUE(decoder.feed("2", out));
    EXPECT_TRUE(decoder.finish());
    EXPECT_EQ(out, "\xab\xcd\x12");
    EXPECT_FALSE(decoder.feed("1x", out));
}

} // namespace
} // namespace signet::hex_test
