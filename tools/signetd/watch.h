// Which zones' input files changed: inotify on the directories that hold
// them, so that a file rewritten in place (IN_CLOSE_WRITE) and one replaced
// by a rename (IN_MOVED_TO) are both seen, as is one made anew.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <signet/base/error.h>
#include <signet/base/unique_fd.h>

namespace signet::daemon {

class InputWatch {
public:
    static Result<InputWatch> open();

    // The files to watch, and for each the zones it is the input of; what
    // was watched before and is not named now is no longer watched.
    // Returns a warning per directory that cannot be watched.
    std::vector<std::string> watch(const std::map<std::filesystem::path, std::set<std::string>>& files);

    int fd() const { return fd_.get(); }

    struct Changes {
        std::set<std::string> zones;
        bool overflow = false; // events were lost: every zone may have changed
    };
    // Reads the events the non-blocking descriptor holds now.
    Changes read();

    // Watches the directory of `file` (one watch() was given) if it is not
    // watched: it could not be, or went away. A warning when it still
    // cannot be.
    std::optional<std::string> watch_again(const std::filesystem::path& file);

private:
    std::optional<std::string> add_directory(const std::filesystem::path& directory,
                                             std::map<std::string, std::set<std::string>> names);

    explicit InputWatch(UniqueFd fd)
        : fd_(std::move(fd))
    {
    }

    UniqueFd fd_;
    // What watch() was given last: directory -> file name -> zones.
    std::map<std::filesystem::path, std::map<std::string, std::set<std::string>>> wanted_;
    std::map<std::filesystem::path, int> directories_; // watched, with their watch descriptor
    std::map<int, std::map<std::string, std::set<std::string>>> files_; // wd -> file name -> zones
};

} // namespace signet::daemon
