// signet sign NAME | --all: enforce, sign, verify, write, notify.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <signet/app/enforce.h>
#include <signet/app/pipeline.h>
#include <signet/crypto/algorithm.h>

#include "command.h"

namespace signet::cli {

namespace {

struct SignCommand {
    std::vector<std::string> zones;
    bool all = false;
    unsigned threads = 0;
    std::string verify = "full";
};

Result<int> sign(const Globals& globals, const SignCommand& command)
{
    if (command.all == !command.zones.empty())
        return fail(ErrorCode::Usage, "name the zones to sign, or give --all");
    app::SignOptions options;
    options.threads = command.threads;
    if (command.verify == "structural")
        options.verification = signer::Verification::Structural;
    else if (command.verify != "full")
        return fail(ErrorCode::Usage, fmt::format("--verify must be full or structural, not '{}'", command.verify));
    auto context = SIGNET_TRY(app::Context::open(globals.state, globals.config));
    auto clock = SIGNET_TRY(globals.clock());
    std::vector<std::string> zones = command.zones;
    if (command.all) {
        auto all = SIGNET_TRY(context.db.list_zones());
        for (const auto& zone : all)
            zones.push_back(zone.name);
        // The keys the zones will ask for, made on every session at once;
        // each sign_zone() plans again with its input's largest TTL.
        app::plan_steps(context, all, clock->now(), true, command.threads);
    }
    nlohmann::json results = nlohmann::json::array();
    int status = 0;
    for (const auto& name : zones) {
        auto report = app::sign_zone(context, name, *clock, options);
        if (!report) {
            fmt::print(stderr, "{}\n", report.error().to_string());
            results.push_back({ { "zone", name }, { "ok", false }, { "error", report.error().to_string() } });
            status = 1;
            continue;
        }
        for (const auto& warning : report->stats.warnings)
            fmt::print(stderr, "{}\n", warning);
        if (report->notify_failure) {
            fmt::print(stderr, "{}: {}\n", report->zone, *report->notify_failure);
            status = 1;
        }
        const auto& s = report->stats;
        if (globals.json) {
            nlohmann::json keys = nlohmann::json::array();
            for (const auto& key : report->new_keys)
                keys.push_back({ { "role", enforcer::key_role_to_text(key.role) },
                                 { "key_tag", key.key_tag },
                                 { "algorithm", crypto::algorithm_to_text(key.algorithm) } });
            results.push_back({ { "zone", report->zone },
                                { "ok", true },
                                { "serial", s.serial },
                                { "output", report->output.string() },
                                { "rrsets", s.rrsets },
                                { "signatures", s.signatures },
                                { "denial", report->denial },
                                { "denial_records", s.denial_records },
                                { "new_keys", keys },
                                { "seconds", report->seconds },
                                { "next_event", report->next_event ? nlohmann::json(format_time(*report->next_event))
                                                                   : nlohmann::json(nullptr) },
                                { "todo", report->todo },
                                { "earliest_expiration", format_time(s.earliest_expiration) } });
            continue;
        }
        fmt::print("{}: serial {} signed: {} RRsets, {} signatures, {} {} records, in {:.2f} s\n", report->zone,
                   s.serial, s.rrsets, s.signatures, s.denial_records, report->denial, report->seconds);
        fmt::print("  written to {}; first signature expires {}\n", report->output.string(),
                   format_time(s.earliest_expiration));
        for (const auto& key : report->new_keys)
            fmt::print("  new {} {} ({}) generated in the token and published\n",
                       enforcer::key_role_to_text(key.role), key.key_tag, crypto::algorithm_to_text(key.algorithm));
        if (report->next_event)
            fmt::print("  the keys move on next at {}\n", format_time(*report->next_event));
        for (const auto& line : report->todo)
            fmt::print("  to do: {}\n", line);
    }
    if (globals.json)
        fmt::print("{}\n", results.dump(2));
    return status;
}

} // namespace

void add_sign_command(CLI::App& app, Globals& globals, Handler& chosen)
{
    auto command = std::make_shared<SignCommand>();
    auto* cmd = app.add_subcommand("sign", "sign zones: keys, DNSKEY/CDS, NSEC(3), RRSIGs, self-check, atomic write");
    cmd->add_option("zones", command->zones, "zones to sign");
    cmd->add_flag("--all", command->all, "sign every registered zone");
    cmd->add_option("--threads", command->threads, "signing threads, one PKCS#11 session each (default: all cores)");
    cmd->add_option("--verify", command->verify,
                    "full: check every new signature with OpenSSL (default); structural: chains and presence only");
    cmd->callback([&globals, &chosen, command] { chosen = [&globals, command] { return sign(globals, *command); }; });
}

} // namespace signet::cli
