// Registering zones from a list (`signet zone add --from`) against a real
// state dir: all or nothing, every wrong line named, and a list that can be
// applied again.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fmt/format.h>

#include <signet/app/pipeline.h>
#include <signet/app/zones.h>

#include "../fixtures/certs.h"

namespace signet::app::zones_test {
namespace {

namespace fs = std::filesystem;

const TimePoint t0 = TimePoint(std::chrono::seconds(1798761600)); // 2027-01-01

class ZoneAddFrom : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        dir_ = fs::temp_directory_path() / fmt::format("signet-app-zones-{}", ::getpid());
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "in");
        auto made = init_state(dir_ / "state");
        ASSERT_TRUE(made) << made.error().to_string();
    }
    static void TearDownTestSuite() { fs::remove_all(dir_); }

    void SetUp() override
    {
        auto opened = Context::open(dir_ / "state", std::nullopt);
        ASSERT_TRUE(opened) << opened.error().to_string();
        context_.emplace(std::move(*opened));
    }

    // An input file for `name`, and its line in a list.
    static std::string line(const std::string& name, const std::string& extra = "")
    {
        testing::write_file(dir_ / "in" / (name + ".zone"), "@ SOA ns1 hostmaster 1 3600 600 86400 300\n");
        return fmt::format("{0} in/{0}.zone out/{0}.signed{1}\n", name, extra);
    }

    ZoneList read(const std::string& text) { return read_zone_list(text, "zones.txt", dir_); }

    std::vector<std::string> stored_names()
    {
        std::vector<std::string> names;
        auto zones = context_->db.list_zones();
        EXPECT_TRUE(zones) << zones.error().to_string();
        for (const auto& zone : zones.value_or(std::vector<enforcer::ZoneEntry>()))
            names.push_back(zone.name);
        return names;
    }

    static inline fs::path dir_;
    std::optional<Context> context_;
};

TEST_F(ZoneAddFrom, ReadsFieldsCommentsQuotesAndRelativePaths)
{
    auto list = read("# hoster's zones\n"
                     "\n"
                     "a.test in/a.zone out/a.signed   # trailing comment\n"
                     "b.test\t\"in/b with space.zone\" /abs/b.signed nsec\n"
                     "c.test \"in/c \\\"quoted\\\" \\\\.zone\" out/c.signed\n");
    EXPECT_TRUE(list.problems.empty()) << list.problems.front().to_string();
    EXPECT_EQ(list.file, "zones.txt");
    const auto* zones = &list.zones;
    ASSERT_EQ(zones->size(), 3u);
    EXPECT_EQ((*zones)[0].name, "a.test");
    EXPECT_EQ((*zones)[0].input, dir_ / "in/a.zone");
    EXPECT_EQ((*zones)[0].output, dir_ / "out/a.signed");
    EXPECT_EQ((*zones)[0].policy, "default");
    ASSERT_TRUE((*zones)[0].where);
    EXPECT_EQ((*zones)[0].where->line, 3u);
    EXPECT_EQ((*zones)[1].input, dir_ / "in/b with space.zone");
    EXPECT_EQ((*zones)[1].output, fs::path("/abs/b.signed"));
    EXPECT_EQ((*zones)[1].policy, "nsec");
    EXPECT_EQ((*zones)[1].where->line, 4u);
    EXPECT_EQ((*zones)[2].input, dir_ / "in/c \"quoted\" \\.zone");
}

TEST_F(ZoneAddFrom, NamesEveryWrongLineAtOnceInLineOrder)
{
    const std::string text = line("fine.test") + // 1
        "a.test in/a.zone\n" // 2
        "b.test in/b.zone out/b.signed\n" // 3: no such file
        "c.test \"in/c.zone out/c.signed\n" // 4
        "d.test in/d.zone out/d.signed default extra\n" // 5
        "e.test in/e\"x.zone out/e.signed\n"; // 6
    auto list = read(text);
    EXPECT_EQ(list.problems.size(), 4u);
    EXPECT_EQ(list.zones.size(), 2u);
    const auto before = stored_names();
    auto added = add_zones(*context_, list, t0);
    ASSERT_FALSE(added);
    const std::string error = added.error().to_string();
    const std::vector<std::string> expected {
        "zones.txt:2: 2 fields; a zone's line is: name input output [policy]\n",
        "zones.txt:3: " + (dir_ / "in/b.zone").string() + ": no such file\n",
        "zones.txt:4: a quoted field is not closed\n",
        "zones.txt:5: 5 fields; a zone's line is: name input output [policy]\n",
        "zones.txt:6: a quote inside the field 'in/e\"x.zone'\n",
        "zones.txt: 5 problems; no zone was added",
    };
    size_t at = 0;
    for (const auto& part : expected) {
        size_t found = error.find(part, at);
        EXPECT_NE(found, std::string::npos) << part << " in\n" << error;
        at = found == std::string::npos ? at : found + part.size();
    }
    EXPECT_EQ(error.find("zones.txt:1:"), std::string::npos) << error;
    EXPECT_EQ(stored_names(), before);
}

