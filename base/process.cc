#include <signet/base/process.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <thread>

#include <fmt/format.h>

extern char** environ;

namespace signet {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n'; }

std::string errno_text(int error) { return std::error_code(error, std::generic_category()).message(); }

// Where a message about `text` points: 1-based, as an editor counts.
std::unexpected<Error> command_error(std::string message, size_t offset)
{
    return fail(ErrorCode::Config, fmt::format("{} at character {}", message, offset + 1));
}

// A pipe's file descriptor, closed when it goes out of scope.
class Fd {
public:
    explicit Fd(int fd = -1)
        : fd_(fd)
    {
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { close(); }

    int get() const { return fd_; }
    void reset(int fd)
    {
        close();
        fd_ = fd;
    }
    void close()
    {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_;
};

// posix_spawn's attribute and file-action objects, destroyed with this.
struct SpawnSetup {
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t actions;

    SpawnSetup()
    {
        posix_spawnattr_init(&attr);
        posix_spawn_file_actions_init(&actions);
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;
    ~SpawnSetup()
    {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
    }
};

using Steady = std::chrono::steady_clock;

// Milliseconds left until `deadline` (at least 0), -1 for no deadline, as
// poll() takes them.
int poll_wait(std::optional<Steady::time_point> deadline)
{
    if (!deadline)
        return -1;
    auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Steady::now()).count();
    return static_cast<int>(std::clamp<int64_t>(left, 0, 60'000));
}

// Writes all of `data` to `fd` (non-blocking) until `deadline`. A reader
// that has gone away (EPIPE) ends the writing without an error; SIGPIPE is
// held back in this thread meanwhile (and a SIGPIPE our write raised is
// taken off again), so a hook that does not read its stdin cannot kill the
// signer. Past the deadline the rest is not written, also without an error:
// the wait that follows reports the time-out.
Result<void> write_all_to_pipe(int fd, std::string_view data, std::optional<Steady::time_point> deadline)
{
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    sigset_t before;
    pthread_sigmask(SIG_BLOCK, &pipe_only, &before);
    sigset_t pending;
    sigpending(&pending);
    const bool was_pending = sigismember(&pending, SIGPIPE) == 1;

    int error = 0;
    bool broken = false;
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                if (deadline && Steady::now() >= *deadline)
                    break;
                pollfd writable { fd, POLLOUT, 0 };
                if (::poll(&writable, 1, poll_wait(deadline)) < 0 && errno != EINTR) {
                    error = errno;
                    break;
                }
                continue;
            }
            if (errno == EPIPE)
                broken = true;
            else
                error = errno;
            break;
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    if (broken && !was_pending) {
        const timespec no_wait {};
        while (sigtimedwait(&pipe_only, nullptr, &no_wait) < 0 && errno == EINTR) {
        }
    }
    pthread_sigmask(SIG_SETMASK, &before, nullptr);
    if (error != 0)
        return fail(ErrorCode::Io, fmt::format("cannot write to its stdin: {}", errno_text(error)));
    return {};
}

ExitStatus exit_status(int status)
{
    ExitStatus out;
    if (WIFEXITED(status))
        out.code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        out.signal = WTERMSIG(status);
    return out;
}

// waitpid() without WNOHANG, or with it until `deadline`: nullopt when the
// child is still running then.
Result<std::optional<ExitStatus>> wait_until(pid_t pid, std::optional<Steady::time_point> deadline)
{
    auto pause = std::chrono::milliseconds(1);
    for (;;) {
        int status = 0;
        pid_t got = ::waitpid(pid, &status, deadline ? WNOHANG : 0);
        if (got == pid)
            return exit_status(status);
        if (got < 0 && errno != EINTR)
            return fail(ErrorCode::Io, fmt::format("cannot wait for process {}: {}", pid, errno_text(errno)));
        if (got == 0) {
            auto now = Steady::now();
            if (now >= *deadline)
                return std::optional<ExitStatus>();
            std::this_thread::sleep_for(std::min<Steady::duration>(pause, *deadline - now));
            pause = std::min(pause * 2, std::chrono::milliseconds(50));
        }
    }
}

// Waits for the child; past `deadline` ends its process group, politely
// first.
Result<ExitStatus> wait_for(pid_t pid, std::optional<Steady::time_point> deadline, const ProcessOptions& options)
{
    auto ended = SIGNET_TRY(wait_until(pid, deadline));
    if (ended)
        return *ended;
    ::kill(-pid, SIGTERM);
    ended = SIGNET_TRY(wait_until(pid, Steady::now() + options.kill_grace));
    if (!ended) {
        ::kill(-pid, SIGKILL);
        ended = SIGNET_TRY(wait_until(pid, std::nullopt));
    }
    ended->timed_out = options.timeout;
    return *ended;
}

} // namespace

Result<Command> parse_command(std::string_view text)
{
    Command command;
    command.text = std::string(text);
    std::string word;
    bool in_word = false; // also true for a word that is only quotes: '' is an empty word
    size_t i = 0;
    while (i < text.size()) {
        char c = text[i];
        if (c == '\0')
            return command_error("a NUL byte", i);
        if (is_blank(c)) {
            if (in_word)
                command.words.push_back(std::move(word));
            word.clear();
            in_word = false;
            ++i;
        } else if (c == '\'') {
            size_t close = text.find('\'', i + 1);
            if (close == std::string_view::npos)
                return command_error("a single quote that is not closed", i);
            std::string_view inside = text.substr(i + 1, close - i - 1);
            if (size_t nul = inside.find('\0'); nul != std::string_view::npos)
                return command_error("a NUL byte", i + 1 + nul);
            word += inside;
            in_word = true;
            i = close + 1;
        } else if (c == '"') {
            const size_t open = i++;
            in_word = true;
            for (;;) {
                if (i >= text.size())
                    return command_error("a double quote that is not closed", open);
                char d = text[i];
                if (d == '"') {
                    ++i;
                    break;
                }
                if (d == '\0')
                    return command_error("a NUL byte", i);
                // Inside double quotes a POSIX shell gives the backslash a
                // meaning only before these; elsewhere it is itself.
                if (d == '\\' && i + 1 < text.size()) {
                    char next = text[i + 1];
                    if (next == '$' || next == '`' || next == '"' || next == '\\') {
                        word += next;
                        i += 2;
                        continue;
                    }
                    if (next == '\n') {
                        i += 2;
                        continue;
                    }
                }
                word += d;
                ++i;
            }
        } else if (c == '\\') {
            if (i + 1 >= text.size())
                return command_error("a backslash with nothing after it", i);
            char next = text[i + 1];
            if (next == '\0')
                return command_error("a NUL byte", i + 1);
            if (next != '\n') {
                word += next;
                in_word = true;
            }
            i += 2;
        } else {
            word += c;
            in_word = true;
            ++i;
        }
    }
    if (in_word)
        command.words.push_back(std::move(word));
    if (!command.words.empty() && command.words.front().empty())
        return fail(ErrorCode::Config, "the program name is empty");
    return command;
}

std::vector<std::string> substitute(std::span<const std::string> words, std::string_view placeholder,
                                    std::string_view value)
{
    std::vector<std::string> out;
    out.reserve(words.size());
    for (const auto& word : words) {
        std::string result;
        size_t from = 0;
        for (size_t at; !placeholder.empty() && (at = word.find(placeholder, from)) != std::string::npos;) {
            result.append(word, from, at - from);
            result += value;
            from = at + placeholder.size();
        }
        result.append(word, from);
        out.push_back(std::move(result));
    }
    return out;
}

std::string shell_quote(std::string_view word)
{
    // Characters that mean nothing to a shell anywhere in a word; '=' and
    // '~' are left out because they do at the start of one.
    auto plain = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
            c == '.' || c == '/' || c == ',' || c == ':' || c == '+' || c == '@' || c == '%';
    };
    if (!word.empty() && std::all_of(word.begin(), word.end(), plain))
        return std::string(word);
    // Single quotes keep everything but a single quote, which is closed,
    // given as \' and reopened.
    std::string out = "'";
    for (char c : word) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    out += '\'';
    return out;
}

std::string shell_join(std::span<const std::string> words)
{
    std::string out;
    for (const auto& word : words) {
        if (!out.empty())
            out += ' ';
        out += shell_quote(word);
    }
    return out;
}

std::string ExitStatus::to_string() const
{
    if (timed_out)
        return fmt::format("stopped after {} s, the time it may take", std::chrono::ceil<std::chrono::seconds>(*timed_out).count());
    if (signal == 0)
        return fmt::format("exit status {}", code);
    const char* name = sigdescr_np(signal);
    return name ? fmt::format("killed by signal {} ({})", signal, name) : fmt::format("killed by signal {}", signal);
}

Result<ExitStatus> run_process(std::span<const std::string> argv, const ProcessOptions& options)
{
    if (argv.empty() || argv.front().empty())
        return fail(ErrorCode::Usage, "no program to run");
    for (const auto& word : argv) {
        if (word.find('\0') != std::string::npos)
            return fail(ErrorCode::Usage, fmt::format("{}: an argument holds a NUL byte", shell_quote(argv.front())));
    }
    std::vector<char*> args;
    for (const auto& word : argv)
        args.push_back(const_cast<char*>(word.c_str()));
    args.push_back(nullptr);

    // Our environment with the extra variables in place of any of the same name.
    std::vector<std::string> variables;
    for (char** entry = environ; entry && *entry; ++entry) {
        std::string_view variable(*entry);
        std::string_view name = variable.substr(0, variable.find('='));
        bool replaced = std::any_of(options.environment.begin(), options.environment.end(),
                                    [&](const auto& extra) { return extra.first == name; });
        if (!replaced)
            variables.emplace_back(variable);
    }
    for (const auto& [name, value] : options.environment)
        variables.push_back(fmt::format("{}={}", name, value));
    std::vector<char*> envp;
    for (auto& variable : variables)
        envp.push_back(variable.data());
    envp.push_back(nullptr);

    SpawnSetup setup;
    // The child starts with no blocked signals and default dispositions, so
    // neither a thread of ours that holds SIGPIPE back nor a SIG_IGN of the
    // caller (kept across exec) changes how the hook behaves.
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&setup.attr, &none);
    posix_spawnattr_setsigdefault(&setup.attr, &all);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    // A child that may be stopped gets a process group of its own, so that
    // whatever it started (a script's children) is stopped with it.
    if (options.timeout) {
        posix_spawnattr_setpgroup(&setup.attr, 0);
        flags |= POSIX_SPAWN_SETPGROUP;
    }
    posix_spawnattr_setflags(&setup.attr, flags);

