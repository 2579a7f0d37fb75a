// What every noun of the signet command shares: the global options and how a
// handler reports its outcome.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <signet/app/pipeline.h>
#include <signet/base/clock.h>
#include <signet/base/error.h>
#include <signet/dns/zone.h>
#include <signet/enforcer/keydb.h>

namespace signet::cli {

struct Globals {
    std::filesystem::path state;
    std::optional<std::filesystem::path> config;
    std::string now_text; // --now or $SIGNET_NOW; empty: the system clock
    bool json = false;
    double wait_seconds = 5; // --wait: for another writer to finish
    std::string command_line; // this command, as the state lock shows it to others
    bool changes_state = false; // the command chosen writes (see changes_state())
    // Run by signetd for a client: the daemon's state lock, inherited
    // ($SIGNET_LOCK_FD).
    std::optional<int> inherited_lock;

    // The clock every part uses: fixed at --now when given.
    Result<std::unique_ptr<Clock>> clock() const;
    // The state dir for a command that reads, or (Access::Write) one that
    // changes something: then under the state lock.
    Result<app::Context> open(app::Access access) const;
};

// A handler returns the exit status (0 or 1) or an error, which main prints
// as "file:line: what is wrong" and turns into exit status 1.
using Handler = std::function<Result<int>()>;

// Marks `command` as one that changes the store, the token or an output.
// While signetd owns the state dir, main sends such a command to the daemon
// instead of running it here.
void changes_state(CLI::App* command, Globals& globals);

// Each noun adds its subcommands to `app` and stores the chosen handler.
// The manual pages (hidden from --help) walk `app` after every noun is in.
void add_manual_command(CLI::App& app, Globals& globals, Handler& chosen);
void add_zone_commands(CLI::App& app, Globals& globals, Handler& chosen);
void add_verify_command(CLI::App& app, Globals& globals, Handler& chosen);
void add_init_command(CLI::App& app, Globals& globals, Handler& chosen);
void add_sign_command(CLI::App& app, Globals& globals, Handler& chosen);
void add_ds_command(CLI::App& app, Globals& globals, Handler& chosen);
void add_key_commands(CLI::App& app, Globals& globals, Handler& chosen);
void add_enforce_command(CLI::App& app, Globals& globals, Handler& chosen);
void add_tlsa_commands(CLI::App& app, Globals& globals, Handler& chosen);
void add_health_command(CLI::App& app, Globals& globals, Handler& chosen);
void add_import_commands(CLI::App& app, Globals& globals, Handler& chosen);

// A zone's failure as one line that names the zone (runs over many zones
// print one per zone): the error as it is when it names the zone already,
// else "zone 'example.nl.': " and the error.
std::string zone_error_text(std::string_view zone, const Error& error);

// An optional time as RFC 3339 text, or null.
nlohmann::json time_json(const std::optional<TimePoint>& time);
// A key as `key list --json` and `zone status --json` show it.
nlohmann::json key_json(const enforcer::KeyEntry& key);

// A zone name given on the command line (absolute with or without the dot).
Result<dns::Name> parse_zone_name(std::string_view text, std::string_view what);
// What load_zone_reporting saw beyond the zone.
struct LoadSummary {
    size_t warnings = 0;
    size_t differing_ttls = 0; // see dns::Diagnostics
};
// Loads a zone file, printing its warnings and errors ("file:line:col: …")
// to stderr; the error returned sums them up.
Result<dns::Zone> load_zone_reporting(const std::filesystem::path& file, const dns::Name& origin,
                                      LoadSummary* summary = nullptr);

} // namespace signet::cli
