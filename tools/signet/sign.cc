// signet sign NAME | --all: enforce, sign, verify, write, notify.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <signet/app/enforce.h>
#include <signet/app/health.h>
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
    bool force = false;
    bool check_output = false;
};

// One zone of a run; a zone that runs out of memory or trips over anything
// else unexpected fails alone, and the run goes on with the next.
Result<app::SignReport> sign_one(app::Context& context, const std::string& name, const Clock& clock,
                                 const app::SignOptions& options)
{
    try {
        return app::sign_zone(context, name, clock, options);
    } catch (const std::bad_alloc&) {
        return fail(ErrorCode::Internal, fmt::format("zone '{}' was not signed: out of memory; its output, the store "
                                                     "and the keys are as they were",
                                                     name));
    } catch (const std::exception& e) {
        return fail(ErrorCode::Internal, fmt::format("zone '{}' was not signed: internal error: {}; its output, the "
                                                     "store and the keys are as they were",
                                                     name, e.what()));
    }
}

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
    auto context = SIGNET_TRY(globals.open(app::Access::Write));
    auto clock = SIGNET_TRY(globals.clock());
    options.force = command.force;
    options.check_output = command.check_output;
    // What runs killed before us left behind: half-published outputs,
    // temporary files, token objects no committed run knows.
    for (const auto& note : SIGNET_TRY(app::recover_outputs(context)))
        fmt::print(stderr, "signet: {}\n", note);
    if (auto collected = app::collect_unused_keys(context, clock->now()); !collected)
        fmt::print(stderr, "warning: {}\n", collected.error().to_string());
    else if (!collected->empty())
        fmt::print(stderr, "signet: destroyed {} token object{} that no key of the store uses (left by killed runs, "
                   "or of removed zones past their purge time)\n", collected->size(), collected->size() == 1 ? "" : "s");
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
    size_t done = 0;
    for (const auto& name : zones) {
        if (context.token_failed()) {
            // The token was tried once and refused (a wrong or locked PIN,
            // a module that does not load): trying again per zone would
            // only lock a real HSM's PIN.
            auto cause = context.token();
            std::string why = cause ? std::string("the token cannot be used") : cause.error().to_string();
            fmt::print(stderr, "signet: {} zone{} not signed, their outputs are unchanged: {}\n", zones.size() - done,
                       zones.size() - done == 1 ? "" : "s", why);
            for (size_t i = done; i < zones.size(); ++i)
                results.push_back({ { "zone", zones[i] }, { "ok", false }, { "error", "not tried: " + why } });
            status = 1;
            break;
        }
        ++done;
        auto report = sign_one(context, name, *clock, options);
        if (auto warning = app::note_signing(context, name, clock->now(), report))
            fmt::print(stderr, "{}\n", *warning);
        if (!report) {
            fmt::print(stderr, "{}\n", zone_error_text(name, report.error()));
            // What the failure costs: the published version ages on.
            if (auto zone = context.db.find_zone(name); zone && *zone) {
                if (auto policy = context.policy((*zone)->policy)) {
                    if (auto warning = app::expiry_warning(**zone, **policy, clock->now()))
                        fmt::print(stderr, "warning: {}\n", *warning);
                }
            }
            results.push_back({ { "zone", name }, { "ok", false }, { "error", report.error().to_string() } });
            status = 1;
            continue;
        }
        for (const auto& warning : report->stats.warnings)
            fmt::print(stderr, "{}\n", warning);
        if (report->input_error)
            fmt::print(stderr, "{}\nzone '{}': its last good version was signed again instead, so that its signatures "
                       "do not run out; fix the input\n",
                       *report->input_error, report->zone);
        if (report->alarm)
            status = 1;
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
            auto next_work = report->next_event ? nlohmann::json(format_time(*report->next_event)) : nlohmann::json(nullptr);
            results.push_back({ { "zone", report->zone },
                                { "ok", true },
                                { "changed", report->changed },
                                { "serial", s.serial },
                                { "output", report->output.string() },
                                { "rrsets", s.rrsets },
                                { "signatures", s.signatures },
                                { "signatures_reused", s.signatures_reused },
                                { "denial", report->denial },
                                { "denial_records", s.denial_records },
                                { "new_keys", keys },
                                { "seconds", report->seconds },
                                { "next_event", next_work },
                                { "next_work", next_work },
                                { "todo", report->todo },
                                { "input_error", report->input_error ? nlohmann::json(*report->input_error)
                                                                     : nlohmann::json(nullptr) },
                                { "insecure", report->insecure },
                                { "earliest_expiration", report->insecure ? nlohmann::json(nullptr)
                                                                          : nlohmann::json(format_time(s.earliest_expiration)) } });
            continue;
        }
        if (report->insecure) {
            fmt::print("{}: serial {} written without DNSSEC (the zone is insecure): {} RRsets, in {:.2f} s\n",
                       report->zone, s.serial, s.rrsets, report->seconds);
            fmt::print("  written to {}\n", report->output.string());
            continue;
        }
        if (!report->changed) {
            fmt::print("{}: unchanged (serial {}); next work at {}\n", report->zone, s.serial,
                       report->next_event ? format_time(*report->next_event) : std::string("none"));
            for (const auto& line : report->todo)
                fmt::print("  to do: {}\n", line);
            continue;
        }
        fmt::print("{}: serial {} signed: {} RRsets, {} signatures made, {} kept, {} {} records, in {:.2f} s\n",
                   report->zone, s.serial, s.rrsets, s.signatures, s.signatures_reused, s.denial_records,
                   report->denial, report->seconds);
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
    cmd->add_flag("--force", command->force,
                  "make every signature anew, and sign although the clock is before the last signing or more than "
                  "signature-validity after it");
    cmd->add_flag("--check-output", command->check_output,
                  "read the written file back and check it again before it replaces the output");
    changes_state(cmd, globals);
    cmd->callback([&globals, &chosen, command] { chosen = [&globals, command] { return sign(globals, *command); }; });
}

} // namespace signet::cli
