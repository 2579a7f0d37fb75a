#include <signet/base/regular_file.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace signet {

std::string_view file_kind(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISREG(mode))
        return "a regular file";
    return "a special file";
}

Result<RegularFile> open_regular_file(const std::filesystem::path& path)
{
    // O_NONBLOCK: opening a FIFO for reading waits for a writer otherwise.
    // O_NOCTTY: a terminal must not become ours by being named here.
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (fd.get() < 0) {
        int error = errno;
        if (error == ENOENT)
            return fail(ErrorCode::NotFound, "no such file");
        return fail(ErrorCode::Io, std::strerror(error));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        int error = errno;
        return fail(ErrorCode::Io, std::strerror(error));
    }
    if (!S_ISREG(st.st_mode))
        return fail(ErrorCode::Parse, fmt::format("{}, not a regular file", file_kind(st.st_mode)));
    // Reads of a regular file do not block anyway; clear the flag so that
    // nothing that reads it depends on it.
    ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
    return RegularFile { std::move(fd), static_cast<uint64_t>(st.st_size), st.st_mode };
}

Result<std::string> read_capped(RegularFile& file, uint64_t max_bytes)
{
    auto too_large = [&] {
        return fail(ErrorCode::Parse, max_bytes != 0 && max_bytes % (1 << 20) == 0
                                          ? fmt::format("larger than {} MiB", max_bytes >> 20)
                                          : fmt::format("larger than {} octets", max_bytes));
    };
    if (file.size > max_bytes)
        return too_large();
    // The size may change while it is read; the cap holds whatever it does.
    std::string content;
    char buffer[16384];
    while (content.size() <= max_bytes) {
        ssize_t n = ::read(file.fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int error = errno;
            return fail(ErrorCode::Io, std::strerror(error));
        }
        if (n == 0)
            break;
        content.append(buffer, static_cast<size_t>(n));
    }
    if (content.size() > max_bytes)
        return too_large();
    return content;
}

Result<std::string> read_regular_file(const std::filesystem::path& path, uint64_t max_bytes)
{
    RegularFile file = SIGNET_TRY(open_regular_file(path));
    return read_capped(file, max_bytes);
}

} // namespace signet