TEST_F(ZoneAddFrom, AddsAllInOneGoAndTheSameListAgainChangesNothing)
{
    std::string text;
    for (int i = 0; i < 50; ++i)
        text += line(fmt::format("bulk{}.test", i));
    auto added = add_zones(*context_, read(text), t0);
    ASSERT_TRUE(added) << added.error().to_string();
    EXPECT_EQ(added->added.size(), 50u);
    EXPECT_TRUE(added->unchanged.empty());
    auto zone = context_->zone("bulk7.test");
    ASSERT_TRUE(zone) << zone.error().to_string();
    EXPECT_EQ(zone->input, dir_ / "in/bulk7.test.zone");
    EXPECT_EQ(zone->policy, "default");

    text += line("bulk50.test");
    auto again = add_zones(*context_, read(text), t0);
    ASSERT_TRUE(again) << again.error().to_string();
    EXPECT_EQ(again->added, std::vector<std::string> { "bulk50.test." });
    EXPECT_EQ(again->unchanged.size(), 50u);
}

TEST_F(ZoneAddFrom, OneWrongLineAddsNothingAndEachIsNamed)
{
    const auto before = stored_names();
    for (const char* name : { "clash.test", "inside.test", "same.test" })
        line(name);
    const std::string text = line("ok1.test") + // 1
        "missing.test in/missing.zone out/missing.signed\n" + // 2
        line("policy.test", " no-such-policy") + // 3
        line("ok1.test") + // 4
        "clash.test in/clash.test.zone in/ok1.test.zone\n" // 5
        "inside.test in/inside.test.zone state/x.signed\n" // 6
        "same.test in/same.test.zone in/same.test.zone\n" // 7
        "bad..name in/ok1.test.zone out/bad.signed\n"; // 8
    auto added = add_zones(*context_, read(text), t0);
    ASSERT_FALSE(added);
    const std::string error = added.error().to_string();
    EXPECT_EQ(error.find("zones.txt:1:"), std::string::npos) << error;
    EXPECT_NE(error.find("zones.txt:2: " + (dir_ / "in/missing.zone").string() + ": no such file"), std::string::npos)
        << error;
    EXPECT_NE(error.find("zones.txt:3: "), std::string::npos) << error;
    EXPECT_NE(error.find("no-such-policy"), std::string::npos) << error;
    EXPECT_NE(error.find("zones.txt:4: zone 'ok1.test.' is listed twice (first at line 1)"), std::string::npos) << error;
    EXPECT_NE(error.find("zones.txt:5: zone 'clash.test.': the output " + (dir_ / "in/ok1.test.zone").string()
                         + " is the input of zone 'ok1.test.'"),
              std::string::npos)
        << error;
    EXPECT_NE(error.find("zones.txt:6: "), std::string::npos) << error;
    EXPECT_NE(error.find("inside the state directory"), std::string::npos) << error;
    EXPECT_NE(error.find("zones.txt:7: "), std::string::npos) << error;
    EXPECT_NE(error.find("is the input; signing would replace the unsigned zone"), std::string::npos) << error;
    EXPECT_NE(error.find("zones.txt:8: "), std::string::npos) << error;
    EXPECT_NE(error.find("zones.txt: 7 problems; no zone was added"), std::string::npos) << error;
    EXPECT_EQ(stored_names(), before);
}

