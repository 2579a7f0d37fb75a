// Writes a file so that readers see either the old content or the whole new
// content, never a mix: write a temporary file in the same directory, fsync
// it, rename it over the target, fsync the directory. If the writer goes away
// without commit(), the temporary file is removed and the target is untouched.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

#include <signet/base/error.h>

namespace signet {

class AtomicFile {
public:
    // The new file takes the mode and group of the file it replaces, or
    // `new_mode` when there is none.
    static Result<AtomicFile> create(const std::filesystem::path& target, mode_t new_mode = 0644);

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

    // For a caller whose own commit (a store transaction) must succeed
    // together with this file: like commit(), but the file it replaces is
    // kept (hard-linked) as previous_path() until drop_previous() once the
    // caller has committed, or restore_previous() when it could not.
    Result<void> commit_keeping_previous();
    // Puts the replaced file back (or removes the new one when there was
    // none before).
    Result<void> restore_previous();
    void drop_previous();
    // Where commit_keeping_previous() keeps the replaced file of `target`.
    static std::filesystem::path previous_path(const std::filesystem::path& target);
    // Whether `name` is one of the temporary files AtomicFile::create makes
    // for `target` (left behind by a writer that was killed).
    static bool is_temporary_of(const std::filesystem::path& target, std::string_view name);

    // "dev:inode" of the file at `path`, "" when it is not there: which file
    // a path names, so that a rename can later be told to have happened.
    static std::string identity(const std::filesystem::path& path);

private:
    AtomicFile(std::filesystem::path target, std::filesystem::path temporary, int fd);

    std::filesystem::path target_;
    std::filesystem::path temporary_;
    int fd_ = -1;
    std::string buffer_;
    enum class Previous { None, Kept, Absent } previous_ = Previous::None; // after commit_keeping_previous
};

// Convenience for content already in memory.
Result<void> write_file_atomically(const std::filesystem::path& target, std::string_view content,
                                   mode_t new_mode = 0644);

} // namespace signet
