#include <signet/app/control.h>

#include <fcntl.h>
#include <grp.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

extern char** environ;

namespace signet::app {

namespace fs = std::filesystem;

namespace {

Result<sockaddr_un> socket_address(const fs::path& socket)
{
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    const std::string& text = socket.native();
    if (text.size() >= sizeof address.sun_path)
        return fail(ErrorCode::Config, fmt::format("{}: too long for a Unix socket", text));
    std::memcpy(address.sun_path, text.c_str(), text.size() + 1);
    return address;
}

std::unexpected<Error> socket_error(const fs::path& socket, std::string_view doing)
{
    return fail(ErrorCode::Io, fmt::format("{}: cannot {} signetd's control socket: {}", socket.string(), doing,
                                           std::strerror(errno)));
}

// Connected to a listening daemon, or nullopt when none listens at `socket`.
Result<std::optional<UniqueFd>> connect_control(const fs::path& socket)
{
    auto address = SIGNET_TRY(socket_address(socket));
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd)
        return socket_error(socket, "make a socket for");
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        // No file, or one that nobody listens on (a daemon killed with -9).
        if (errno == ENOENT || errno == ECONNREFUSED)
            return std::optional<UniqueFd>();
        return socket_error(socket, "connect to");
    }
    return std::optional<UniqueFd>(std::move(fd));
}

Result<void> send_all(int fd, std::string_view data, const int* fds, size_t nfds, const fs::path& socket)
{
    bool first = true;
    while (!data.empty() || first) {
        iovec part { const_cast<char*>(data.data()), data.size() };
        msghdr message {};
        message.msg_iov = &part;
        message.msg_iovlen = 1;
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 3)] {};
        if (first && nfds > 0) {
            message.msg_control = control;
            message.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
            cmsghdr* header = CMSG_FIRSTHDR(&message);
            header->cmsg_level = SOL_SOCKET;
            header->cmsg_type = SCM_RIGHTS;
            header->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
            std::memcpy(CMSG_DATA(header), fds, sizeof(int) * nfds);
        }
        ssize_t sent = ::sendmsg(fd, &message, MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EINTR)
                continue;
            return socket_error(socket, "write to");
        }
        first = false;
        data.remove_prefix(static_cast<size_t>(sent));
    }
    return {};
}

} // namespace

std::string control_request_text(const ControlRequest& request)
{
    nlohmann::json json = { { "args", request.args }, { "cwd", request.cwd } };
    if (request.now)
        json["now"] = *request.now;
    return json.dump();
}

Result<ControlRequest> parse_control_request(std::string_view text)
{
    auto json = nlohmann::json::parse(text, nullptr, false);
    auto bad = [](std::string_view why) { return fail(ErrorCode::Usage, fmt::format("bad control request: {}", why)); };
    if (!json.is_object())
        return bad("not a JSON object");
    ControlRequest request;
    for (const auto& [key, value] : json.items()) {
        if (key == "args") {
            if (!value.is_array())
                return bad("args is not a list");
            for (const auto& arg : value) {
                if (!arg.is_string())
                    return bad("an argument is not a string");
                request.args.push_back(arg.get<std::string>());
            }
        } else if (key == "cwd") {
            if (!value.is_string() || !fs::path(value.get<std::string>()).is_absolute())
                return bad("cwd is not an absolute path");
            request.cwd = value.get<std::string>();
        } else if (key == "now") {
            if (!value.is_string())
                return bad("now is not a string");
            request.now = value.get<std::string>();
        } else {
            return bad(fmt::format("unknown key '{}'", key));
        }
    }
    if (request.cwd.empty())
        return bad("no cwd");
    for (const auto& arg : request.args) {
        if (arg.find('\0') != std::string::npos)
            return bad("an argument holds a NUL byte");
    }
    return request;
}

bool daemon_listening(const fs::path& socket)
{
    auto connected = connect_control(socket);
    return connected && connected->has_value();
}

Result<std::optional<int>> run_in_daemon(const fs::path& socket, const ControlRequest& request)
{
    auto connected = SIGNET_TRY(connect_control(socket));
    if (!connected)
        return std::optional<int>();
    int fd = connected->get();
    const int stdio[3] = { 0, 1, 2 };
    SIGNET_TRY(send_all(fd, control_request_text(request), stdio, 3, socket));
    ::shutdown(fd, SHUT_WR);
    std::string answer;
    char buffer[4096];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return socket_error(socket, "read from");
        if (n == 0)
            break;
        answer.append(buffer, static_cast<size_t>(n));
        if (answer.size() > max_control_request)
            return fail(ErrorCode::Io, fmt::format("{}: signetd's answer is too long", socket.string()));
    }
    auto json = nlohmann::json::parse(answer, nullptr, false);
    if (!json.is_object() || !json.contains("status") || !json["status"].is_number_integer())
        return fail(ErrorCode::Io, fmt::format("{}: signetd stopped before the command finished; what it did is "
                                               "unknown (see `signet zone status`)",
                                               socket.string()));
    if (json.contains("error") && json["error"].is_string())
        return fail(ErrorCode::Io, fmt::format("signetd: {}", json["error"].get<std::string>()));
    return std::optional<int>(json["status"].get<int>());
}

