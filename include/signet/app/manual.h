// The manual pages, in roff (man(7)), written by the programs themselves:
// the commands and options from the command-line parser that --help shows,
// the configuration keys from the tables load_config reads with. A page can
// then not describe an option or a key that does not exist, nor leave one
// out. The prose around them is written by hand beside each program.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
}

namespace signet::app {

// The project version (CMake's project(VERSION)).
std::string_view version();

// A section written by hand: its title and its body in roff.
struct ManualSection {
    std::string_view title;
    std::string_view roff;
};

struct ManualPage {
    std::string_view name; // "signet"
    int section = 1;
    std::string_view summary; // after "name \-" in NAME
    std::vector<ManualSection> before; // after SYNOPSIS: DESCRIPTION, ...
    std::vector<ManualSection> after; // after COMMANDS: ENVIRONMENT, FILES, ...
};

// A program's page: NAME, SYNOPSIS, `page.before`, OPTIONS (the program's
// own), COMMANDS (every subcommand --help lists, depth first, each with its
// usage, description, positionals and options), `page.after`.
std::string command_manual(const CLI::App& app, const ManualPage& page);

// signet.toml(5): every key of config_key_docs(), table by table, with its
// default and its BIND, Knot and OpenDNSSEC counterparts.
std::string config_manual();

// Text for a roff text line: backslashes escaped, '-' as \- (so that options
// and keys copy as typed), and a leading '.' or '\'' made harmless.
std::string roff_text(std::string_view text);

} // namespace signet::app
