#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include <signet/base/atomic_file.h>
#include <signet/base/clock.h>
#include <signet/base/error.h>
#include <signet/base/excerpt.h>

namespace signet::base_test {
namespace {

TEST(Error, FormatsLocationContextAndMessage)
{
    Error e(ErrorCode::Parse, "bad TTL 'x'", SourceLocation { "zone.db", 12, 5 });
    e.with_context("A record");
    EXPECT_EQ(e.to_string(), "zone.db:12:5: A record: bad TTL 'x'");
    Error plain(ErrorCode::Io, "disk full");
    EXPECT_EQ(plain.to_string(), "disk full");
}

TEST(Error, AtKeepsInnerColumnAndFillsFileAndLine)
{
    Error e(ErrorCode::Parse, "bad", SourceLocation { "", 0, 7 });
    e.at(SourceLocation { "f", 3, 1 });
    EXPECT_EQ(e.to_string(), "f:3:7: bad");
}

Result<int> half(int v)
{
    if (v % 2)
        return fail(ErrorCode::Internal, "odd");
    return v / 2;
}

Result<int> quarter(int v)
{
    int h = SIGNET_TRY(half(v));
    return SIGNET_TRY(half(h));
}

TEST(Error, TryPropagatesTheFirstError)
{
    EXPECT_EQ(quarter(8).value(), 2);
    ASSERT_FALSE(quarter(6));
    EXPECT_EQ(quarter(6).error().message(), "odd");
}

TEST(Clock, ParsesUnixSecondsAndRfc3339)
{
    EXPECT_EQ(parse_time("0").value().time_since_epoch().count(), 0);
    EXPECT_EQ(parse_time("1700000000").value().time_since_epoch().count(), 1700000000);
    EXPECT_EQ(parse_time("2023-11-14T22:13:20Z").value().time_since_epoch().count(), 1700000000);
    EXPECT_EQ(parse_time("2023-11-15T00:13:20+02:00").value().time_since_epoch().count(), 1700000000);
    EXPECT_EQ(parse_time("2023-11-14T22:13:20.5Z").value().time_since_epoch().count(), 1700000000);
    EXPECT_FALSE(parse_time("2023-02-30T00:00:00Z"));
    EXPECT_FALSE(parse_time("yesterday"));
    EXPECT_FALSE(parse_time(""));
    EXPECT_EQ(format_time(parse_time("1700000000").value()), "2023-11-14T22:13:20Z");
}

std::string slurp(const std::filesystem::path& path)
{
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

TEST(AtomicFile, ReplacesOnlyOnCommit)
{
    auto dir = std::filesystem::temp_directory_path() / ("signet-atomic-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto target = dir / "out.zone";
    ASSERT_TRUE(write_file_atomically(target, "old\n"));
    {
        auto file = AtomicFile::create(target);
        ASSERT_TRUE(file);
        ASSERT_TRUE(file->write("new\n"));
        // Dropped without commit: the old content stays, no temporary left.
    }
    EXPECT_EQ(slurp(target), "old\n");
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()), 1);
    ASSERT_TRUE(write_file_atomically(target, "new\n"));
    EXPECT_EQ(slurp(target), "new\n");
    std::filesystem::remove_all(dir);
}

TEST(AtomicFile, FailsCleanlyInAMissingDirectory)
{
    auto result = write_file_atomically("/nonexistent-signet-dir/x.zone", "x");
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code(), ErrorCode::Io);
}

TEST(Excerpt, OneLineJoinsLinesAndDropsTheTrailingNewlines)
{
    EXPECT_EQ(one_line("a.test:3: bad TTL\n  in $INCLUDE b\n\n"), "a.test:3: bad TTL;   in $INCLUDE b");
    EXPECT_EQ(one_line("plain"), "plain");
    EXPECT_EQ(one_line("\n"), "");
    EXPECT_EQ(one_line("a\n\nb"), "a; ; b");
}

} // namespace
} // namespace signet::base_test
