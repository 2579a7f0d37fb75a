// signet key …: a zone's keys (list, history), the parent's confirmations
// (ds-seen, ds-gone) and rollovers by hand; and signet enforce.
#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <signet/app/enforce.h>
#include <signet/base/process.h>
#include <signet/crypto/algorithm.h>

#include "command.h"

namespace signet::cli {

namespace {

Result<int> list(const Globals& globals, const std::string& only)
{
    auto context = SIGNET_TRY(globals.open(app::Access::Read));
    std::vector<enforcer::ZoneEntry> zones;
    if (only.empty())
        zones = SIGNET_TRY(context.db.list_zones());
    else
        zones.push_back(SIGNET_TRY(context.zone(only)));
    nlohmann::json out = nlohmann::json::array();
    for (const auto& zone : zones) {
        for (const auto& k : SIGNET_TRY(context.db.keys_of(zone.id))) {
            if (globals.json) {
                nlohmann::json entry = key_json(k);
                entry["zone"] = zone.name;
                out.push_back(std::move(entry));
                continue;
            }
            fmt::print("{} {} {} {} {}  goal {}  DS {} DNSKEY {} KRRSIG {} ZRRSIG {}  created {}{}\n", zone.name,
                       enforcer::key_role_to_text(k.role), k.key_tag, crypto::algorithm_to_text(k.algorithm), k.bits,
                       enforcer::key_goal_to_text(k.goal), enforcer::record_state_to_text(k.ds.state),
                       enforcer::record_state_to_text(k.dnskey.state), enforcer::record_state_to_text(k.krrsig.state),
                       enforcer::record_state_to_text(k.zrrsig.state), format_time(k.created),
                       k.removed ? fmt::format("  removed {}", format_time(*k.removed)) : std::string());
        }
    }
    if (globals.json)
        fmt::print("{}\n", out.dump(2));
    return 0;
}

Result<uint16_t> parse_key_tag(const std::string& text)
{
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value > 65535)
        return fail(ErrorCode::Usage, fmt::format("'{}' is not a key tag (0-65535)", text));
    return static_cast<uint16_t>(value);
}

Result<int> confirm(const Globals& globals, const std::string& zone, const std::string& tag, bool seen)
{
    uint16_t key_tag = SIGNET_TRY(parse_key_tag(tag));
    auto context = SIGNET_TRY(globals.open(app::Access::Write));
    auto clock = SIGNET_TRY(globals.clock());
    auto key = SIGNET_TRY(app::confirm_ds(context, zone, key_tag, seen, *clock));
    fmt::print("{}: the parent {} the DS of {} {}; `signet sign` moves the keys on\n", zone,
               seen ? "publishes" : "no longer publishes", enforcer::key_role_to_text(key.role), key.key_tag);
    return 0;
}

Result<int> rollover(const Globals& globals, const std::string& zone, const std::string& role_text, bool emergency)
{
    auto role = enforcer::key_role_from_text(role_text);
    if (!role)
        return fail(ErrorCode::Usage, fmt::format("--role must be ksk, zsk or csk, not '{}'", role_text));
    auto context = SIGNET_TRY(globals.open(app::Access::Write));
    auto clock = SIGNET_TRY(globals.clock());
    auto report = SIGNET_TRY(app::request_rollover(context, zone, *role, emergency, *clock));
    for (const auto& key : report.keys)
        fmt::print("{}: {} rollover of {} {} starts at the next `signet sign {}`\n", zone,
                   emergency ? "an emergency" : "a", enforcer::key_role_to_text(key.role), key.key_tag,
                   shell_quote(zone));
    auto hours = std::chrono::duration_cast<std::chrono::hours>(report.expected).count();
    fmt::print("  it takes at least {} h ({:.1f} days) with this policy{}; `signet zone status {}` follows it\n", hours,
               static_cast<double>(hours) / 24.0,
               *role == enforcer::KeyRole::ZSK ? "" : ", plus the time the parent takes to publish the new DS",
               shell_quote(zone));
    if (emergency)
        fmt::print("  the compromised key stays published until its successor is in every cache: removing it "
                   "sooner would break validation for resolvers that still hold it\n");
    return 0;
}

// signet key lost: a new key takes over at once from one whose private key
// is gone; says what resolvers will see meanwhile.
Result<int> lost(const Globals& globals, const std::string& zone, const std::string& tag)
{
    uint16_t key_tag = SIGNET_TRY(parse_key_tag(tag));
    auto context = SIGNET_TRY(globals.open(app::Access::Write));
    auto clock = SIGNET_TRY(globals.clock());
    auto report = SIGNET_TRY(app::replace_lost_key(context, zone, key_tag, *clock));
    const auto& fresh = report.replacement;
    fmt::print("{}: {} {} replaces lost {} {}; it is published and signs from the next `signet sign {}`\n", zone,
               enforcer::key_role_to_text(fresh.role), fresh.key_tag, enforcer::key_role_to_text(report.lost.role),
               report.lost.key_tag, shell_quote(zone));
    for (const auto& line : report.gap)
        fmt::print("  expect a validation gap: {}\n", line);
    return 0;
}

Result<int> history(const Globals& globals, const std::string& name)
{
    auto context = SIGNET_TRY(globals.open(app::Access::Read));
    auto zone = SIGNET_TRY(context.zone(name));
    auto events = SIGNET_TRY(context.db.events_of(zone.id));
    if (globals.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& e : events)
            out.push_back({ { "time", format_time(e.time) }, { "event", e.event }, { "detail", e.detail } });
        fmt::print("{}\n", out.dump(2));
        return 0;
    }
    for (const auto& e : events)
        fmt::print("{}  {:<12} {}\n", format_time(e.time), e.event, e.detail);
    return 0;
}

