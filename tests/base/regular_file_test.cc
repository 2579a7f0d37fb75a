#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include <signet/base/regular_file.h>

#include "../fixtures/temp_dir.h"

namespace signet::regular_file_test {
namespace {

using RegularFileTest = signet::testing::TempDirTest;

TEST_F(RegularFileTest, ReadsARegularFileWhole)
{
    auto path = dir_ / "a.pem";
    std::ofstream(path) << "line 1\nline 2\n";
    ::chmod(path.c_str(), 0640);
    auto opened = open_regular_file(path);
    ASSERT_TRUE(opened) << opened.error().to_string();
    EXPECT_EQ(opened->size, 14u);
    EXPECT_EQ(opened->mode & 0777, 0640u);
    EXPECT_EQ(read_capped(*opened, 14).value_or(""), "line 1\nline 2\n");
    EXPECT_EQ(read_regular_file(path, 1 << 20).value_or(""), "line 1\nline 2\n");
}

TEST_F(RegularFileTest, RefusesWhatIsNotARegularFileWithoutWaiting)
{
    auto fifo = dir_ / "fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    ::alarm(20); // a hang fails this test, not the suite
    auto from_fifo = open_regular_file(fifo);
    auto from_zero = read_regular_file("/dev/zero", 1 << 20);
    auto from_dir = open_regular_file(dir_);
    ::alarm(0);
    ASSERT_FALSE(from_fifo);
    EXPECT_EQ(from_fifo.error().code(), ErrorCode::Parse);
    EXPECT_EQ(from_fifo.error().message(), "a FIFO, not a regular file");
    ASSERT_FALSE(from_zero);
    EXPECT_EQ(from_zero.error().message(), "a character device, not a regular file");
    ASSERT_FALSE(from_dir);
    EXPECT_EQ(from_dir.error().message(), "a directory, not a regular file");
}

TEST_F(RegularFileTest, SaysWhyItCannotOpen)
{
    auto missing = open_regular_file(dir_ / "nope");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code(), ErrorCode::NotFound);
    EXPECT_EQ(missing.error().message(), "no such file");
    auto below_a_file = dir_ / "a";
    std::ofstream(below_a_file) << "x";
    auto not_a_dir = open_regular_file(below_a_file / "b");
    ASSERT_FALSE(not_a_dir);
    EXPECT_EQ(not_a_dir.error().code(), ErrorCode::Io);
    EXPECT_EQ(not_a_dir.error().message(), "Not a directory");
}

TEST_F(RegularFileTest, CapsWhatItReads)
{
    auto path = dir_ / "big";
    std::ofstream(path) << std::string(1001, 'x');
    auto capped = read_regular_file(path, 1000);
    ASSERT_FALSE(capped);
    EXPECT_EQ(capped.error().code(), ErrorCode::Parse);
    EXPECT_EQ(capped.error().message(), "larger than 1000 octets");
    EXPECT_EQ(read_regular_file(path, 1 << 20).value_or("").size(), 1001u);
    std::ofstream(path) << std::string((2 << 20) + 1, 'x');
    EXPECT_EQ(read_regular_file(path, 2 << 20).error().message(), "larger than 2 MiB");
}

} // namespace
} // namespace signet::regular_file_test
