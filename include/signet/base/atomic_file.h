// Writes a file so that readers see either the old content or the whole new
// content, never a mix: write a temporary file in the same directory, fsync
// it, rename it over the target, fsync the directory. If the writer goes away
// without commit(), the temporary file is removed and the target is untouched.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include <signet/base/error.h>

namespace signet {

class AtomicFile {
public:
    static Result<AtomicFile> create(const std::filesystem::path& target);

    AtomicFile(AtomicFile&& other) noexcept;
    AtomicFile& operator=(AtomicFile&&) = delete;
    AtomicFile(const AtomicFile&) = delete;
    ~AtomicFile();

    // Buffered; errors (a full disk) surface here or in commit().
    Result<void> write(std::string_view data);
    // Hands what is buffered to the kernel, so that the temporary file can be
    // read back (e.g. to verify it) before commit().
    Result<void> flush();
    const std::filesystem::path& temporary_path() const { return temporary_; }
    Result<void> commit();

private:
    AtomicFile(std::filesystem::path target, std::filesystem::path temporary, int fd);

    std::filesystem::path target_;
    std::filesystem::path temporary_;
    int fd_ = -1;
    std::string buffer_;
};

// Convenience for content already in memory.
Result<void> write_file_atomically(const std::filesystem::path& target, std::string_view content);

} // namespace signet