Result<int> enforce(const Globals& globals, const std::string& zone, bool all)
{
    if (all == !zone.empty())
        return fail(ErrorCode::Usage, "name a zone, or give --all");
    auto context = SIGNET_TRY(globals.open(app::Access::Write));
    auto clock = SIGNET_TRY(globals.clock());
    if (auto collected = app::collect_unused_keys(context, clock->now()); !collected)
        fmt::print(stderr, "warning: {}\n", collected.error().to_string());
    std::vector<std::string> names;
    std::vector<Result<app::EnforceReport>> reports;
    if (all) {
        auto zones = SIGNET_TRY(context.db.list_zones());
        for (const auto& z : zones)
            names.push_back(z.name);
        reports = app::enforce_zones(context, zones, *clock);
    } else {
        names.push_back(zone);
        reports.push_back(app::enforce_zone(context, zone, *clock));
    }
    nlohmann::json out = nlohmann::json::array();
    int status = 0;
    for (size_t i = 0; i < names.size(); ++i) {
        const std::string& name = names[i];
        auto& report = reports[i];
        if (!report) {
            fmt::print(stderr, "{}\n", zone_error_text(name, report.error()));
            out.push_back({ { "zone", name }, { "ok", false }, { "error", report.error().to_string() } });
            status = 1;
            continue;
        }
        for (const auto& warning : report->warnings)
            fmt::print(stderr, "warning: {}\n", warning);
        if (report->expiring) {
            fmt::print(stderr, "warning: {}\n", *report->expiring);
            status = 1;
        }
        if (globals.json) {
            out.push_back({ { "zone", report->zone },
                            { "ok", true },
                            { "next_event", time_json(report->next_event) },
                            { "needs_signing", report->needs_signing },
                            { "expiring", report->expiring ? nlohmann::json(*report->expiring) : nlohmann::json(nullptr) },
                            { "changes", report->changes },
                            { "todo", report->todo } });
            continue;
        }
        fmt::print("{}: next event {}\n", report->zone,
                   report->next_event ? format_time(*report->next_event) : std::string("none (waiting for you)"));
        for (const auto& change : report->changes)
            fmt::print("  {}\n", change);
        for (const auto& line : report->todo)
            fmt::print("  to do: {}\n", line);
    }
    if (globals.json)
        fmt::print("{}\n", out.dump(2));
    return status;
}

// signet key gc: the token objects that runs recorded as about to be made
// and never committed, and the keys of zones removed with --force whose
// purge time has come; nothing else in the token is touched.
Result<int> gc(const Globals& globals)
{
    auto context = SIGNET_TRY(globals.open(app::Access::Write));
    auto clock = SIGNET_TRY(globals.clock());
    TimePoint now = clock->now();
    auto destroyed = SIGNET_TRY(app::collect_unused_keys(context, now));
    auto left = SIGNET_TRY(context.db.uncommitted_keys(now));
    std::vector<enforcer::KeyDb::RetainedKey> kept;
    for (auto& key : SIGNET_TRY(context.db.retained_keys())) {
        if (key.purge_after > now)
            kept.push_back(std::move(key));
    }
    if (globals.json) {
        nlohmann::json retained = nlohmann::json::array();
        for (const auto& key : kept)
            retained.push_back({ { "locator", key.locator }, { "purge_after", time_json(key.purge_after) },
                                 { "note", key.note } });
        fmt::print("{}\n", nlohmann::json({ { "destroyed", destroyed }, { "left", left }, { "retained", retained } })
                               .dump(2));
    } else {
        fmt::print("destroyed {} token object{} that no key of the store uses\n", destroyed.size(),
                   destroyed.size() == 1 ? "" : "s");
        for (const auto& locator : destroyed)
            fmt::print("  {}\n", locator);
        for (const auto& key : kept)
            fmt::print("kept until {}: {} ({})\n", format_time(key.purge_after), key.locator, key.note);
        for (const auto& locator : left)
            fmt::print(stderr, "could not destroy {}; `signet key gc` tries again\n", locator);
    }
    return left.empty() ? 0 : 1;
}

} // namespace

