// signet verify --origin NAME FILE: checks any signed zone file, ours or
// another signer's, with OpenSSL and nothing else.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <signet/signer/verify.h>

#include "command.h"

namespace signet::cli {

namespace {

struct VerifyCommand {
    std::string origin;
    std::string file;
    bool structural = false;
    unsigned threads = 0;
};

Result<int> verify(const Globals& globals, const VerifyCommand& command)
{
    auto origin = SIGNET_TRY(parse_zone_name(command.origin, "--origin"));
    auto clock = SIGNET_TRY(globals.clock());
    auto zone = SIGNET_TRY(load_zone_reporting(command.file, origin));
    auto report = signer::verify_zone(zone, clock->now(), { !command.structural, command.threads });
    if (globals.json) {
        nlohmann::json out = {
            { "zone", origin.to_text() },
            { "file", command.file },
            { "ok", report.ok() },
            { "denial", report.denial },
            { "rrsets_checked", report.rrsets_checked },
            { "signatures_verified", report.signatures_checked },
            { "error_count", report.error_count },
            { "errors", report.errors },
        };
        fmt::print("{}\n", out.dump(2));
        return report.ok() ? 0 : 1;
    }
    for (const auto& error : report.errors)
        fmt::print(stderr, "{}: {}\n", command.file, error);
    if (!report.ok()) {
        fmt::print(stderr, "{}: zone {} does not verify: {} problem{}{}\n", command.file, origin.to_text(),
                   report.error_count, report.error_count == 1 ? "" : "s",
                   report.error_count > report.errors.size() ? " (first ones shown)" : "");
        return 1;
    }
    fmt::print("{}: zone {} verifies: {} RRsets signed, {} signatures checked, {} chain complete\n", command.file,
               origin.to_text(), report.rrsets_checked, report.signatures_checked, report.denial);
    return 0;
}

} // namespace

void add_verify_command(CLI::App& app, Globals& globals, Handler& chosen)
{
    auto command = std::make_shared<VerifyCommand>();
    auto* cmd = app.add_subcommand("verify", "verify a signed zone file (signatures, denial chain, validity)");
    cmd->add_option("--origin", command->origin, "the zone's apex name")->required();
    cmd->add_option("file", command->file, "signed master file")->required();
    cmd->add_flag("--structural", command->structural,
                  "check presence, validity windows and chains only, not the signatures themselves");
    cmd->add_option("--threads", command->threads, "verification threads (default: one per core)");
    cmd->callback([&globals, &chosen, command] { chosen = [&globals, command] { return verify(globals, *command); }; });
}

} // namespace signet::cli
