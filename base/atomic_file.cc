#include <signet/base/atomic_file.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

namespace signet {

namespace {

constexpr size_t buffer_limit = 1 << 20;

Error io_error(std::string_view what, const std::filesystem::path& path, int error)
{
    return Error(ErrorCode::Io, fmt::format("{} '{}': {}", what, path.string(), std::strerror(error)));
}

} // namespace

AtomicFile::AtomicFile(std::filesystem::path target, std::filesystem::path temporary, int fd)
    : target_(std::move(target))
    , temporary_(std::move(temporary))
    , fd_(fd)
{
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : target_(std::move(other.target_))
    , temporary_(std::move(other.temporary_))
    , fd_(std::exchange(other.fd_, -1))
    , buffer_(std::move(other.buffer_))
    , previous_(std::exchange(other.previous_, Previous::None))
{
}

AtomicFile::~AtomicFile()
{
    if (fd_ >= 0) {
        ::close(fd_);
        ::unlink(temporary_.c_str());
    }
}

Result<AtomicFile> AtomicFile::create(const std::filesystem::path& target, mode_t new_mode)
{
    std::filesystem::path directory = target.parent_path();
    if (directory.empty())
        directory = ".";
    std::string pattern = (directory / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
    int fd = ::mkstemp(pattern.data());
    if (fd < 0)
        return fail(io_error("cannot create a temporary file beside", target, errno));
    // mkstemp creates 0600. The file it replaces keeps its mode and group
    // (an operator who made the zone file 0640 root:bind meant it); a new
    // file is for name servers to read.
    struct stat previous {};
    if (::stat(target.c_str(), &previous) == 0 && S_ISREG(previous.st_mode)) {
        (void)::fchown(fd, static_cast<uid_t>(-1), previous.st_gid);
        ::fchmod(fd, previous.st_mode & 07777);
    } else {
        ::fchmod(fd, new_mode);
    }
    return AtomicFile(target, pattern, fd);
}

Result<void> AtomicFile::flush()
{
    size_t done = 0;
    while (done < buffer_.size()) {
        ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail(io_error("cannot write", temporary_, errno));
        }
        done += static_cast<size_t>(n);
    }
    buffer_.clear();
    return {};
}

Result<void> AtomicFile::write(std::string_view data)
{
    buffer_ += data;
    if (buffer_.size() >= buffer_limit)
        return flush();
    return {};
}

Result<void> AtomicFile::commit()
{
    if (fd_ < 0)
        return fail(ErrorCode::Internal, "file already committed");
    SIGNET_TRY(flush());
    if (::fsync(fd_) != 0)
        return fail(io_error("cannot sync", temporary_, errno));
    if (::close(std::exchange(fd_, -1)) != 0) {
        int error = errno;
        ::unlink(temporary_.c_str());
        return fail(io_error("cannot close", temporary_, error));
    }
    if (::rename(temporary_.c_str(), target_.c_str()) != 0) {
        int error = errno;
        ::unlink(temporary_.c_str());
        return fail(io_error("cannot rename the new file onto", target_, error));
    }
    std::filesystem::path directory = target_.parent_path();
    if (directory.empty())
        directory = ".";
    int dir = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
    return {};
}

std::filesystem::path AtomicFile::previous_path(const std::filesystem::path& target)
{
    return target.parent_path() / ("." + target.filename().string() + ".signet-prev");
}

bool AtomicFile::is_temporary_of(const std::filesystem::path& target, std::string_view name)
{
    std::string prefix = "." + target.filename().string() + ".tmp-";
    return name.size() == prefix.size() + 6 && name.starts_with(prefix);
}

std::string AtomicFile::identity(const std::filesystem::path& path)
{
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0)
        return {};
    return fmt::format("{}:{}", static_cast<uint64_t>(info.st_dev), static_cast<uint64_t>(info.st_ino));
}

Result<void> AtomicFile::commit_keeping_previous()
{
    std::filesystem::path previous = previous_path(target_);
    ::unlink(previous.c_str());
    if (::link(target_.c_str(), previous.c_str()) == 0) {
        previous_ = Previous::Kept;
    } else if (errno == ENOENT) {
        previous_ = Previous::Absent;
    } else {
        return fail(io_error("cannot keep the previous version of", target_, errno));
    }
    auto committed = commit();
    if (!committed) {
        ::unlink(previous.c_str());
        previous_ = Previous::None;
    }
    return committed;
}

Result<void> AtomicFile::restore_previous()
{
    std::filesystem::path previous = previous_path(target_);
    Previous was = std::exchange(previous_, Previous::None);
    if (was == Previous::Kept && ::rename(previous.c_str(), target_.c_str()) != 0)
        return fail(io_error("cannot put back the previous version of", target_, errno));
    if (was == Previous::Absent && ::unlink(target_.c_str()) != 0 && errno != ENOENT)
        return fail(io_error("cannot remove the new", target_, errno));
    return {};
}

void AtomicFile::drop_previous()
{
    if (std::exchange(previous_, Previous::None) == Previous::Kept)
        ::unlink(previous_path(target_).c_str());
}

Result<void> write_file_atomically(const std::filesystem::path& target, std::string_view content, mode_t new_mode)
{
    auto file = SIGNET_TRY(AtomicFile::create(target, new_mode));
    SIGNET_TRY(file.write(content));
    return file.commit();
}

} // namespace signet
