#include <gtest/gtest.h>

#include <signet/base/duration.h>

namespace signet::duration_test {
namespace {

using namespace std::chrono_literals;

Duration parsed(std::string_view text)
{
    auto result = parse_duration(text);
    EXPECT_TRUE(result) << text << ": " << result.error().to_string();
    return result.value_or(Duration(-1));
}

TEST(Duration, ParsesSingleUnits)
{
    EXPECT_EQ(parsed("30s"), 30s);
    EXPECT_EQ(parsed("5m"), 5min);
    EXPECT_EQ(parsed("12h"), 12h);
    EXPECT_EQ(parsed("90d"), std::chrono::days(90));
    EXPECT_EQ(parsed("2w"), std::chrono::weeks(2));
    EXPECT_EQ(parsed("0s"), 0s);
}

TEST(Duration, ParsesCombinationsAndPlainSeconds)
{
    EXPECT_EQ(parsed("1d12h"), 36h);
    EXPECT_EQ(parsed("1w2d3h4m5s"), std::chrono::weeks(1) + std::chrono::days(2) + 3h + 4min + 5s);
    EXPECT_EQ(parsed("5m30s"), 330s);
    EXPECT_EQ(parsed("12h1d"), 36h);
    EXPECT_EQ(parsed("3600"), 1h);
    EXPECT_EQ(parsed("0"), 0s);
    EXPECT_EQ(parsed("1D12H"), 36h);
}

TEST(Duration, RefusesMalformedText)
{
    for (std::string_view text : { "", "d", "1x", "1d 2h", " 1d", "1d2", "-5m", "1.5h", "unlimited", "h1" }) {
        auto result = parse_duration(text);
        EXPECT_FALSE(result) << "'" << text << "' parsed";
        if (!result) {
            EXPECT_EQ(result.error().code(), ErrorCode::Parse);
            EXPECT_NE(result.error().message().find("bad duration"), std::string::npos);
        }
    }
}

TEST(Duration, RefusesValuesBeyondTheLimit)
{
    EXPECT_EQ(parsed("36600d"), max_duration);
    EXPECT_FALSE(parse_duration("36601d"));
    EXPECT_FALSE(parse_duration("99999999999999999999999"));
    EXPECT_FALSE(parse_duration("9999999999999w"));
    EXPECT_FALSE(parse_duration("36600d1s"));
}

TEST(Duration, SaysWhatIsWrong)
{
    auto message = [](std::string_view text) { return parse_duration(text).error().message(); };
    EXPECT_NE(message("1d2x").find("unexpected 'x'"), std::string::npos);
    EXPECT_NE(message("1dh").find("a unit without a number"), std::string::npos);
    EXPECT_NE(message("1h30").find("a number without a unit after units"), std::string::npos);
    EXPECT_NE(message("36601d").find("too long"), std::string::npos);
    EXPECT_NE(message("").find("empty"), std::string::npos);
}

TEST(Seconds, OneSyntaxUpToTheCallersLimit)
{
    // The master-file TTL field and RDATA intervals read 32 bits this way.
    constexpr uint64_t max_u32 = 0xffffffff;
    EXPECT_EQ(parse_seconds("4294967295", max_u32), max_u32);
    EXPECT_EQ(parse_seconds("1W2d3H4m5S", max_u32), 604800u + 2 * 86400 + 3 * 3600 + 4 * 60 + 5);
    EXPECT_EQ(parse_seconds("4294967296", max_u32), std::unexpected(SecondsError::TooLarge));
    EXPECT_EQ(parse_seconds("7102w", max_u32), std::unexpected(SecondsError::TooLarge));
    EXPECT_EQ(parse_seconds("4294967295s1s", max_u32), std::unexpected(SecondsError::TooLarge));
    EXPECT_EQ(parse_seconds("", max_u32), std::unexpected(SecondsError::Empty));
    EXPECT_EQ(parse_seconds("1 h", max_u32), std::unexpected(SecondsError::BadCharacter));
    EXPECT_EQ(parse_seconds("m5", max_u32), std::unexpected(SecondsError::UnitWithoutNumber));
    EXPECT_EQ(parse_seconds("1h30", max_u32), std::unexpected(SecondsError::NumberAfterUnits));
}

TEST(Duration, FormatsTheExactValueInDaysHoursMinutesSeconds)
{
    EXPECT_EQ(format_duration(0s), "0s");
    EXPECT_EQ(format_duration(30s), "30s");
    EXPECT_EQ(format_duration(5min), "5m");
    EXPECT_EQ(format_duration(std::chrono::days(90)), "90d");
    EXPECT_EQ(format_duration(std::chrono::weeks(2)), "14d");
    EXPECT_EQ(format_duration(36h), "1d12h");
    EXPECT_EQ(format_duration(330s), "5m30s");
    EXPECT_EQ(format_duration(std::chrono::days(1) + 1s), "1d1s");
    EXPECT_EQ(format_duration(-90s), "-1m30s");
}

TEST(Duration, FormattedTextParsesBack)
{
    for (int64_t seconds : { 0LL, 1LL, 59LL, 61LL, 3599LL, 86399LL, 86401LL, 7776000LL, 1234567LL }) {
        Duration d(seconds);
        EXPECT_EQ(parsed(format_duration(d)), d) << seconds;
    }
}

TEST(Duration, RoughlyIsRoundedDownToOneUnit)
{
    EXPECT_EQ(format_duration_roughly(0s), "0 min");
    EXPECT_EQ(format_duration_roughly(59min + 59s), "59 min");
    EXPECT_EQ(format_duration_roughly(1h), "1 h");
    EXPECT_EQ(format_duration_roughly(47h + 59min), "47 h");
    EXPECT_EQ(format_duration_roughly(48h), "2 days");
    EXPECT_EQ(format_duration_roughly(std::chrono::days(20) + 23h), "20 days");
}

} // namespace
} // namespace signet::duration_test
