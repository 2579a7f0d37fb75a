#include "watch.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace signet::daemon {

namespace fs = std::filesystem;

namespace {

constexpr uint32_t watched_events = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MOVED_FROM;

} // namespace

Result<InputWatch> InputWatch::open()
{
    UniqueFd fd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!fd)
        return fail(ErrorCode::Io, fmt::format("cannot watch input files (inotify): {}", std::strerror(errno)));
    return InputWatch(std::move(fd));
}

std::vector<std::string> InputWatch::watch(const std::map<fs::path, std::set<std::string>>& files)
{
    std::vector<std::string> warnings;
    std::map<fs::path, std::map<std::string, std::set<std::string>>> by_directory;
    for (const auto& [file, zones] : files)
        by_directory[file.parent_path()][file.filename().string()].insert(zones.begin(), zones.end());
    for (auto it = directories_.begin(); it != directories_.end();) {
        if (by_directory.contains(it->first)) {
            ++it;
            continue;
        }
        ::inotify_rm_watch(fd_.get(), it->second);
        files_.erase(it->second);
        it = directories_.erase(it);
    }
    for (const auto& [directory, names] : by_directory) {
        if (auto warning = add_directory(directory, names))
            warnings.push_back(std::move(*warning));
    }
    wanted_ = std::move(by_directory);
    return warnings;
}

std::optional<std::string> InputWatch::add_directory(const fs::path& directory,
                                                     std::map<std::string, std::set<std::string>> names)
{
    int wd = ::inotify_add_watch(fd_.get(), directory.c_str(), watched_events | IN_ONLYDIR);
    if (wd < 0) {
        directories_.erase(directory);
        return fmt::format("{}: cannot watch for changed inputs ({}); its zones are signed on schedule and "
                           "retried after failures only",
                           directory.string(), std::strerror(errno));
    }
    directories_[directory] = wd;
    files_[wd] = std::move(names);
    return std::nullopt;
}

std::optional<std::string> InputWatch::watch_again(const fs::path& file)
{
    const fs::path directory = file.parent_path();
    if (directories_.contains(directory))
        return std::nullopt;
    auto wanted = wanted_.find(directory);
    if (wanted == wanted_.end())
        return std::nullopt;
    return add_directory(directory, wanted->second);
}

InputWatch::Changes InputWatch::read()
{
    Changes changes;
    alignas(inotify_event) char buffer[16384];
    for (;;) {
        ssize_t n = ::read(fd_.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        for (char* at = buffer; at < buffer + n;) {
            auto* event = reinterpret_cast<inotify_event*>(at);
            at += sizeof(inotify_event) + event->len;
            if (event->mask & IN_Q_OVERFLOW) {
                changes.overflow = true;
                continue;
            }
            if (event->mask & IN_IGNORED) {
                // The directory went away: nothing more comes from it, and
                // its zones' inputs are gone with it. (A watch we removed
                // ourselves has no files left to name.)
                if (auto lost = files_.find(event->wd); lost != files_.end()) {
                    for (const auto& [file, zones] : lost->second)
                        changes.zones.insert(zones.begin(), zones.end());
                    files_.erase(lost);
                    std::erase_if(directories_, [&](const auto& entry) { return entry.second == event->wd; });
                }
                continue;
            }
            if (event->len == 0)
                continue;
            auto directory = files_.find(event->wd);
            if (directory == files_.end())
                continue;
            auto file = directory->second.find(event->name);
            if (file != directory->second.end())
                changes.zones.insert(file->second.begin(), file->second.end());
        }
    }
    return changes;
}

} // namespace signet::daemon
