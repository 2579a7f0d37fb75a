// Running the operator's hooks without a shell. Signet runs as root and puts
// zone names into hook command lines; a shell would read a zone called
// "a|id.example." as a pipe. So a command is split into words once, when the
// configuration is read, with the quoting a POSIX shell understands but
// nothing else of the shell: no variables, no globbing, no pipes or
// redirections. Values such as the zone name are put into words after the
// split, and each word stays exactly one argument of execvp().
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <signet/base/error.h>

namespace signet {

// A command line as the configuration holds it.
struct Command {
    // words[0] is the program, looked up in $PATH when it has no slash.
    // Empty: no command is configured.
    std::vector<std::string> words;
    // What the operator wrote, kept for writing the configuration back.
    std::string text;

    bool empty() const { return words.empty(); }
    bool operator==(const Command&) const = default;
};

// Splits `text` into words:
//   - blanks (space, tab, newline) outside quotes separate words;
//   - '...' keeps everything inside as it is;
//   - "..." keeps everything inside, except that a backslash before one of
//     $ ` " and backslash stands for that character, and one before a
//     newline removes both;
//   - outside quotes, a backslash stands for the next character (a
//     backslash-newline is removed).
// Every other character, $ ` | ; & < > ( ) * ? [ ] # ~ included, is a plain
// character of its word. Text of blanks only is no command. An unclosed
// quote, a final backslash, a NUL byte or an empty program name is an error
// (ErrorCode::Config) whose message names the character of `text` at fault;
// the caller adds the file and line.
Result<Command> parse_command(std::string_view text);

// The words with every `placeholder` inside any of them replaced by `value`.
// One word stays one argument whatever `value` holds.
std::vector<std::string> substitute(std::span<const std::string> words, std::string_view placeholder,
                                    std::string_view value);

// `word` as a POSIX shell reads it back as one word, byte for byte: as it is
// when it holds only characters no shell treats specially, else in single
// quotes. For messages that show a command the operator may paste.
std::string shell_quote(std::string_view word);
// The words quoted as shell_quote does, separated by spaces.
std::string shell_join(std::span<const std::string> words);

struct ProcessOptions {
    // Written to the child's stdin, which is then closed; nullopt: the child
    // shares our stdin. A child that exits without reading all of it is not
    // an error in itself: its exit status says how it went.
    std::optional<std::string_view> input;
    // Set in the child's environment on top of ours (replacing a variable of
    // the same name).
    std::vector<std::pair<std::string, std::string>> environment;
    // The child's stdout and stderr both go to this file (made, or emptied,
    // mode 0600 when new; never through a symbolic link); nullopt: ours.
    std::optional<std::filesystem::path> output;
    // How long the child may take, writing its stdin included. Past it the
    // child and everything it started (its own process group) get SIGTERM,
    // and SIGKILL `kill_grace` later. nullopt: wait as long as it takes.
    std::optional<std::chrono::milliseconds> timeout;
    std::chrono::milliseconds kill_grace { 2000 };
};

struct ExitStatus {
    int code = 0; // the exit status when it exited
    int signal = 0; // the signal that ended it, 0 when it exited
    std::optional<std::chrono::milliseconds> timed_out; // ended by us after this long

    bool success() const { return signal == 0 && code == 0 && !timed_out; }
    // "exit status 3", "killed by signal 9 (Killed)" or "stopped after 300 s,
    // the time it may take".
    std::string to_string() const;
};

// Starts argv[0] with these arguments (no shell), with our stdout and stderr,
// and waits for it. An error means it could not be started (no such program,
// not executable) or not be waited for; how it ended is the ExitStatus.
Result<ExitStatus> run_process(std::span<const std::string> argv, const ProcessOptions& options = {});

} // namespace signet
