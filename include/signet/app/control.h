// The control socket: how a writing `signet` command reaches the signetd
// that owns the state dir. The daemon holds the state lock for as long as it
// runs, so a command that changes anything is not run by the client: it
// sends its command line, working directory and stdin/stdout/stderr (as
// descriptors, SCM_RIGHTS) over the socket, and signetd runs `signet` with
// them, between two of its own signings, as a child that inherits the lock.
// The client's terminal sees the same output as without a daemon, and its
// exit status is the child's.
//
// The request is one JSON object, ended by the client's shutdown of its
// writing side; the answer is one JSON object, {"status": N} or
// {"status": 1, "error": "..."}, ended by the daemon's close.
#pragma once

#include <sys/types.h>

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <signet/base/error.h>
#include <signet/base/unique_fd.h>

namespace signet::app {

// The largest request a daemon reads: a command line, not a zone.
inline constexpr size_t max_control_request = 64 * 1024;

struct ControlRequest {
    std::vector<std::string> args; // after the program name
    std::string cwd; // the client's working directory, absolute
    std::optional<std::string> now; // the client's $SIGNET_NOW

    bool operator==(const ControlRequest&) const = default;
};

std::string control_request_text(const ControlRequest& request);
Result<ControlRequest> parse_control_request(std::string_view text);

// The client's side. Runs `request` in the daemon listening at `socket`,
// with our stdin, stdout and stderr, and returns its exit status; nullopt
// when no daemon listens there (no socket, or one a killed daemon left).
Result<std::optional<int>> run_in_daemon(const std::filesystem::path& socket, const ControlRequest& request);

// Whether a daemon accepts connections at `socket` now.
bool daemon_listening(const std::filesystem::path& socket);

// The daemon's side: the listening socket, made afresh (a file left at the
// path by a killed daemon is removed: the caller holds the state lock), mode
// 0600, or 0660 with group `group` when one is named. Non-blocking.
Result<UniqueFd> listen_control(const std::filesystem::path& socket, const std::string& group);

// A request as it arrives: its text so far and the descriptors that came
// with it.
struct ControlReceiver {
    std::string text;
    std::vector<UniqueFd> fds;
    bool complete = false; // the client shut its side down

    // Reads what the non-blocking `fd` has now. An error when the client
    // sends more than max_control_request, or more than three descriptors.
    Result<void> receive(int fd);
};

// Starts `program` (signet) for a request: args as sent, in the client's
// directory, stdio the client's three descriptors, the state lock passed on
// as SIGNET_LOCK_FD, SIGNET_STATE set to `state_dir`, SIGNET_DAEMON_CONFIG
// to the daemon's configuration file (the command uses it, and refuses a
// --config of the client's: the hooks it names run as the daemon's user),
// and SIGNET_NOW to the client's (or unset).
Result<pid_t> start_command(const std::filesystem::path& program, const ControlRequest& request,
                            const std::array<int, 3>& stdio, int lock_fd, const std::filesystem::path& state_dir,
                            const std::filesystem::path& config_file);

// The answer for a child that ended with `wait_status` (from waitpid).
std::string control_answer_text(int wait_status);
// An answer for a request that was not run.
std::string control_refusal_text(std::string_view why);

} // namespace signet::app
