#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include <fmt/format.h>

#include <signet/app/config.h>
#include <signet/app/manual.h>

namespace signet::app::manual_test {
namespace {

// A key's entry in signet.toml(5), as config_manual writes its tag line.
std::string entry(std::string_view key, std::string_view default_value)
{
    return fmt::format(".TP\n\\fB{}\\fR = {}\n", roff_text(key), roff_text(default_value));
}

// The part of the page under the heading of `table`, up to the next one.
std::string table_part(const std::string& page, std::string_view table)
{
    std::string heading = fmt::format(".SH \"[{}]\"\n", table);
    size_t from = page.find(heading);
    if (from == std::string::npos)
        return {};
    size_t to = page.find("\n.SH ", from + heading.size());
    return page.substr(from, to == std::string::npos ? std::string::npos : to - from);
}

// A one-key configuration: `key = value` in `table`.
std::string one_key(std::string_view table, std::string_view key, std::string_view value)
{
    std::string_view name = table == "policy.NAME" ? "policy.p"
        : table == "tsig.NAME"                     ? "tsig.k"
        : table == "remote.NAME"                   ? "remote.r"
                                                   : table;
    std::string text = fmt::format("[{}]\n{} = {}\n", name, key, value);
    // A remote's address has no default: it is given beside its other keys.
    if (table == "remote.NAME" && key != "address")
        text += "address = \"192.0.2.1\"\n";
    return text;
}

// Every key the readers take is in the page, under its table, with its
// default; and that default is a value the reader takes.
TEST(ConfigManual, EveryAcceptedKeyIsDescribedWithItsDefault)
{
    const std::string page = config_manual();
    const auto docs = config_key_docs();
    ASSERT_GT(docs.size(), 50u);
    std::set<std::string> tables;
    for (const auto& key : docs) {
        tables.insert(key.table);
        SCOPED_TRACE(fmt::format("[{}] {}", key.table, key.name));
        EXPECT_NE(table_part(page, key.table).find(entry(key.name, key.default_value)), std::string::npos);
        if (key.table == "remote.NAME" && key.name == "address")
            continue; // required: the page says so, and an empty one is refused
        auto config = parse_config(one_key(key.table, key.name, key.default_value), "signet.toml", "/var/lib/signet");
        EXPECT_TRUE(config) << config.error().to_string();
    }
    EXPECT_EQ(tables, (std::set<std::string> { "hsm", "zones", "daemon", "health", "tsig.NAME", "remote.NAME",
                                               "policy.NAME" }));
}

// The readers go through the same tables: a key they do not hold is
// refused in every table, so no key is accepted that the page leaves out.
TEST(ConfigManual, AKeyOutsideTheTablesIsRefusedInEveryTable)
{
    for (std::string_view table : { "hsm", "zones", "daemon", "health", "tsig.NAME", "remote.NAME", "policy.NAME" }) {
        auto config = parse_config(one_key(table, "not-a-key", "1"), "signet.toml", "/var/lib/signet");
        ASSERT_FALSE(config) << table;
        EXPECT_NE(config.error().to_string().find("unknown key 'not-a-key'"), std::string::npos)
            << config.error().to_string();
    }
}

// What `signet init` writes is described too: every key line of the default
// configuration, under the table it is in.
TEST(ConfigManual, WhatInitWritesIsDescribed)
{
    const std::string page = config_manual();
    std::istringstream lines(default_config_text());
    std::string line, table;
    size_t keys = 0;
    while (std::getline(lines, line)) {
        if (line.starts_with('[')) {
            table = line.substr(1, line.find(']') - 1);
            if (table.starts_with("policy."))
                table = "policy.NAME";
            continue;
        }
        size_t equals = line.find(" = ");
        if (line.empty() || line.starts_with('#') || equals == std::string::npos)
            continue;
        std::string key = line.substr(0, equals);
        if (table == "hsm.environment")
            key = "environment", table = "hsm";
        SCOPED_TRACE(fmt::format("[{}] {}", table, key));
        EXPECT_NE(table_part(page, table).find(fmt::format("\\fB{}\\fR = ", roff_text(key))), std::string::npos);
        ++keys;
    }
    EXPECT_GT(keys, 40u);
}

// Each key names its counterpart in BIND, Knot and OpenDNSSEC, or "none".
TEST(ConfigManual, EveryKeyNamesItsCounterparts)
{
    const std::string page = config_manual();
    for (const auto& key : config_key_docs()) {
        SCOPED_TRACE(key.name);
        EXPECT_FALSE(key.counterparts.bind.empty());
        EXPECT_FALSE(key.counterparts.knot.empty());
        EXPECT_FALSE(key.counterparts.opendnssec.empty());
        EXPECT_FALSE(key.description.empty());
        std::string line = fmt::format(".br\nBIND: {}; Knot: {}; OpenDNSSEC: {}\n", roff_text(key.counterparts.bind),
                                       roff_text(key.counterparts.knot), roff_text(key.counterparts.opendnssec));
        EXPECT_NE(page.find(entry(key.name, key.default_value)), std::string::npos);
        EXPECT_NE(page.find(line), std::string::npos);
    }
}

TEST(ManualText, RoffSpecialsAreEscaped)
{
    EXPECT_EQ(roff_text("--state DIR"), "\\-\\-state DIR");
    EXPECT_EQ(roff_text("a\\b"), "a\\eb");
    EXPECT_EQ(roff_text(".x\n'y"), "\\&.x\n\\&'y");
}

} // namespace
} // namespace signet::app::manual_test
