// Registering zones: one (`signet zone add NAME ...`) or many from a list
// (`signet zone add --from FILE`), with the same checks, in one transaction.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <signet/app/pipeline.h>
#include <signet/base/clock.h>
#include <signet/base/error.h>

namespace signet::app {

struct ZoneToAdd {
    std::string name;
    std::filesystem::path input; // absolute
    std::filesystem::path output; // absolute
    std::string policy = "default";
    std::vector<std::string> allow_transfer; // names of [remote.NAME] tables
    std::vector<std::string> notify; // names of [remote.NAME] tables
    std::optional<SourceLocation> where; // its line in a list; none from the command line
};

// "a,b": the remotes of `option` (`--allow-transfer`, `--notify`), each of
// which must be a [remote.NAME] of the configuration; "" is none.
Result<std::vector<std::string>> parse_remote_names(const Config& config, std::string_view option,
                                                    std::string_view text);

// Zones to register, and what is wrong with the lines they came from.
struct ZoneList {
    std::string file; // as messages name it; empty for the command line
    std::vector<ZoneToAdd> zones;
    std::vector<Error> problems; // lines that could not be read, "FILE:LINE: what is wrong"
    std::vector<std::string> skipped; // what a BIND configuration holds that is not for us, and why
};

// A `zone add --from` list: one zone a line, whitespace-separated
// `name input output [policy]`; `#` starts a comment; a field with spaces
// is written in double quotes (a backslash in it takes the next character
// as it is: `\"`, `\\`). Relative paths are taken from `base` (the working
// directory, as on the command line).
ZoneList read_zone_list(std::string_view text, const std::string& file, const std::filesystem::path& base);

// Whether `text` is a BIND configuration (it has a zone statement) rather
// than a list of zones.
bool is_named_conf(std::string_view text);

// The primary zones of a BIND configuration, named.conf and the files it
// includes (`include`, relative to the including file's directory), in or
// out of views: each zone of type primary (master) with its `file`, taken
// relative to `options { directory }` (else named.conf's own directory).
// The output is `output_dir`/NAME.signed, the policy `policy` for all.
// Zones of other types (secondary, forward, hint, ...) and primary zones
// without a file are left out, and said so in `skipped`. `text` is the
// content of the file messages call `file`, which is in `directory`.
ZoneList read_named_conf(std::string_view text, const std::string& file, const std::filesystem::path& directory,
                         const std::filesystem::path& output_dir, const std::string& policy);

struct AddedZones {
    std::vector<std::string> added; // names as the store keeps them
    std::vector<std::string> unchanged; // registered already, with the same input, output and policy
};

// Registers the zones, all or none: each is checked as `zone add` checks one
// (its name, its policy, its input a regular file, its output neither inside
// the state dir nor its input), against every zone of the store and of the
// list (no output shared, none another zone's input). A zone registered
// already with the same files and policy is left as it is (a list can be
// applied again); with others it is an error. One transaction; every
// problem, the list's own included, is named in the error, in line order.
Result<AddedZones> add_zones(Context& context, const ZoneList& list, TimePoint now);

// Refuses a zone whose output is inside the state dir or is its input;
// with Neighbours::Checked also one whose output is another zone's input or
// output, or whose input is another zone's output.
enum class Neighbours { Unchecked, Checked };
Result<void> check_zone_paths(Context& context, const enforcer::ZoneEntry& zone, Neighbours neighbours);

// The input and output paths of a set of zones, by file name, to find the
// zone whose input or output a path is (see check_zone_paths) without a
// file system call per zone: two names of one file share their last
// component (a symlink that renames it is not followed).
class ZonePaths {
public:
    void add(const enforcer::ZoneEntry& zone);
    // Why `zone`'s paths clash with another zone's (one with another id or
    // name), or nothing.
    std::optional<std::string> clash(const enforcer::ZoneEntry& zone) const;

private:
    struct Use {
        std::filesystem::path path;
        std::string zone;
        int64_t id = 0;
        bool output = false;
    };
    std::map<std::string, std::vector<Use>> by_file_name_;
};

} // namespace signet::app