Result<UniqueFd> listen_control(const fs::path& socket, const std::string& group)
{
    auto address = SIGNET_TRY(socket_address(socket));
    if (::unlink(socket.c_str()) != 0 && errno != ENOENT)
        return socket_error(socket, "remove the old");
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd)
        return socket_error(socket, "make");
    // Made with no permissions for others from the start, not opened up and
    // then closed down.
    mode_t old_mask = ::umask(0177);
    int bound = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address);
    ::umask(old_mask);
    if (bound != 0)
        return socket_error(socket, "bind");
    if (!group.empty()) {
        errno = 0;
        const struct group* entry = ::getgrnam(group.c_str());
        if (!entry)
            return fail(ErrorCode::Config, fmt::format("control-group '{}': no such group", group));
        if (::chown(socket.c_str(), static_cast<uid_t>(-1), entry->gr_gid) != 0 || ::chmod(socket.c_str(), 0660) != 0)
            return socket_error(socket, fmt::format("give group '{}' access to", group));
    }
    if (::listen(fd.get(), 64) != 0)
        return socket_error(socket, "listen on");
    return fd;
}

Result<void> ControlReceiver::receive(int fd)
{
    for (;;) {
        char buffer[8192];
        iovec part { buffer, sizeof buffer };
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 8)] {};
        msghdr message {};
        message.msg_iov = &part;
        message.msg_iovlen = 1;
        message.msg_control = control;
        message.msg_controllen = sizeof control;
        ssize_t n = ::recvmsg(fd, &message, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return {};
            return fail(ErrorCode::Io, fmt::format("control request: {}", std::strerror(errno)));
        }
        for (cmsghdr* header = CMSG_FIRSTHDR(&message); header; header = CMSG_NXTHDR(&message, header)) {
            if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS)
                continue;
            size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < count; ++i) {
                int received = -1;
                std::memcpy(&received, CMSG_DATA(header) + i * sizeof(int), sizeof(int));
                fds.emplace_back(received); // owned, and closed, whatever happens next
            }
        }
        if (message.msg_flags & MSG_CTRUNC)
            return fail(ErrorCode::Usage, "control request: too many descriptors");
        if (fds.size() > 3)
            return fail(ErrorCode::Usage, "control request: more than three descriptors");
        if (n == 0) {
            complete = true;
            return {};
        }
        text.append(buffer, static_cast<size_t>(n));
        if (text.size() > max_control_request)
            return fail(ErrorCode::Usage, "control request: too long");
    }
}

Result<pid_t> start_command(const fs::path& program, const ControlRequest& request, const std::array<int, 3>& stdio,
                            int lock_fd, const fs::path& state_dir, const fs::path& config_file)
{
    std::vector<std::string> environment;
    for (char** variable = environ; *variable; ++variable) {
        std::string_view text(*variable);
        if (text.starts_with("SIGNET_STATE=") || text.starts_with("SIGNET_NOW=") || text.starts_with("SIGNET_LOCK_FD=")
            || text.starts_with("SIGNET_DAEMON_CONFIG="))
            continue;
        environment.emplace_back(text);
    }
    constexpr int child_lock_fd = 3;
    environment.push_back("SIGNET_STATE=" + state_dir.string());
    environment.push_back(fmt::format("SIGNET_LOCK_FD={}", child_lock_fd));
    environment.push_back("SIGNET_DAEMON_CONFIG=" + config_file.string());
    if (request.now)
        environment.push_back("SIGNET_NOW=" + *request.now);
    std::vector<std::string> args { "signet" };
    args.insert(args.end(), request.args.begin(), request.args.end());

    std::vector<char*> argv, envp;
    for (auto& arg : args)
        argv.push_back(arg.data());
    argv.push_back(nullptr);
    for (auto& variable : environment)
        envp.push_back(variable.data());
    envp.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    // dup2 clears close-on-exec on the copy: these four, and only these,
    // reach the child.
    for (int i = 0; i < 3; ++i)
        posix_spawn_file_actions_adddup2(&actions, stdio[static_cast<size_t>(i)], i);
    posix_spawn_file_actions_adddup2(&actions, lock_fd, child_lock_fd);
    // Whatever a library of ours opened without close-on-exec stays ours.
    posix_spawn_file_actions_addclosefrom_np(&actions, child_lock_fd + 1);
    posix_spawn_file_actions_addchdir_np(&actions, request.cwd.c_str());
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    // The daemon ignores or catches signals the command must meet as usual.
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int signal : { SIGHUP, SIGTERM, SIGINT, SIGPIPE, SIGCHLD })
        sigaddset(&defaults, signal);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    pid_t pid = -1;
    int error = ::posix_spawn(&pid, program.c_str(), &actions, &attributes, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (error != 0)
        return fail(ErrorCode::Io, fmt::format("cannot start {}: {}", program.string(), std::strerror(error)));
    return pid;
}

std::string control_answer_text(int wait_status)
{
    if (WIFEXITED(wait_status))
        return nlohmann::json({ { "status", WEXITSTATUS(wait_status) } }).dump();
    int signal = WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0;
    return control_refusal_text(fmt::format("the command was killed by signal {} ({})", signal, ::strsignal(signal)));
}

std::string control_refusal_text(std::string_view why)
{
    return nlohmann::json({ { "status", 1 }, { "error", why } }).dump();
}

} // namespace signet::app
