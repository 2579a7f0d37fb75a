// What every noun of the signet command shares: the global options and how a
// handler reports its outcome.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include <signet/base/clock.h>
#include <signet/base/error.h>

namespace signet::cli {

struct Globals {
    std::filesystem::path state;
    std::optional<std::filesystem::path> config;
    std::string now_text; // --now or $SIGNET_NOW; empty: the system clock
    bool json = false;

    // The clock every part uses: fixed at --now when given.
    Result<std::unique_ptr<Clock>> clock() const;
};

// A handler returns the exit status (0 or 1) or an error, which main prints
// as "file:line: what is wrong" and turns into exit status 1.
using Handler = std::function<Result<int>()>;

// Each noun adds its subcommands to `app` and stores the chosen handler.
void add_zone_commands(CLI::App& app, Globals& globals, Handler& chosen);

} // namespace signet::cli
