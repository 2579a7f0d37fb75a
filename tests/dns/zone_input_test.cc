// What a zone file may make the reader do when the file comes from someone
// other than the operator: which files $INCLUDE may read, which kinds of file
// are read at all, the limits on size, and what messages may quote.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include <signet/base/excerpt.h>
#include <signet/dns/zone.h>

namespace signet::dns::zone_input_test {
namespace {

namespace fs = std::filesystem;

const Name& example()
{
    static const Name origin = *Name::from_text("example.");
    return origin;
}

constexpr std::string_view head = "$TTL 300\n@ SOA ns hostmaster 1 7200 3600 1209600 300\n  NS ns\nns A 192.0.2.1\n";

// A fresh directory, removed with all it holds at the end of the test.
class TempDir {
public:
    TempDir()
    {
        std::string pattern = (fs::temp_directory_path() / "signet-input-XXXXXX").string();
        if (!::mkdtemp(pattern.data()))
            std::abort();
        path_ = pattern;
    }
    ~TempDir()
    {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }
    fs::path write(const fs::path& name, std::string_view text) const
    {
        fs::path file = path_ / name;
        fs::create_directories(file.parent_path());
        std::ofstream out(file, std::ios::binary);
        out << text;
        return file;
    }

private:
    fs::path path_;
};

// Every error and warning of a read, as printed.
std::string all_messages(const Diagnostics& diag)
{
    std::string text;
    for (const auto& error : diag.errors)
        text += error.to_string() + "\n";
    for (const auto& warning : diag.warnings)
        text += warning.to_string() + "\n";
    return text;
}

// Reads `file`; a test that would hang on a FIFO is killed by the alarm
// rather than hanging the suite.
Result<Zone> load(const fs::path& file, Diagnostics& diag)
{
    ::alarm(20);
    auto zone = load_zone_file(file, example(), diag);
    ::alarm(0);
    return zone;
}

TEST(Include, InsideTheZoneFilesDirectoryIsRead)
{
    TempDir dir;
    dir.write("sub/hosts.inc", "www A 192.0.2.2\n");
    // A link inside the tree to a file inside the tree is fine.
    fs::create_symlink("sub/hosts.inc", dir.path() / "linked.inc");
    auto file = dir.write("zone", std::string(head) + "$INCLUDE sub/hosts.inc\n$INCLUDE linked.inc other\n");
    Diagnostics diag;
    auto zone = load(file, diag);
    ASSERT_TRUE(zone) << all_messages(diag);
    EXPECT_TRUE(zone->find(*Name::from_text("www.example."), RRType::A));
    EXPECT_TRUE(zone->find(*Name::from_text("www.other.example."), RRType::A));
}

TEST(Include, DotDotOutOfTheDirectoryIsRefused)
{
    TempDir dir;
    dir.write("other/victim.zone", "victim A 192.0.2.9\n");
    auto file = dir.write("customer/zone", std::string(head) + "$INCLUDE ../other/victim.zone\n");
    Diagnostics diag;
    auto zone = load(file, diag);
    ASSERT_FALSE(zone);
    EXPECT_EQ(diag.errors.front().where()->line, 5u);
    EXPECT_NE(
        diag.errors.front().message().find("$INCLUDE '../other/victim.zone' is outside the zone file's directory"),
        std::string::npos)
        << all_messages(diag);
}

TEST(Include, AbsolutePathOutsideIsRefused)
{
    TempDir dir;
    TempDir elsewhere;
    auto victim = elsewhere.write("victim.zone", "victim A 192.0.2.9\n");
    auto file = dir.write("zone", std::string(head) + fmt::format("$INCLUDE {}\n", victim.string()));
    Diagnostics diag;
    auto zone = load(file, diag);
    ASSERT_FALSE(zone);
    EXPECT_NE(diag.errors.front().message().find("is outside the zone file's directory"), std::string::npos)
        << all_messages(diag);
}

TEST(Include, SymbolicLinkPointingOutIsRefused)
{
    TempDir dir;
    TempDir elsewhere;
    auto victim = elsewhere.write("victim.zone", "victim A 192.0.2.9\n");
    fs::create_symlink(victim, dir.path() / "innocent.inc");
    // A link to a directory outside is no way out either.
    fs::create_directory_symlink(elsewhere.path(), dir.path() / "outdir");
    auto file = dir.write("zone", std::string(head) + "$INCLUDE innocent.inc\n$INCLUDE outdir/victim.zone\n");
    Diagnostics diag;
    auto zone = load(file, diag);
    ASSERT_FALSE(zone);
    ASSERT_EQ(diag.errors.size(), 2u) << all_messages(diag);
    EXPECT_NE(diag.errors[0].message().find("'innocent.inc' is outside"), std::string::npos);
    EXPECT_NE(diag.errors[1].message().find("'outdir/victim.zone' is outside"), std::string::npos);
}

TEST(Include, ConfiguredDirectoriesAreAllowedToo)
{
    TempDir dir;
    TempDir shared;
    auto common = shared.write("common.inc", "mail A 192.0.2.25\n");
    auto file = dir.write("zone", std::string(head) + fmt::format("$INCLUDE {}\n", common.string()));
    {
        Diagnostics diag;
        EXPECT_FALSE(load(file, diag));
    }
    Diagnostics diag;
    diag.include_directories.push_back(shared.path());
    auto zone = load(file, diag);
    ASSERT_TRUE(zone) << all_messages(diag);
    EXPECT_TRUE(zone->find(*Name::from_text("mail.example."), RRType::A));
}

TEST(Include, TextInMemoryIncludesOnlyFromConfiguredDirectories)
{
    TempDir shared;
    auto common = shared.write("common.inc", "mail A 192.0.2.25\n");
    std::string text = std::string(head) + fmt::format("$INCLUDE {}\n", common.string());
    {
        Diagnostics diag;
        EXPECT_FALSE(load_zone_text(text, example(), diag));
        EXPECT_NE(all_messages(diag).find("is outside"), std::string::npos);
    }
    Diagnostics diag;
    diag.include_directories.push_back(shared.path());
    EXPECT_TRUE(load_zone_text(text, example(), diag)) << all_messages(diag);
}

TEST(Include, ProcSelfEnvironIsRefused)
{
    TempDir dir;
    auto file = dir.write("zone", std::string(head) + "$INCLUDE /proc/self/environ\n");
    Diagnostics diag;
    auto zone = load(file, diag);
    ASSERT_FALSE(zone);
    EXPECT_NE(diag.errors.front().message().find("is outside the zone file's directory"), std::string::npos);
    EXPECT_EQ(all_messages(diag).find("PATH="), std::string::npos);
}

TEST(RegularFiles, FifoAsIncludeIsRefusedWithoutWaiting)
{
    TempDir dir;
    ASSERT_EQ(::mkfifo((dir.path() / "pipe.inc").c_str(), 0600), 0);
    auto file = dir.write("zone", std::string(head) + "$INCLUDE pipe.inc\n");
    Diagnostics diag;
    auto zone = load(file, diag);
    ASSERT_FALSE(zone);
    EXPECT_NE(diag.errors.front().message().find("a FIFO, not a regular file; zone files must be regular files"), std::string::npos)
        << all_messages(diag);
    EXPECT_EQ(diag.errors.front().where()->line, 5u);
}

TEST(RegularFiles, FifoAsTheZoneFileIsRefusedWithoutWaiting)
{
    TempDir dir;
    auto fifo = dir.path() / "zone";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    Diagnostics diag;
    auto zone = load(fifo, diag);
    ASSERT_FALSE(zone);
    EXPECT_NE(diag.errors.front().message().find("a FIFO"), std::string::npos) << all_messages(diag);
}

TEST(RegularFiles, DevZeroIsRefusedEvenFromAnAllowedDirectory)
{
    TempDir dir;
    auto file = dir.write("zone", std::string(head) + "$INCLUDE /dev/zero\n");
    {
        Diagnostics diag;
        ASSERT_FALSE(load(file, diag));
        EXPECT_NE(diag.errors.front().message().find("is outside"), std::string::npos);
    }
    Diagnostics diag;
    diag.include_directories.push_back("/dev");
    ASSERT_FALSE(load(file, diag));
    EXPECT_NE(diag.errors.front().message().find("a character device"), std::string::npos) << all_messages(diag);
}

TEST(RegularFiles, ADirectoryIsRefused)
{
    TempDir dir;
    fs::create_directory(dir.path() / "sub");
    auto file = dir.write("zone", std::string(head) + "$INCLUDE sub\n");
    Diagnostics diag;
    ASSERT_FALSE(load(file, diag));
    EXPECT_NE(diag.errors.front().message().find("a directory"), std::string::npos) << all_messages(diag);
}

TEST(Limits, GeneratedRecordsAddUpOverTheZone)
{
    Diagnostics diag;
    diag.max_generated_records = 1000;
    diag.max_total_generated_records = 1500;
    std::string text = std::string(head) + "$GENERATE 0-999 a$ A 10.0.0.1\n$GENERATE 0-999 b$ A 10.0.0.2\n";
    ASSERT_FALSE(load_zone_text(text, example(), diag));
    ASSERT_EQ(diag.errors.size(), 1u) << all_messages(diag);
    EXPECT_EQ(diag.errors[0].where()->line, 6u);
    EXPECT_NE(diag.errors[0].message().find("with the 1000 made before is more than 1500"), std::string::npos)
        << all_messages(diag);
}

TEST(Limits, HugeGeneratesStopAtTheRecordLimit)
{
    // Each is within the per-$GENERATE limit; together they are not (the
    // defaults below). The first is cut short by a small record limit so
    // the test stays fast.
    Diagnostics diag;
    diag.max_records = 1000;
    std::string text = std::string(head) + "$GENERATE 0-9999998 a$ A 10.0.0.1\n$GENERATE 0-9999998 b$ A 10.0.0.2\n";
    ASSERT_FALSE(load_zone_text(text, example(), diag));
    EXPECT_NE(diag.errors[0].message().find("more than 1000 records (the limit on records per zone)"),
              std::string::npos)
        << all_messages(diag);
    Diagnostics defaults;
    EXPECT_LT(defaults.max_total_generated_records, 2u * 9'999'999u);
}

TEST(Limits, RecordsPerZone)
{
    Diagnostics diag;
    diag.max_records = 10;
    std::string text(head);
    for (int i = 0; i < 20; ++i)
        text += fmt::format("h{} A 10.0.0.{}\n", i, i);
    ASSERT_FALSE(load_zone_text(text, example(), diag));
    ASSERT_EQ(diag.errors.size(), 1u);
    EXPECT_EQ(diag.errors[0].where()->line, 12u); // SOA, NS, A, then h0 to h6 make ten
    EXPECT_NE(diag.errors[0].message().find("more than 10 records"), std::string::npos);
}

TEST(Limits, InputAndRecordBytes)
{
    std::string text(head);
    for (int i = 0; i < 100; ++i)
        text += fmt::format("h{} A 10.0.0.{}\n", i, i);
    {
        Diagnostics diag;
        diag.max_input_bytes = 1000;
        ASSERT_FALSE(load_zone_text(text, example(), diag));
        EXPECT_NE(all_messages(diag).find("larger than 1000 octets"), std::string::npos) << all_messages(diag);
    }
    Diagnostics diag;
    diag.max_record_bytes = 1000;
    ASSERT_FALSE(load_zone_text(text, example(), diag));
    EXPECT_NE(all_messages(diag).find("more than 1000 octets in wire form"), std::string::npos) << all_messages(diag);
}

TEST(Limits, OverLongLinesAreRefusedAndSkipped)
{
    TempDir dir;
    std::string text(head);
    text += "big TXT \"" + std::string(5000, 'x') + "\"\n";
    text += "ok A 192.0.2.7\n";
    auto file = dir.write("zone", text);
    for (bool from_file : { true, false }) {
        Diagnostics diag;
        diag.max_line_length = 4096;
        auto zone = from_file ? load(file, diag) : load_zone_text(text, example(), diag);
        ASSERT_FALSE(zone);
        ASSERT_EQ(diag.errors.size(), 1u) << all_messages(diag);
        EXPECT_EQ(diag.errors[0].where()->line, 5u);
        EXPECT_NE(diag.errors[0].message().find("line is longer than 4096 octets"), std::string::npos);
    }
    // Parentheses do not get around it.
    std::string joined(head);
    joined += "big TXT (\n";
    for (int i = 0; i < 100; ++i)
        joined += "\"" + std::string(100, 'y') + "\"\n";
    joined += ")\n";
    Diagnostics diag;
    diag.max_line_length = 4096;
    ASSERT_FALSE(load_zone_text(joined, example(), diag));
    EXPECT_NE(all_messages(diag).find("entry is longer than 4096 octets"), std::string::npos) << all_messages(diag);
}

TEST(Limits, TheLargestLegalRecordFitsTheDefaultLineLength)
{
    // 65535 octets of RDATA, each written as a \DDD escape. (Too large for
    // any DNS message, so the zone's checks refuse it; the reader must not.)
    std::string text = "esc 300 TXT";
    for (int i = 0; i < 257; ++i) {
        text += " \"";
        for (int k = 0; k < 254; ++k)
            text += "\\007";
        text += "\"";
    }
    text += "\n";
    EXPECT_GT(text.size(), 250'000u);
    Diagnostics diag;
    size_t records = 0;
    size_t octets = 0;
    EXPECT_TRUE(read_master_text(
        text, "<text>", example(),
        [&](const RecordView& record) {
            ++records;
            octets = record.rdata.size();
        },
        diag))
        << all_messages(diag).substr(0, 300);
    EXPECT_EQ(records, 1u);
    EXPECT_EQ(octets, 65535u);
}

TEST(Limits, AnRRsetTooLargeForAnyMessageIsRefused)
{
    std::string text(head);
    // 300 distinct TXT records of 256 octets each: about 80,000 octets.
    for (int i = 0; i < 300; ++i)
        text += fmt::format("many TXT \"{:03}{}\"\n", i, std::string(252, 't'));
    Diagnostics diag;
    ASSERT_FALSE(load_zone_text(text, example(), diag));
    ASSERT_EQ(diag.errors.size(), 1u) << all_messages(diag);
    EXPECT_EQ(diag.errors[0].where()->line, 5u); // the RRset's first record
    EXPECT_NE(diag.errors[0].message().find("the RRset many.example. TXT (300 records) is too large"),
              std::string::npos)
        << diag.errors[0].message();

    // 200 of them fit.
    std::string fits(head);
    for (int i = 0; i < 200; ++i)
        fits += fmt::format("many TXT \"{:03}{}\"\n", i, std::string(252, 't'));
    Diagnostics again;
    EXPECT_TRUE(load_zone_text(fits, example(), again)) << all_messages(again);
}

TEST(Messages, AnIncludedSecretIsNeverQuotedInFull)
{
    TempDir dir;
    const std::string secret = "pin-7f3a9c2e5b1d8f4a6c0e2b7d9f1a3c5e8b0d2f4a6c8e0b2d4f6a8c0e2b4d6f8a";
    // What a token PIN file or an environment dump might hold, in every
    // place a token could be quoted from.
    dir.write("secret.inc", fmt::format("$SECRET {0}\n{0}\nx {0}\nx A {0}\nx IN {0}\nx 1{0}\nx MX 10 {0}\n"
                                        "$ORIGIN {0}\n$GENERATE {0} a A 1\n$INCLUDE {0}\n",
                                        secret));
    auto file = dir.write("zone", std::string(head) + "$INCLUDE secret.inc bogus.example.org.\n");
    Diagnostics diag;
    diag.max_errors = 100;
    ASSERT_FALSE(load(file, diag));
    std::string messages = all_messages(diag);
    EXPECT_GE(diag.errors.size(), 8u) << messages;
    EXPECT_EQ(messages.find(secret), std::string::npos) << messages;
    // Only a short prefix shows.
    EXPECT_EQ(messages.find(secret.substr(0, excerpt_length + 1)), std::string::npos) << messages;
}

TEST(Messages, ExcerptsAreShortAndPrintable)
{
    EXPECT_EQ(excerpt("www.example."), "www.example.");
    EXPECT_EQ(excerpt(std::string(48, 'a')), std::string(48, 'a'));
    EXPECT_EQ(excerpt(std::string(49, 'a')), std::string(48, 'a') + "…");
    EXPECT_EQ(excerpt("a\x1b[2Jb\n"), "a\\027[2Jb\\010");
    EXPECT_EQ(excerpt("\xff\xfe", 5), "\\255…");
    // Control characters in a token reach the message escaped.
    Diagnostics diag;
    EXPECT_FALSE(load_zone_text(std::string(head) + "x \x1b]2Jpwned\x07 A 1.2.3.4\n", example(), diag));
    EXPECT_EQ(all_messages(diag).find('\x1b'), std::string::npos);
    EXPECT_NE(all_messages(diag).find("\\027]2Jpwned\\007"), std::string::npos) << all_messages(diag);
}

TEST(Messages, WarningsStopBeingKeptAtTheLimit)
{
    std::string text(head);
    for (int i = 0; i < 50; ++i)
        text += "dup A 192.0.2.1\n";
    Diagnostics diag;
    diag.max_warnings = 10;
    ASSERT_TRUE(load_zone_text(text, example(), diag));
    EXPECT_EQ(diag.warnings.size(), 10u);
    EXPECT_EQ(diag.omitted_warnings, 39u);
}

} // namespace
} // namespace signet::dns::zone_input_test
