// Reading a file that someone else may have named: a customer's zone file
// or $INCLUDE, a certificate path, the PIN file. Only a regular file is read
// (opening a FIFO waits for a writer, a device may feed data for ever), a
// terminal named here never becomes ours, and what is read is capped.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <signet/base/error.h>
#include <signet/base/unique_fd.h>

namespace signet {

struct RegularFile {
    UniqueFd fd; // blocking reads, close-on-exec
    uint64_t size = 0; // when it was opened
    mode_t mode = 0; // permission bits and type
};

// "a FIFO", "a directory", "a character device", ...: what a file that is
// not a regular one is, for messages.
std::string_view file_kind(mode_t mode);

// Opens `path` for reading if it is a regular file (after symbolic links).
// Errors, for the caller to put after the path and what it was doing:
//   ErrorCode::NotFound  "no such file"
//   ErrorCode::Io        "Permission denied" (the text of any other errno)
//   ErrorCode::Parse     "a FIFO, not a regular file" (any other type)
Result<RegularFile> open_regular_file(const std::filesystem::path& path);

// The rest of `file`, at most `max_bytes` octets; a longer file is
// ErrorCode::Parse "larger than 1 MiB" (the cap in MiB when it is a whole
// number of them, else in octets), however it grows while read.
Result<std::string> read_capped(RegularFile& file, uint64_t max_bytes);
// open_regular_file, then read_capped.
Result<std::string> read_regular_file(const std::filesystem::path& path, uint64_t max_bytes);

} // namespace signet
