#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include <signet/app/hooks.h>

#include "../fixtures/temp_dir.h"

namespace signet::app::hooks_test {
namespace {

Command command(std::string_view text)
{
    auto parsed = parse_command(text);
    EXPECT_TRUE(parsed) << text;
    return parsed.value_or(Command {});
}

TEST(CheckZoneName, TakesPlainNamesAndRefusesOthersUnlessAllowed)
{
    Config config;
    config.path = "/var/lib/signet/signet.toml";
    for (std::string_view name : { "example.nl", "example.nl.", "_tcp.xn--bcher-kva.example.", "a-b_c.0.", "." })
        EXPECT_TRUE(check_zone_name(config, name)) << name;
    for (std::string_view name : { "e|id>x.example.", "b`id>pwned`.example.", "a\\032b.example.", "a\\.b.example.",
                                   "*.example." }) {
        auto checked = check_zone_name(config, name);
        ASSERT_FALSE(checked) << name;
        EXPECT_EQ(checked.error().code(), ErrorCode::Config);
    }
    EXPECT_EQ(check_zone_name(config, "x|y.example").error().to_string(),
              "zone name 'x|y.example.' has characters outside letters, digits, '-', '_' and '.'; set "
              "allow-any-characters = true in the [zones] table of /var/lib/signet/signet.toml to allow them");
    // Control characters are shown escaped.
    EXPECT_NE(check_zone_name(config, "a\\010b.").error().message().find("'a\\010b.'"), std::string::npos);

    config.zones.allow_any_characters = true;
    EXPECT_TRUE(check_zone_name(config, "e|id>x.example."));
}

TEST(Hooks, TextShowsTheArgumentsQuotedForAShell)
{
    EXPECT_EQ(hook_text(command("rndc reload {zone}"), "example.nl."), "rndc reload example.nl.");
    EXPECT_EQ(hook_text(command("/usr/bin/notify --zone={zone}"), "e|id>x.example."),
              "/usr/bin/notify '--zone=e|id>x.example.'");
}

using HookRun = signet::testing::TempDirTest;

TEST_F(HookRun, GivesTheZoneAsOneArgumentInTheEnvironmentAndTheInputOnStdin)
{
    const std::string zone = "b`id>pwned`;x|y.example.";
    auto out = (dir_ / "out").string();
    auto hook = command(fmt::format("{} record {} {{zone}}", SIGNET_TEST_CHILD, out));
    EXPECT_EQ(run_zone_hook("the notify command", hook, zone, std::chrono::seconds(30), "records\n"), std::nullopt);
    EXPECT_EQ(read(out), "1|" + zone + "|" + zone + "/records\n");
    EXPECT_FALSE(std::filesystem::exists(dir_ / "pwned"));
}

TEST_F(HookRun, AFailureNamesTheCommandQuoted)
{
    EXPECT_EQ(run_zone_hook("the notify command", command("false {zone}"), "a|b.", std::chrono::seconds(30)),
              "the notify command `false 'a|b.'` failed (exit status 1)");
    auto missing = run_zone_hook("ds-submit-command", command("signet-no-such-hook {zone}"), "a b.",
                                 std::chrono::seconds(30));
    ASSERT_TRUE(missing);
    EXPECT_EQ(*missing, "ds-submit-command `signet-no-such-hook 'a b.'` did not run: cannot run "
                        "signet-no-such-hook: No such file or directory");
    EXPECT_EQ(run_zone_hook("the notify command", command("sleep 30"), "a.", std::chrono::seconds(1)),
              "the notify command `sleep 30` failed (stopped after 1 s, the time it may take)");
}

} // namespace
} // namespace signet::app::hooks_test