TEST_F(ZoneAddFrom, AZoneRegisteredWithOtherFilesIsAnErrorAndOneFromTheCommandLineTooWhenTheSame)
{
    auto first = add_zones(*context_, read(line("moved.test")), t0);
    ASSERT_TRUE(first) << first.error().to_string();
    auto moved = add_zones(*context_, read("moved.test in/moved.test.zone out/elsewhere.signed\n"), t0);
    ASSERT_FALSE(moved);
    EXPECT_NE(moved.error().to_string().find("zones.txt:1: zone 'moved.test.' is registered already, with input"),
              std::string::npos)
        << moved.error().to_string();

    ZoneList one; // from the command line: no file, no line
    one.zones.push_back(read(line("moved.test")).zones.front());
    one.zones.front().where.reset();
    auto again = add_zones(*context_, one, t0);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().to_string(), "zone moved.test. exists already");
}

// A Debian-style BIND configuration: options with a relative directory,
// an include, a view, and zones of every kind; comments in BIND's three
// styles.
const char* named_conf = R"(// named.conf
options {
    directory "zones"; # relative to this file's directory
    allow-transfer { none; };
};
include "named.conf.local";
/* a block
   comment */
zone "." { type hint; file "/usr/share/dns/root.hints"; };
view "external" {
    match-clients { any; };
    zone "a.example" IN {
        type primary;
        file "db.a.example";
        allow-transfer { 192.0.2.1; key "xfr"; };
    };
    zone "b.example" {
        type secondary;
        primaries { 192.0.2.2; };
        file "sec/db.b.example";
    };
};
zone "version.bind" chaos { type master; file "db.version"; };
)";

const char* named_conf_local = R"(zone "c.example." {
	type master;
	file "/srv/dns/db.c example";
};
zone "d.example" { type primary; };
)";

TEST_F(ZoneAddFrom, ANamedConfGivesItsPrimaryZonesAndSaysWhatItLeftOut)
{
    const fs::path conf_dir = dir_ / "bind";
    fs::create_directories(conf_dir);
    testing::write_file(conf_dir / "named.conf.local", named_conf_local);
    EXPECT_TRUE(is_named_conf(named_conf));
    EXPECT_TRUE(is_named_conf(named_conf_local));
    auto list = read_named_conf(named_conf, "named.conf", conf_dir, "/srv/signed", "default");
    EXPECT_TRUE(list.problems.empty()) << list.problems.front().to_string();
    ASSERT_EQ(list.zones.size(), 2u);
    EXPECT_EQ(list.zones[0].name, "c.example.");
    EXPECT_EQ(list.zones[0].input, fs::path("/srv/dns/db.c example"));
    EXPECT_EQ(list.zones[0].output, fs::path("/srv/signed/c.example.signed"));
    EXPECT_EQ(list.zones[0].where->file, (conf_dir / "named.conf.local").string());
    EXPECT_EQ(list.zones[0].where->line, 1u);
    EXPECT_EQ(list.zones[1].name, "a.example");
    EXPECT_EQ(list.zones[1].input, conf_dir / "zones/db.a.example");
    EXPECT_EQ(list.zones[1].output, fs::path("/srv/signed/a.example.signed"));
    EXPECT_EQ(list.zones[1].policy, "default");
    EXPECT_EQ(list.zones[1].where->line, 12u);
    const std::vector<std::string> skipped {
        (conf_dir / "named.conf.local").string() + ":5: zone 'd.example': no file",
        "named.conf:9: zone '.': type hint",
        "named.conf:17: zone 'b.example': type secondary",
        "named.conf:23: zone 'version.bind': class chaos",
    };
    EXPECT_EQ(list.skipped, skipped);
}

TEST_F(ZoneAddFrom, AListIsNoNamedConfEvenWithAZoneCalledZone)
{
    EXPECT_FALSE(is_named_conf("zone in/zone.db out/zone.signed\na.test in/a out/b nsec # { not a block\n"));
    EXPECT_FALSE(is_named_conf(""));
}