    // Close-on-exec, so that no other child started meanwhile by another
    // thread keeps the pipe open and hides the end of the input.
    Fd read_end, write_end;
    if (options.input) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) < 0)
            return fail(ErrorCode::Io, fmt::format("cannot make a pipe: {}", errno_text(errno)));
        read_end.reset(fds[0]);
        write_end.reset(fds[1]);
        // Non-blocking, so that a child that never reads cannot hold us
        // past the deadline.
        if (::fcntl(write_end.get(), F_SETFL, O_NONBLOCK) < 0)
            return fail(ErrorCode::Io, fmt::format("cannot set up a pipe: {}", errno_text(errno)));
        posix_spawn_file_actions_adddup2(&setup.actions, read_end.get(), STDIN_FILENO);
    }
    if (options.output) {
        posix_spawn_file_actions_addopen(&setup.actions, STDOUT_FILENO, options.output->c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
        posix_spawn_file_actions_adddup2(&setup.actions, STDOUT_FILENO, STDERR_FILENO);
    }

    pid_t pid = 0;
    int spawned = ::posix_spawnp(&pid, args.front(), &setup.actions, &setup.attr, args.data(), envp.data());
    if (spawned != 0)
        return fail(ErrorCode::Io, fmt::format("cannot run {}: {}", shell_quote(argv.front()), errno_text(spawned)));
    std::optional<Steady::time_point> deadline;
    if (options.timeout)
        deadline = Steady::now() + *options.timeout;

    std::optional<Error> write_error;
    if (options.input) {
        read_end.close();
        if (auto written = write_all_to_pipe(write_end.get(), *options.input, deadline); !written)
            write_error = written.error();
        write_end.close();
    }
    auto status = wait_for(pid, deadline, options);
    if (!status)
        return status;
    if (write_error)
        return fail(write_error->with_context(shell_quote(argv.front())));
    return status;
}

} // namespace signet
