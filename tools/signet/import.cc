// signet import bind: moving zones' keys in from BIND without a rollover.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <signet/app/import.h>
#include <signet/enforcer/keystate.h>

#include "command.h"

namespace signet::cli {

namespace {

// "dnskey omnipresent, krrsig omnipresent, ds omnipresent (seen)".
std::string states_text(const enforcer::KeyEntry& key)
{
    std::string out;
    for (auto [name, status] : { std::pair { "dnskey", key.dnskey }, { "krrsig", key.krrsig },
                                 { "zrrsig", key.zrrsig }, { "ds", key.ds } }) {
        if (status.state == enforcer::RecordState::NotApplicable)
            continue;
        out += fmt::format("{}{} {}", out.empty() ? "" : ", ", name, enforcer::record_state_to_text(status.state));
    }
    if (key.ds.state != enforcer::RecordState::NotApplicable)
        out += fmt::format(" (at the parent: {})", enforcer::ds_at_parent_to_text(key.ds_at_parent));
    if (key.goal == enforcer::KeyGoal::Absent)
        out += "; leaving";
    return out;
}

// The report of either import: per zone its keys, notes and problems.
Result<int> print_report(const Globals& globals, app::Context& context, const app::ImportReport& report)
{
    const bool clean = report.problems.empty()
        && std::ranges::all_of(report.zones, [](const auto& z) { return z.problems.empty(); });
    if (globals.json) {
        nlohmann::json zones = nlohmann::json::array();
        for (const auto& zone : report.zones) {
            nlohmann::json keys = nlohmann::json::array();
            for (const auto& key : zone.keys)
                keys.push_back(key_json(key));
            zones.push_back({ { "zone", zone.zone }, { "policy", zone.policy }, { "keys", keys },
                              { "notes", zone.notes }, { "problems", zone.problems } });
        }
        fmt::print("{}\n", nlohmann::json { { "imported", report.imported }, { "zones", zones },
                                            { "problems", report.problems }, { "notes", report.notes },
                                            { "settings", report.settings },
                                            { "left_out", report.left_out } }
                               .dump(2));
        if (!clean)
            return fail(ErrorCode::Policy, "nothing imported: every zone must be importable first");
        return 0;
    }
    for (const auto& setting : report.settings)
        fmt::print("signet.toml: {}\n", setting);
    for (const auto& note : report.notes)
        fmt::print("note: {}\n", note);
    for (const auto& problem : report.problems)
        fmt::print("cannot import: {}\n", problem);
    size_t keys = 0;
    for (const auto& zone : report.zones) {
        fmt::print("zone {} (policy {}): {} key{}\n", zone.zone, zone.policy, zone.keys.size(),
                   zone.keys.size() == 1 ? "" : "s");
        auto policy = context.policy(zone.policy);
        for (const auto& key : zone.keys) {
            fmt::print("  {}: {}\n", enforcer::key_name(key), states_text(key));
            if (policy && key.goal == enforcer::KeyGoal::Present && (key.active || key.published)) {
                auto due = enforcer::rollover_due(key, **policy, zone.keys);
                fmt::print("    next rollover: {}\n", due ? format_time(*due) : std::string("none (unlimited lifetime)"));
            }
        }
        for (const auto& note : zone.notes)
            fmt::print("  note: {}\n", note);
        for (const auto& problem : zone.problems)
            fmt::print("  cannot import: {}\n", problem);
        keys += zone.keys.size();
    }
    for (const auto& zone : report.left_out)
        fmt::print("left out (not registered, or not asked for): {}\n", zone);
    if (!clean)
        return fail(ErrorCode::Policy, "nothing imported: every zone must be importable first (see above)");
    if (!report.imported)
        fmt::print("dry run: {} zone{} with {} key{} would be imported\n", report.zones.size(),
                   report.zones.size() == 1 ? "" : "s", keys, keys == 1 ? "" : "s");
    else
        fmt::print("imported {} zone{} with {} key{}: the next `signet sign` publishes the same DNSKEY RRset\n",
                   report.zones.size(), report.zones.size() == 1 ? "" : "s", keys, keys == 1 ? "" : "s");
    return 0;
}

Result<int> import_bind(const Globals& globals, const app::BindImportOptions& options)
{
    auto context = SIGNET_TRY(globals.open(options.dry_run ? app::Access::Read : app::Access::Write));
    auto clock = SIGNET_TRY(globals.clock());
    auto report = SIGNET_TRY(app::import_bind(context, options, *clock));
    return print_report(globals, context, report);
}

Result<int> import_opendnssec(const Globals& globals, const app::OdsImportOptions& options)
{
    auto context = SIGNET_TRY(globals.open(options.dry_run ? app::Access::Read : app::Access::Write));
    auto clock = SIGNET_TRY(globals.clock());
    auto report = SIGNET_TRY(app::import_opendnssec(context, options, *clock));
    return print_report(globals, context, report);
}

} // namespace

void add_import_commands(CLI::App& app, Globals& globals, Handler& chosen)
{
    auto* import = app.add_subcommand("import", "move zones' keys in from another signer, without a rollover");
    import->require_subcommand(1);
    auto options = std::make_shared<app::BindImportOptions>();
    auto* bind = import->add_subcommand(
        "bind", "import the keys BIND keeps (K<zone>+<alg>+<tag>.key/.private/.state) into the store and the token");
    bind->add_option("--key-dir", options->key_dir, "BIND's key directory")->required();
    bind->add_option("zones", options->zones,
                     "registered zones to import (default: every registered zone with keys in the directory)");
    bind->add_flag("--dry-run", options->dry_run, "report what would be imported; change nothing");
    changes_state(bind, globals);
    bind->callback([&globals, &chosen, options] {
        chosen = [&globals, options] { return import_bind(globals, *options); };
    });

    auto ods = std::make_shared<app::OdsImportOptions>();
    auto environment = std::make_shared<std::vector<std::string>>();
    auto* opendnssec = import->add_subcommand(
        "opendnssec", "take over OpenDNSSEC 2.x's zones, policies and keys (the keys stay in its token); stop its "
                      "daemons first");
    opendnssec->add_option("--conf", ods->conf, "OpenDNSSEC's conf.xml")->capture_default_str();
    opendnssec->add_option("zones", ods->zones, "zones to import (default: all of OpenDNSSEC's)");
    opendnssec->add_option("--policy-prefix", ods->policy_prefix,
                           "put before each imported policy's name (e.g. ods-: `signet init` has a \"default\")");
    opendnssec->add_option("--hsm-env", *environment,
                           "NAME=VALUE for the token's module, e.g. SOFTHSM2_CONF=/etc/softhsm/softhsm2.conf (repeatable)");
    opendnssec->add_option("--pin-file", ods->pin_file, "the token's PIN (mode 0600), when conf.xml holds none");
    opendnssec->add_flag("--dry-run", ods->dry_run, "report what would be imported; change nothing");
    changes_state(opendnssec, globals);
    opendnssec->callback([&globals, &chosen, ods, environment] {
        chosen = [&globals, ods, environment]() -> Result<int> {
            for (const auto& item : *environment) {
                size_t equals = item.find('=');
                if (equals == std::string::npos || equals == 0)
                    return fail(ErrorCode::Usage, fmt::format("--hsm-env {}: not NAME=VALUE", item));
                ods->hsm_environment.emplace_back(item.substr(0, equals), item.substr(equals + 1));
            }
            return import_opendnssec(globals, *ods);
        };
    });
}

} // namespace signet::cli
