#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include <signet/base/process.h>

#include "../fixtures/temp_dir.h"

namespace signet::process_test {
namespace {

using Words = std::vector<std::string>;

Words split(std::string_view text)
{
    auto command = parse_command(text);
    EXPECT_TRUE(command) << text << ": " << command.error().to_string();
    return command ? command->words : Words {};
}

std::string split_error(std::string_view text)
{
    auto command = parse_command(text);
    EXPECT_FALSE(command) << text;
    return command ? "" : command.error().to_string();
}

TEST(ParseCommand, SplitsAtBlanksOutsideQuotes)
{
    EXPECT_EQ(split("rndc reload {zone}"), (Words { "rndc", "reload", "{zone}" }));
    EXPECT_EQ(split("  a\t b\nc  "), (Words { "a", "b", "c" }));
    EXPECT_EQ(split("'a b' \"c d\" e\\ f"), (Words { "a b", "c d", "e f" }));
    EXPECT_EQ(split("a'b'\"c\"d"), (Words { "abcd" }));
    EXPECT_EQ(split("x '' \"\""), (Words { "x", "", "" }));
}

TEST(ParseCommand, KeepsWhatTheOperatorWrote)
{
    auto command = parse_command(" notify  'a b' ");
    ASSERT_TRUE(command);
    EXPECT_EQ(command->text, " notify  'a b' ");
    EXPECT_FALSE(command->empty());
}

TEST(ParseCommand, BlankTextIsNoCommand)
{
    for (std::string_view text : { "", " ", "\t\n " }) {
        auto command = parse_command(text);
        ASSERT_TRUE(command);
        EXPECT_TRUE(command->empty()) << text;
    }
}

TEST(ParseCommand, ShellMetacharactersAreJustCharacters)
{
    EXPECT_EQ(split("echo $HOME `id` $(id) a|b c;d e&f <g >h *.x ~ #c"),
              (Words { "echo", "$HOME", "`id`", "$(id)", "a|b", "c;d", "e&f", "<g", ">h", "*.x", "~", "#c" }));
}

TEST(ParseCommand, BackslashesAsInAPosixShell)
{
    // Inside single quotes: nothing is special.
    EXPECT_EQ(split(R"(a 'x\y\')"), (Words { "a", "x\\y\\" }));
    // Inside double quotes: only before $ ` " \ and newline.
    EXPECT_EQ(split(R"(a "\$ \` \" \\ \n \a")"), (Words { "a", "$ ` \" \\ \\n \\a" }));
    EXPECT_EQ(split("a \"x\\\ny\""), (Words { "a", "xy" }));
    // Outside quotes: before anything; a backslash-newline joins.
    EXPECT_EQ(split(R"(a \'b \"c \\d \$e)"), (Words { "a", "'b", "\"c", "\\d", "$e" }));
    EXPECT_EQ(split("a b\\\nc"), (Words { "a", "bc" }));
}

TEST(ParseCommand, UnclosedQuotesAndOtherMistakesAreErrors)
{
    EXPECT_EQ(split_error("notify 'a b"), "a single quote that is not closed at character 8");
    EXPECT_EQ(split_error("notify \"a b"), "a double quote that is not closed at character 8");
    EXPECT_EQ(split_error("notify \"a \\\""), "a double quote that is not closed at character 8");
    EXPECT_EQ(split_error("notify a\\"), "a backslash with nothing after it at character 9");
    EXPECT_EQ(split_error("'' x"), "the program name is empty");
    EXPECT_EQ(split_error(std::string_view("a \0b", 4)), "a NUL byte at character 3");
    EXPECT_EQ(parse_command("x 'y").error().code(), ErrorCode::Config);
}

TEST(Substitute, ReplacesInsideWordsAndKeepsOneArgumentPerWord)
{
    Words words { "hook", "{zone}", "--file=/var/{zone}.db", "{zone}{zone}", "zone" };
    EXPECT_EQ(substitute(words, "{zone}", "a b;c.example."),
              (Words { "hook", "a b;c.example.", "--file=/var/a b;c.example..db", "a b;c.example.a b;c.example.",
                       "zone" }));
    EXPECT_EQ(substitute(words, "{zone}", ""), (Words { "hook", "", "--file=/var/.db", "", "zone" }));
    // A value holding the placeholder is not replaced again.
    EXPECT_EQ(substitute(Words { "{zone}" }, "{zone}", "{zone}{zone}"), (Words { "{zone}{zone}" }));
}

TEST(ShellQuote, QuotesOnlyWhatNeedsIt)
{
    EXPECT_EQ(shell_quote("example.nl."), "example.nl.");
    EXPECT_EQ(shell_quote("/usr/bin/rndc"), "/usr/bin/rndc");
    EXPECT_EQ(shell_quote(""), "''");
    EXPECT_EQ(shell_quote("a b"), "'a b'");
    EXPECT_EQ(shell_quote("b`id>pwned`.example."), "'b`id>pwned`.example.'");
    EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
    EXPECT_EQ(shell_quote("~root"), "'~root'");
    EXPECT_EQ(shell_join(Words { "rndc", "reload", "e|id>x.example." }), "rndc reload 'e|id>x.example.'");
}

TEST(ShellQuote, SplittingTheQuotedTextGivesTheWordsBack)
{
    Words words { "sh", "-c", "echo \"$1\" > /dev/null", "it's", "", "a\\b", "\"q\"", "$(id)", "x\ny", "\t" };
    EXPECT_EQ(split(shell_join(words)), words);
}

class RunProcess : public signet::testing::TempDirTest {
protected:
    ExitStatus run(const Words& argv, const ProcessOptions& options = {})
    {
        auto status = run_process(argv, options);
        EXPECT_TRUE(status) << status.error().to_string();
        return status.value_or(ExitStatus { -1, 0 });
    }

};

TEST_F(RunProcess, AZoneNameWithShellMetacharactersIsOneArgumentByteForByte)
{
    auto out = (dir_ / "args").string();
    // Every way a shell could be made to run `touch DIR/pwned`.
    std::string pwned = (dir_ / "pwned").string();
    std::string zone = fmt::format("b`touch {0}`$(touch {0});touch {0}|touch {0}&& touch {0}>{0}'\"\\ *\n.example.",
                                   pwned);
    auto command = parse_command(fmt::format("{} record {} {{zone}} x{{zone}}y", SIGNET_TEST_CHILD, out));
    ASSERT_TRUE(command);
    auto status = run(substitute(command->words, "{zone}", zone));
    EXPECT_TRUE(status.success()) << status.to_string();
    EXPECT_EQ(read(out), fmt::format("2|{0}|x{0}y|/", zone));
    EXPECT_FALSE(std::filesystem::exists(pwned));
}

TEST_F(RunProcess, AddsVariablesToTheEnvironment)
{
    auto out = (dir_ / "env").string();
    ::setenv("SIGNET_PROCESS_TEST", "ours", 1);
    ::setenv("SIGNET_ZONE", "stale", 1);
    ProcessOptions options;
    options.environment = { { "SIGNET_ZONE", "a;b.example." } };
    auto status = run({ SIGNET_TEST_CHILD, "env", out, "SIGNET_ZONE", "SIGNET_PROCESS_TEST" }, options);
    EXPECT_TRUE(status.success());
    EXPECT_EQ(read(out), "a;b.example./ours");
    ::unsetenv("SIGNET_PROCESS_TEST");
    ::unsetenv("SIGNET_ZONE");
}

TEST_F(RunProcess, OutputGoesToTheNamedFileBothStreamsAndNoLinkFollowed)
{
    ProcessOptions options;
    options.output = dir_ / "log";
    std::ofstream(*options.output) << "an older, longer log to be replaced";
    EXPECT_TRUE(run({ SIGNET_TEST_CHILD, "say", "out;$(id)|", "err" }, options).success());
    EXPECT_EQ(read(options.output->string()), "out;$(id)|err");
    // A link planted where the log goes is not followed: the child cannot
    // start its output, and nothing is written through the link.
    std::filesystem::create_symlink(dir_ / "target", dir_ / "link");
    options.output = dir_ / "link";
    auto status = run_process(Words { SIGNET_TEST_CHILD, "say", "x", "y" }, options);
    EXPECT_TRUE(!status || !status->success());
    EXPECT_FALSE(std::filesystem::exists(dir_ / "target"));
}

TEST_F(RunProcess, DeliversInputOnStdin)
{
    auto out = (dir_ / "stdin").string();
    std::string input = "example. 3600 IN DS 1 13 2 AB\n";
    for (int i = 0; i < 20000; ++i) // beyond a pipe's buffer
        input += fmt::format("line {}\n", i);
    ProcessOptions options;
    options.input = input;
    auto status = run({ SIGNET_TEST_CHILD, "record", out }, options);
    EXPECT_TRUE(status.success());
    EXPECT_EQ(read(out), "0|/" + input);
}

TEST_F(RunProcess, AChildThatDoesNotReadItsInputDoesNotHurtUs)
{
    std::string input(4 << 20, 'x'); // far more than a pipe holds
    ProcessOptions options;
    options.input = input;
    auto status = run({ SIGNET_TEST_CHILD, "exit", "4" }, options);
    EXPECT_EQ(status.code, 4);
    EXPECT_FALSE(status.success());
    // Still here, and a later pipe write works as before.
    EXPECT_TRUE(run({ "true" }, options).success());
}

TEST_F(RunProcess, ReportsHowTheChildEnded)
{
    EXPECT_TRUE(run({ "true" }).success());
    auto failed = run({ "false" });
    EXPECT_EQ(failed.code, 1);
    EXPECT_EQ(failed.to_string(), "exit status 1");
    auto killed = run({ SIGNET_TEST_CHILD, "signal", "9" });
    EXPECT_EQ(killed.signal, 9);
    EXPECT_FALSE(killed.success());
    EXPECT_EQ(killed.to_string().rfind("killed by signal 9", 0), 0u) << killed.to_string();
}

TEST_F(RunProcess, AChildPastItsTimeIsStoppedWithWhatItStarted)
{
    // The hook starts a grandchild that would outlive it and write a file;
    // both are stopped, the grandchild with the hook's process group.
    auto late = dir_ / "late";
    ProcessOptions options;
    options.timeout = std::chrono::milliseconds(300);
    auto started = std::chrono::steady_clock::now();
    auto status = run({ SIGNET_TEST_CHILD, "outlive", late.string() }, options);
    auto took = std::chrono::steady_clock::now() - started;
    EXPECT_FALSE(status.success());
    ASSERT_TRUE(status.timed_out);
    EXPECT_EQ(status.to_string(), "stopped after 1 s, the time it may take");
    EXPECT_LT(took, std::chrono::seconds(10));
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    EXPECT_FALSE(std::filesystem::exists(late));
}

TEST_F(RunProcess, AChildThatIgnoresTermIsKilledAfterTheGrace)
{
    ProcessOptions options;
    options.timeout = std::chrono::milliseconds(200);
    options.kill_grace = std::chrono::milliseconds(200);
    auto status = run({ SIGNET_TEST_CHILD, "ignore-term" }, options);
    EXPECT_TRUE(status.timed_out);
    EXPECT_EQ(status.signal, SIGKILL);
}

TEST_F(RunProcess, ATimeOutAlsoBoundsWritingTheInput)
{
    // A child that neither reads its stdin nor exits: writing 4 MiB would
    // block for ever without the deadline.
    std::string input(4 << 20, 'x');
    ProcessOptions options;
    options.input = input;
    options.timeout = std::chrono::milliseconds(300);
    auto status = run({ "sleep", "30" }, options);
    EXPECT_TRUE(status.timed_out);
    EXPECT_EQ(status.signal, SIGTERM);
}

TEST_F(RunProcess, AChildWithinItsTimeEndsAsUsual)
{
    ProcessOptions options;
    options.timeout = std::chrono::seconds(30);
    options.input = "x";
    auto status = run({ SIGNET_TEST_CHILD, "drain-exit", "3" }, options);
    EXPECT_EQ(status.code, 3);
    EXPECT_FALSE(status.timed_out);
}

TEST_F(RunProcess, AMissingProgramIsAnError)
{
    auto status = run_process(Words { "signet-no-such-program-x", "a" });
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().to_string(), "cannot run signet-no-such-program-x: No such file or directory");
    auto path = run_process(Words { (dir_ / "missing").string() });
    ASSERT_FALSE(path);
    EXPECT_NE(path.error().message().find("No such file"), std::string::npos);
    // A file that is not executable.
    std::ofstream(dir_ / "plain") << "#!/bin/sh\n";
    auto plain = run_process(Words { (dir_ / "plain").string() });
    ASSERT_FALSE(plain);
    EXPECT_NE(plain.error().message().find("Permission denied"), std::string::npos) << plain.error().to_string();
    EXPECT_FALSE(run_process(Words {}));
}

} // namespace
} // namespace signet::process_test