TEST_F(ZoneAddFrom, ABrokenNamedConfIsNamedWhereItBreaks)
{
    const fs::path conf_dir = dir_ / "broken";
    fs::create_directories(conf_dir);
    auto unclosed = read_named_conf("options { directory \"/x\"; };\nzone \"a.example\" {\n  type primary;\n",
                                    "named.conf", conf_dir, "/srv/signed", "default");
    ASSERT_EQ(unclosed.problems.size(), 1u);
    EXPECT_EQ(unclosed.problems[0].to_string(), "named.conf:2: the block is not closed with '}'");
    auto no_semicolon = read_named_conf("zone \"a.example\" { type primary; file \"a\"; }\nzone \"b\" { };\n",
                                        "named.conf", conf_dir, "/srv/signed", "default");
    ASSERT_EQ(no_semicolon.problems.size(), 1u);
    EXPECT_EQ(no_semicolon.problems[0].to_string(), "named.conf:2: 'zone' where ';' ends the statement");
    auto quote = read_named_conf("zone \"a.example { type primary; };\n", "named.conf", conf_dir, "/srv/signed",
                                 "default");
    ASSERT_EQ(quote.problems.size(), 1u);
    EXPECT_EQ(quote.problems[0].to_string(), "named.conf:1: a quoted string is not closed");
    auto nul = read_named_conf(std::string_view("zone \"a\" {\n\0 };\n", 16), "named.conf", conf_dir, "/srv/signed",
                               "default");
    ASSERT_EQ(nul.problems.size(), 1u);
    EXPECT_EQ(nul.problems[0].to_string(), "named.conf:2: a NUL octet");
    // A string over two lines counts both.
    auto two_lines = read_named_conf("key \"k\" { secret \"a\nb\"; };\nzone \"a.example\" { type primary; file \"a\"; };\n",
                                     "named.conf", conf_dir, "/srv/signed", "default");
    ASSERT_EQ(two_lines.zones.size(), 1u);
    EXPECT_EQ(two_lines.zones[0].where->line, 3u);
    auto missing = read_named_conf("\ninclude \"nowhere.conf\";\nzone \"a.example\" { type primary; file \"a\"; };\n",
                                   "named.conf", conf_dir, "/srv/signed", "default");
    ASSERT_EQ(missing.problems.size(), 1u);
    EXPECT_EQ(missing.problems[0].to_string(),
              "named.conf:2: include " + (conf_dir / "nowhere.conf").string() + ": no such file");
    EXPECT_EQ(missing.zones.size(), 1u);
    testing::write_file(conf_dir / "self.conf", "include \"self.conf\";\n");
    auto loop = read_named_conf("include \"self.conf\";\n", "named.conf", conf_dir, "/srv/signed", "default");
    ASSERT_EQ(loop.problems.size(), 1u);
    EXPECT_EQ(loop.problems[0].to_string(),
              (conf_dir / "self.conf").string() + ":1: " + (conf_dir / "self.conf").string() + " is included twice");
    auto escape = read_named_conf("zone \"../../etc\" { type primary; file \"a\"; };\n", "named.conf", conf_dir,
                                  "/srv/signed", "default");
    ASSERT_EQ(escape.problems.size(), 1u);
    EXPECT_EQ(escape.problems[0].to_string(), "named.conf:1: zone '../../etc': no output file can be named after it");
}

TEST_F(ZoneAddFrom, TheZonesOfANamedConfAreAddedLikeAList)
{
    const fs::path conf_dir = dir_ / "bind-add";
    fs::create_directories(conf_dir / "zones");
    for (const char* name : { "p1.example", "p2.example" })
        testing::write_file(conf_dir / "zones" / (std::string("db.") + name), "@ SOA ns1 hostmaster 1 3600 600 86400 300\n");
    auto list = read_named_conf(
        "options { directory \"zones\"; };\n"
        "zone \"p1.example\" { type primary; file \"db.p1.example\"; };\n"
        "zone \"p2.example\" { type master; file \"db.p2.example\"; };\n",
        "named.conf", conf_dir, dir_ / "signed", "default");
    auto added = add_zones(*context_, list, t0);
    ASSERT_TRUE(added) << added.error().to_string();
    EXPECT_EQ(added->added, (std::vector<std::string> { "p1.example.", "p2.example." }));
    auto zone = context_->zone("p2.example");
    ASSERT_TRUE(zone) << zone.error().to_string();
    EXPECT_EQ(zone->input, conf_dir / "zones/db.p2.example");
    EXPECT_EQ(zone->output, dir_ / "signed/p2.example.signed");
}

} // namespace
} // namespace signet::app::zones_test
