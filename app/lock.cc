#include <signet/app/lock.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

#include <fmt/format.h>

namespace signet::app {

namespace fs = std::filesystem;

namespace {

std::string read_holder(int fd)
{
    char buffer[512];
    ssize_t n = ::pread(fd, buffer, sizeof buffer - 1, 0);
    if (n <= 0)
        return {};
    std::string text(buffer, static_cast<size_t>(n));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\0'))
        text.pop_back();
    return text;
}

} // namespace

StateLock::StateLock(fs::path path, int fd, bool owner)
    : path_(std::move(path))
    , fd_(fd)
    , owner_(owner)
{
}

StateLock::StateLock(StateLock&& other) noexcept
    : path_(std::move(other.path_))
    , fd_(std::exchange(other.fd_, -1))
    , owner_(other.owner_)
{
}

StateLock::~StateLock()
{
    if (fd_ < 0)
        return;
    // Emptied first, so that nobody reads a holder that has gone.
    if (owner_)
        (void)::ftruncate(fd_, 0);
    ::close(fd_); // releases the flock
}

Result<StateLock> StateLock::acquire(const fs::path& state_dir, std::string_view command,
                                     std::chrono::milliseconds wait)
{
    fs::path path = state_dir / "lock";
    // O_CLOEXEC: hooks and other children must not inherit the lock.
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return fail(ErrorCode::Io, fmt::format("{}: cannot open the state lock: {}", path.string(), std::strerror(errno)));
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EINTR)
            continue;
        if (errno != EWOULDBLOCK) {
            int error = errno;
            ::close(fd);
            return fail(ErrorCode::Io, fmt::format("{}: cannot lock: {}", path.string(), std::strerror(error)));
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            std::string holder = read_holder(fd);
            ::close(fd);
            return fail(ErrorCode::Conflict,
                        fmt::format("{}: another signet is changing this state directory ({}); waited {:.1f} s "
                                    "(--wait SECONDS waits longer)",
                                    path.string(), holder.empty() ? "holder unknown" : holder,
                                    std::chrono::duration<double>(wait).count()));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::string holder = fmt::format("pid {}: {}\n", ::getpid(), command);
    if (::ftruncate(fd, 0) != 0 || ::write(fd, holder.data(), holder.size()) != static_cast<ssize_t>(holder.size())) {
        int error = errno;
        ::close(fd);
        return fail(ErrorCode::Io, fmt::format("{}: cannot write the holder: {}", path.string(), std::strerror(error)));
    }
    return StateLock(std::move(path), fd, true);
}

Result<StateLock> StateLock::inherit(const fs::path& state_dir, int fd)
{
    fs::path path = state_dir / "lock";
    StateLock held(path, fd, false); // ours from here on, closed on failure too
    struct stat given {}, named {};
    if (fd < 0 || ::fstat(fd, &given) != 0)
        return fail(ErrorCode::Usage, fmt::format("SIGNET_LOCK_FD={}: not an open descriptor", fd));
    if (::stat(path.c_str(), &named) != 0 || given.st_dev != named.st_dev || given.st_ino != named.st_ino)
        return fail(ErrorCode::Usage, fmt::format("SIGNET_LOCK_FD={}: not the state lock {}", fd, path.string()));
    // Through the holder's own open file the lock is ours already, and this
    // succeeds at once; any other descriptor of the file would have to wait.
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0)
        return fail(ErrorCode::Conflict, fmt::format("SIGNET_LOCK_FD={}: {} is held by another process ({})", fd,
                                                     path.string(), read_holder(fd)));
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    return held;
}

} // namespace signet::app
