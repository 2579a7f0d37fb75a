// The state lock: one writer at a time per state directory. Every command
// that changes the store, the token or an output holds it from planning to
// commit, so that two runs cannot both plan from the same keys (a `sign`
// racing an `enforce --all` once left zones with two KSKs and two ZSKs, and
// a rollover asked for during a `sign` was silently lost).
//
// The lock is flock(2) on DIR/lock: the kernel drops it when the holder
// exits, however it exits (kill -9 included), so a lock is never stale. The
// file holds the holder's pid and command for the one who has to wait.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include <signet/base/error.h>

namespace signet::app {

class StateLock {
public:
    // Takes the lock of `state_dir`, waiting up to `wait` for another holder
    // to finish; then fails with a Conflict error naming the holder (pid and
    // command). `command` is written into the lock file for others to see.
    static Result<StateLock> acquire(const std::filesystem::path& state_dir, std::string_view command,
                                     std::chrono::milliseconds wait);

    // The lock this process was handed by signetd, which runs the commands
    // sent to it as children holding its lock (SIGNET_LOCK_FD). `fd` must be
    // a descriptor of STATE_DIR/lock through which the lock is held. It is
    // the lock's from now on (closed on failure too), and closed, with the
    // holder left as it is, when the lock is dropped.
    static Result<StateLock> inherit(const std::filesystem::path& state_dir, int fd);

    // The descriptor through which the lock is held: for a child to inherit.
    int fd() const { return fd_; }

    StateLock(StateLock&& other) noexcept;
    StateLock& operator=(StateLock&&) = delete;
    StateLock(const StateLock&) = delete;
    ~StateLock();

private:
    StateLock(std::filesystem::path path, int fd, bool owner);

    std::filesystem::path path_;
    int fd_ = -1;
    bool owner_ = true; // took the lock itself, and wrote the holder
};

} // namespace signet::app