void add_key_commands(CLI::App& app, Globals& globals, Handler& chosen)
{
    auto* key = app.add_subcommand("key", "keys: list, ds-seen, ds-gone, rollover, lost, history, gc");
    key->require_subcommand(1);

    auto list_zone = std::make_shared<std::string>();
    auto* list_cmd = key->add_subcommand("list", "the keys of one zone or of all");
    list_cmd->add_option("zone", *list_zone, "the zone (default: all)");
    list_cmd->callback([&globals, &chosen, list_zone] { chosen = [&globals, list_zone] { return list(globals, *list_zone); }; });

    for (bool seen : { true, false }) {
        auto zone = std::make_shared<std::string>();
        auto tag = std::make_shared<std::string>();
        auto* cmd = key->add_subcommand(seen ? "ds-seen" : "ds-gone",
                                        seen ? "confirm that the parent publishes the DS of a key"
                                             : "confirm that the parent no longer publishes the DS of a key");
        cmd->add_option("zone", *zone, "the zone")->required();
        cmd->add_option("keytag", *tag, "the key tag of the KSK or CSK")->required();
        changes_state(cmd, globals);
        cmd->callback([&globals, &chosen, zone, tag, seen] {
            chosen = [&globals, zone, tag, seen] { return confirm(globals, *zone, *tag, seen); };
        });
    }

    auto roll_zone = std::make_shared<std::string>();
    auto roll_role = std::make_shared<std::string>();
    auto emergency = std::make_shared<bool>(false);
    auto* roll_cmd = key->add_subcommand("rollover", "roll a zone's key of one role now, whatever its lifetime");
    roll_cmd->add_option("zone", *roll_zone, "the zone")->required();
    roll_cmd->add_option("--role", *roll_role, "ksk, zsk or csk")->required();
    roll_cmd->add_flag("--emergency", *emergency, "the key is compromised: take the fastest safe path");
    changes_state(roll_cmd, globals);
    roll_cmd->callback([&globals, &chosen, roll_zone, roll_role, emergency] {
        chosen = [&globals, roll_zone, roll_role, emergency] {
            return rollover(globals, *roll_zone, *roll_role, *emergency);
        };
    });

    auto lost_zone = std::make_shared<std::string>();
    auto lost_tag = std::make_shared<std::string>();
    auto* lost_cmd = key->add_subcommand("lost", "a key's private key is gone from the token: a new key signs at once");
    lost_cmd->add_option("zone", *lost_zone, "the zone")->required();
    lost_cmd->add_option("keytag", *lost_tag, "the key tag of the lost key")->required();
    changes_state(lost_cmd, globals);
    lost_cmd->callback([&globals, &chosen, lost_zone, lost_tag] {
        chosen = [&globals, lost_zone, lost_tag] { return lost(globals, *lost_zone, *lost_tag); };
    });

    auto* gc_cmd = key->add_subcommand("gc", "destroy token objects of runs that never committed, and of removed zones past their purge time");
    changes_state(gc_cmd, globals);
    gc_cmd->callback([&globals, &chosen] { chosen = [&globals] { return gc(globals); }; });

    auto history_zone = std::make_shared<std::string>();
    auto* history_cmd = key->add_subcommand("history", "every key event of a zone, oldest first");
    history_cmd->add_option("zone", *history_zone, "the zone")->required();
    history_cmd->callback(
        [&globals, &chosen, history_zone] { chosen = [&globals, history_zone] { return history(globals, *history_zone); }; });
}

void add_enforce_command(CLI::App& app, Globals& globals, Handler& chosen)
{
    auto zone = std::make_shared<std::string>();
    auto all = std::make_shared<bool>(false);
    auto* cmd = app.add_subcommand("enforce", "run the enforcer at --now and print each zone's next event");
    cmd->add_option("zone", *zone, "the zone");
    cmd->add_flag("--all", *all, "every registered zone");
    changes_state(cmd, globals);
    cmd->callback([&globals, &chosen, zone, all] { chosen = [&globals, zone, all] { return enforce(globals, *zone, *all); }; });
}

} // namespace signet::cli
