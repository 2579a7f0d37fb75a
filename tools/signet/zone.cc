// signet zone …: the zones of the store (add, list, remove, status) and
// `zone check` for any zone file.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <signet/app/enforce.h>
#include <signet/app/hooks.h>
#include <signet/app/journal.h>
#include <signet/app/pipeline.h>
#include <signet/app/signed_state.h>
#include <signet/app/zones.h>
#include <signet/base/regular_file.h>
#include <signet/crypto/algorithm.h>
#include <signet/dns/zone.h>
#include <signet/dns/zone_writer.h>

#include "command.h"

namespace signet::cli {

namespace {

struct CheckOptions {
    std::string origin;
    std::string file;
    std::string write; // optional: the zone in canonical form
};

struct Summary {
    std::map<std::string, size_t> records_by_type;
    size_t names = 0;
    size_t rrsets = 0;
    size_t records = 0;
    size_t delegations = 0;
    size_t delegations_with_ds = 0;
    size_t glue = 0;
    size_t occluded = 0;
    size_t wildcards = 0;
    size_t empty_non_terminals = 0;
};

// One pass over the RRsets, owner by owner.
Summary summarise(const dns::Zone& zone)
{
    Summary s;
    std::vector<size_t> by_type(65536, 0);
    s.names = zone.owner_count();
    s.rrsets = zone.size();
    s.records = zone.record_count();
    for (size_t i = 0; i < zone.size();) {
        const size_t end = zone.owner_end(i);
        if (zone.rrset(i).owner().is_wildcard())
            ++s.wildcards;
        bool delegation = false;
        bool has_ds = false;
        for (size_t k = i; k < end; ++k) {
            const dns::RRsetView rrset = zone.rrset(k);
            by_type[static_cast<uint16_t>(rrset.type())] += rrset.size();
            has_ds = has_ds || rrset.type() == dns::RRType::DS;
            switch (rrset.role()) {
            case dns::Role::Delegation: delegation = true; break;
            case dns::Role::Glue: s.glue += rrset.size(); break;
            case dns::Role::Occluded: ++s.occluded; break;
            case dns::Role::Authoritative: break;
            }
        }
        if (delegation) {
            ++s.delegations;
            if (has_ds)
                ++s.delegations_with_ds;
        }
        i = end;
    }
    for (size_t type = 0; type < by_type.size(); ++type) {
        if (by_type[type] != 0)
            s.records_by_type[dns::type_to_text(static_cast<dns::RRType>(type))] = by_type[type];
    }
    s.empty_non_terminals = zone.empty_non_terminals().size();
    return s;
}

Result<int> check(const Globals& globals, const CheckOptions& options)
{
    auto origin = SIGNET_TRY(parse_zone_name(options.origin, "--origin"));
    LoadSummary loaded;
    auto zone = SIGNET_TRY(load_zone_reporting(options.file, origin, &loaded));
    const size_t warnings = loaded.warnings;
    if (!options.write.empty()) {
        // The file is replaced, never written through: a symbolic link
        // would be replaced by a file (or, followed, lead anywhere, and
        // this may run as root), a device or FIFO cannot be replaced.
        std::error_code error;
        auto status = std::filesystem::symlink_status(options.write, error);
        if (!error && std::filesystem::is_symlink(status))
            return fail(ErrorCode::Io, fmt::format("--write {}: a symbolic link; give the file it should be",
                                                      options.write));
        if (!error && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status))
            return fail(ErrorCode::Io, fmt::format("--write {}: not a regular file", options.write));
        SIGNET_TRY(dns::write_zone_file(zone, options.write));
    }
    Summary s = summarise(zone);
    if (globals.json) {
        nlohmann::json out = {
            { "zone", zone.origin().to_text() },
            { "file", options.file },
            { "serial", zone.serial() },
            { "names", s.names },
            { "rrsets", s.rrsets },
            { "records", s.records },
            { "records_by_type", s.records_by_type },
            { "delegations", s.delegations },
            { "delegations_with_ds", s.delegations_with_ds },
            { "glue_records", s.glue },
            { "occluded_rrsets", s.occluded },
            { "wildcards", s.wildcards },
            { "empty_non_terminals", s.empty_non_terminals },
            { "warnings", warnings },
        };
        fmt::print("{}\n", out.dump(2));
        return 0;
    }
    fmt::print("{}: zone {} serial {} is OK\n", options.file, zone.origin().to_text(), zone.serial());
    fmt::print("  {} names, {} RRsets, {} records\n", s.names, s.rrsets, s.records);
    std::string types;
    for (const auto& [type, count] : s.records_by_type)
        types += fmt::format("{}{} {}", types.empty() ? "" : ", ", type, count);
    fmt::print("  by type: {}\n", types);
    fmt::print("  delegations: {} ({} with DS), glue records: {}, occluded RRsets: {}\n", s.delegations,
               s.delegations_with_ds, s.glue, s.occluded);
    fmt::print("  wildcards: {}, empty non-terminals: {}, warnings: {}\n", s.wildcards, s.empty_non_terminals,
               warnings);
    return 0;
}

struct AddCommand {
    std::string name;
    std::string input;
    std::string output;
    std::optional<std::string> policy;
    std::optional<std::string> from; // a list of zones or a BIND configuration; "-": standard input
    std::optional<std::string> output_dir; // for the zones of a BIND configuration
    std::optional<std::string> allow_transfer; // "REMOTE,..."
    std::optional<std::string> notify; // "REMOTE,..."
};

// The largest list `zone add --from` reads: 100 bytes a zone for a million.
constexpr uint64_t max_zone_list_bytes = 100ULL << 20;

Result<int> add(const Globals& globals, const AddCommand& command)
{
    app::ZoneList zones;
    if (command.from) {
        std::string file = *command.from;
        Result<std::string> read = fail(ErrorCode::Internal, "not read");
        if (file == "-") {
            file = "(standard input)";
            // The same cap as for a file: a pipe has no size to check first.
            RegularFile in { UniqueFd(::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0)), 0, 0 };
            read = read_capped(in, max_zone_list_bytes);
        } else {
            read = read_regular_file(file, max_zone_list_bytes);
        }
        if (!read)
            return fail(std::move(read.error().at({ file })));
        const std::string& text = *read;
        if (app::is_named_conf(text)) {
            if (!command.output_dir)
                return fail(ErrorCode::Usage, fmt::format("{} is a BIND configuration: give --output-dir for the "
                                                          "signed zones",
                                                          file));
            auto directory = *command.from == "-" ? std::filesystem::current_path()
                                                  : std::filesystem::absolute(file).parent_path();
            zones = app::read_named_conf(text, file, directory, std::filesystem::absolute(*command.output_dir),
                                         command.policy.value_or("default"));
        } else {
            if (command.policy || command.output_dir)
                return fail(ErrorCode::Usage, "a list names each zone's output and policy: no --policy or "
                                              "--output-dir with it");
            zones = app::read_zone_list(text, file, std::filesystem::current_path());
        }
    } else {
        if (command.name.empty() || command.input.empty() || command.output.empty())
            return fail(ErrorCode::Usage, "give NAME, --input and --output, or --from FILE");
        app::ZoneToAdd zone;
        zone.name = command.name;
        zone.input = std::filesystem::absolute(command.input);
        zone.output = std::filesystem::absolute(command.output);
        zone.policy = command.policy.value_or("default");
        zones.zones.push_back(std::move(zone));
    }
    auto context = SIGNET_TRY(globals.open(app::Access::Write));
    if (command.allow_transfer) {
        auto remotes = SIGNET_TRY(app::parse_remote_names(context.config, "--allow-transfer", *command.allow_transfer));
        for (auto& zone : zones.zones)
            zone.allow_transfer = remotes;
    }
    if (command.notify) {
        auto remotes = SIGNET_TRY(app::parse_remote_names(context.config, "--notify", *command.notify));
        for (auto& zone : zones.zones)
            zone.notify = remotes;
    }
    auto clock = SIGNET_TRY(globals.clock());
    auto report = SIGNET_TRY(app::add_zones(context, zones, clock->now()));
    if (globals.json) {
        fmt::print("{}\n", nlohmann::json({ { "added", report.added },
                                            { "unchanged", report.unchanged },
                                            { "left_out", zones.skipped } })
                               .dump(2));
        return 0;
    }
    for (const auto& skipped : zones.skipped)
        fmt::print("left out: {}\n", skipped);
    if (!command.from) {
        auto added = SIGNET_TRY(context.zone(report.added.front()));
        fmt::print("added zone {} (policy {}); sign it with `signet sign {}`\n", added.name, added.policy,
                   shell_quote(added.name));
        return 0;
    }
    const size_t added = report.added.size();
    std::string text = fmt::format("added {} zone{} from {}", added, added == 1 ? "" : "s", zones.file);
    if (!report.unchanged.empty())
        text += fmt::format(" ({} registered already, unchanged)", report.unchanged.size());
    if (added > 0)
        text += fmt::format("; sign {} with `signet sign --all`", added == 1 ? "it" : "them");
    fmt::print("{}\n", text);
    return 0;
}

// signet zone unsign: to insecure, safely (see app::unsign_zone).
Result<int> unsign(const Globals& globals, const std::string& name)
{
    auto context = SIGNET_TRY(globals.open(app::Access::Write));
    auto clock = SIGNET_TRY(globals.clock());
    auto report = SIGNET_TRY(app::unsign_zone(context, name, *clock));
    auto zone = SIGNET_TRY(context.zone(name));
    const std::string quoted = shell_quote(zone.name);
    fmt::print("zone {} is going insecure (since {})\n", zone.name, format_time(*zone.unsign_started));
    fmt::print("  1. sign it (`signet sign {}`): it publishes CDS and CDNSKEY DELETE (RFC 8078) and keeps its keys\n",
               quoted);
    for (const auto& key : report.retract)
        fmt::print("  2. have the parent remove the DS of {} {} (ds-retract-command runs if set), then run `signet "
                   "key ds-gone {} {}`\n",
                   enforcer::key_role_to_text(key.role), key.key_tag, quoted, key.key_tag);
    fmt::print("  3. once the DS is gone from every cache, the next `signet sign {}` publishes the zone without "
               "DNSSEC and destroys its keys\n",
               quoted);
    return 0;
}

struct SetCommand {
    std::string name;
    std::optional<std::string> input;
    std::optional<std::string> output;
    std::optional<std::string> policy;
    std::optional<std::string> allow_transfer;
    std::optional<std::string> notify;
};

std::string remote_list_text(const std::vector<std::string>& remotes)
{
    std::string out;
    for (const auto& remote : remotes)
        out += (out.empty() ? "" : ",") + remote;
    return out.empty() ? "none" : out;
}

// signet zone set: another input, output or policy for a registered zone.
// A new policy takes effect through the enforcer at the next sign or
// enforce: keys of another algorithm, size or layout get successors and go
// by the rollover the model allows, never at once.
Result<int> set(const Globals& globals, const SetCommand& command)
{
    if (!command.input && !command.output && !command.policy && !command.allow_transfer && !command.notify)
        return fail(ErrorCode::Usage, "nothing to change: give --input, --output, --policy, --allow-transfer or "
                                      "--notify");
    auto context = SIGNET_TRY(globals.open(app::Access::Write));
    auto clock = SIGNET_TRY(globals.clock());
    enforcer::ZoneEntry zone = SIGNET_TRY(context.zone(command.name));
    const enforcer::ZoneEntry before = zone;
    if (command.policy) {
        SIGNET_TRY(context.policy(*command.policy));
        zone.policy = *command.policy;
    }
    if (command.input) {
        zone.input = std::filesystem::absolute(*command.input);
        if (!std::filesystem::is_regular_file(zone.input))
            return fail(ErrorCode::Io, fmt::format("{}: not a regular file", zone.input.string()));
    }
    if (command.output)
        zone.output = std::filesystem::absolute(*command.output);
    if (command.allow_transfer)
        zone.allow_transfer
            = SIGNET_TRY(app::parse_remote_names(context.config, "--allow-transfer", *command.allow_transfer));
    if (command.notify)
        zone.notify = SIGNET_TRY(app::parse_remote_names(context.config, "--notify", *command.notify));
    SIGNET_TRY(app::check_zone_paths(context, zone, app::Neighbours::Checked));
    std::vector<std::string> changes;
    if (zone.policy != before.policy)
        changes.push_back(fmt::format("policy {} -> {}", before.policy, zone.policy));
    if (zone.input != before.input)
        changes.push_back(fmt::format("input {} -> {}", before.input.string(), zone.input.string()));
    if (zone.output != before.output) {
        changes.push_back(fmt::format("output {} -> {}", before.output.string(), zone.output.string()));
        // The new file is not the one the store last committed.
        zone.output_id.clear();
    }
    if (zone.allow_transfer != before.allow_transfer)
        changes.push_back(fmt::format("allow-transfer {} -> {}", remote_list_text(before.allow_transfer),
                                      remote_list_text(zone.allow_transfer)));
    if (zone.notify != before.notify)
        changes.push_back(fmt::format("notify {} -> {}", remote_list_text(before.notify), remote_list_text(zone.notify)));
    if (changes.empty()) {
        fmt::print("zone {}: nothing changed\n", zone.name);
        return 0;
    }
    std::string detail;
    for (const auto& change : changes)
        detail += (detail.empty() ? "" : "; ") + change;
    SIGNET_TRY(context.db.transaction([&]() -> Result<void> {
        SIGNET_TRY(context.db.update_zone(zone));
        SIGNET_TRY(context.db.add_event({ 0, zone.id, std::nullopt, clock->now(), "set", detail }));
        return {};
    }));
    fmt::print("zone {}: {}\n", zone.name, detail);
    if (zone.policy != before.policy)
        fmt::print("  keys that do not fit policy {} are rolled by the enforcer from the next `signet sign {}`; "
                   "`signet zone status {}` shows the rollover\n",
                   zone.policy, shell_quote(zone.name), shell_quote(zone.name));
    return 0;
}

Result<int> list(const Globals& globals)
{
    auto context = SIGNET_TRY(globals.open(app::Access::Read));
    auto zones = SIGNET_TRY(context.db.list_zones());
    auto clock = SIGNET_TRY(globals.clock());
    // Zones whose published signatures are near or past expiry: said on
    // stderr, and the exit status says it to cron.
    int status = 0;
    std::map<std::string, std::string> expiring;
    for (const auto& z : zones) {
        auto policy = context.policy(z.policy);
        if (!policy)
            continue;
        if (auto warning = app::expiry_warning(z, **policy, clock->now())) {
            fmt::print(stderr, "warning: {}\n", *warning);
            expiring[z.name] = *warning;
            status = 1;
        }
    }
    if (globals.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& z : zones)
            out.push_back({ { "zone", z.name },
                            { "policy", z.policy },
                            { "input", z.input.string() },
                            { "output", z.output.string() },
                            { "allow_transfer", z.allow_transfer },
                            { "notify", z.notify },
                            { "serial", z.serial ? nlohmann::json(*z.serial) : nlohmann::json(nullptr) },
                            { "signed", z.signed_at ? nlohmann::json(format_time(*z.signed_at)) : nlohmann::json(nullptr) },
                            { "expires", time_json(z.expires) },
                            { "expiring", expiring.contains(z.name) ? nlohmann::json(expiring[z.name]) : nlohmann::json(nullptr) } });
        fmt::print("{}\n", out.dump(2));
        return status;
    }
    for (const auto& z : zones)
        fmt::print("{}  policy {}  {}  {} -> {}\n", z.name, z.policy,
                   z.signed_at ? fmt::format("serial {} signed {}", *z.serial, format_time(*z.signed_at))
                               : std::string("not signed yet"),
                   z.input.string(), z.output.string());
    return status;
}

Result<int> remove(const Globals& globals, const std::string& name, bool force)
{
    auto context = SIGNET_TRY(globals.open(app::Access::Write));
    auto zone = SIGNET_TRY(context.zone(name));
    auto keys = SIGNET_TRY(context.db.keys_of(zone.id));
    // A DS at the parent (or one a parent may have taken from a published
    // CDS) pointing to a destroyed key makes the zone bogus for every
    // validating resolver: the DS goes first.
    std::vector<std::string> at_parent;
    for (const auto& key : keys) {
        using enforcer::RecordState;
        bool ds_shown = key.ds.state == RecordState::Rumoured || key.ds.state == RecordState::Omnipresent
            || key.ds.state == RecordState::Unretentive;
        bool talked = key.ds_at_parent != enforcer::DsAtParent::Unsubmitted;
        if (!key.removed && key.role != enforcer::KeyRole::ZSK && (ds_shown || talked))
            at_parent.push_back(fmt::format("{} {}", enforcer::key_role_to_text(key.role), key.key_tag));
    }
    if (!at_parent.empty() && !force) {
        std::string list;
        for (const auto& k : at_parent)
            list += (list.empty() ? "" : ", ") + k;
        return fail(ErrorCode::Conflict,
                    fmt::format("zone '{}': the parent may hold a DS for {}; destroying the key would make the "
                                "zone fail validation. Have the DS removed and confirm with `signet key ds-gone`, "
                                "or remove with --force",
                                zone.name, list));
    }
    auto clock = SIGNET_TRY(globals.clock());
    TimePoint now = clock->now();
    if (at_parent.empty()) {
        // The store no longer knows the keys; take them out of the token too
        // (named for destruction in the same transaction, so that a run
        // killed in between leaves them to the next one).
        SIGNET_TRY(context.db.transaction([&]() -> Result<void> {
            for (const auto& key : keys) {
                if (!key.removed) // a removed key was destroyed then
                    SIGNET_TRY(app::mark_for_destruction(context, key, now));
            }
            return context.db.remove_zone(zone.name);
        }));
        app::remove_signed_state(context.state_dir, zone.id);
        if (std::any_of(keys.begin(), keys.end(), [](const auto& key) { return !key.removed; })) {
            auto* token = SIGNET_TRY(context.token());
            for (const auto& key : keys) {
                if (key.removed)
                    continue;
                if (auto gone = app::forget_key(context, *token, key.locator); !gone)
                    fmt::print(stderr, "warning: zone '{}': {}\n", zone.name, gone.error().to_string());
            }
        }
        fmt::print("removed zone {} and its {} key{}; {} was left in place\n", zone.name, keys.size(),
                   keys.size() == 1 ? "" : "s", zone.output.string());
        return 0;
    }
    // Forced: the keys stay in the token until the policy's purge delay has
    // passed (the next sign, enforce or `key gc` after it destroys them), so
    // that the store from a backup taken before this removal still works.
    auto policy = context.policy(zone.policy); // gone from signet.toml: the default delay
    TimePoint purge_after = now + (policy ? (*policy)->purge_delay : enforcer::Policy {}.purge_delay);
    SIGNET_TRY(context.db.transaction([&]() -> Result<void> {
        for (const auto& key : keys) {
            if (!key.removed)
                SIGNET_TRY(context.db.retain_key(key.locator, zone.id, now, purge_after,
                                                 fmt::format("{} {} of removed zone {}", enforcer::key_role_to_text(key.role),
                                                             key.key_tag, zone.name)));
        }
        return context.db.remove_zone(zone.name);
    }));
    app::remove_signed_state(context.state_dir, zone.id);
    fmt::print(stderr, "warning: zone '{}': removed with --force while the parent may hold a DS for its keys\n",
               zone.name);
    fmt::print("removed zone {}; its keys stay in the token until {} (purge-delay), {} was left in place\n",
               zone.name, format_time(purge_after), zone.output.string());
    return 0;
}

// The state of a record in words an operator reads at a glance.
std::string record_words(const enforcer::RecordStatus& status)
{
    switch (status.state) {
    case enforcer::RecordState::NotApplicable: return "-";
    case enforcer::RecordState::Hidden: return "hidden";
    case enforcer::RecordState::Rumoured: return fmt::format("rumoured since {}", format_time(status.since));
    case enforcer::RecordState::Omnipresent: return "omnipresent";
    case enforcer::RecordState::Unretentive: return fmt::format("unretentive since {}", format_time(status.since));
    }
    return "?";
}

std::string key_stage(const enforcer::KeyEntry& k)
{
    using enforcer::RecordState;
    if (k.removed)
        return fmt::format("removed {}", format_time(*k.removed));
    if (k.goal == enforcer::KeyGoal::Absent)
        return "retiring: its records are being withdrawn";
    bool signs = k.krrsig.state == RecordState::Omnipresent || k.zrrsig.state == RecordState::Omnipresent;
    if (k.dnskey.state == RecordState::Hidden)
        return "new: waiting to be published";
    if (k.dnskey.state == RecordState::Rumoured)
        return "being published";
    if (!signs)
        return "published, not yet signing everywhere";
    if (k.ds.state == RecordState::Rumoured)
        return "active; its DS is being introduced at the parent";
    return "active";
}

Result<int> status(const Globals& globals, const std::string& name)
{
    auto context = SIGNET_TRY(globals.open(app::Access::Read));
    auto zone = SIGNET_TRY(context.zone(name));
    const auto& policy = *SIGNET_TRY(context.policy(zone.policy));
    auto keys = SIGNET_TRY(context.db.keys_of(zone.id));
    auto todo = app::operator_todo(zone, keys);
    auto clock = SIGNET_TRY(globals.clock());
    const TimePoint now = clock->now();
    // What the enforcer would do now, without doing it: a move due now
    // waits for the next signing.
    auto preview = enforcer::advance(keys, policy, now, false);
    std::optional<TimePoint> zone_next = preview.needs_signing ? std::optional(now) : preview.next_event;
    zone_next = SIGNET_TRY(app::next_zone_event(context, zone, policy, zone_next));
    if (zone_next && *zone_next < now)
        zone_next = now;
    auto expiring = app::expiry_warning(zone, policy, now);
    const int exit_status = expiring ? 1 : 0;
    if (expiring)
        fmt::print(stderr, "warning: {}\n", *expiring);
    auto next_of = [&](const enforcer::KeyEntry& k) {
        auto at = app::key_next_transition(k, policy, keys);
        return at && *at > now ? at : std::nullopt;
    };
    if (globals.json) {
        nlohmann::json out_keys = nlohmann::json::array();
        for (const auto& k : keys) {
            if (k.removed)
                continue;
            nlohmann::json entry = key_json(k);
            entry["stage"] = key_stage(k);
            entry["next_transition"] = time_json(next_of(k));
            out_keys.push_back(std::move(entry));
        }
        fmt::print("{}\n", nlohmann::json { { "zone", zone.name },
                                            { "policy", zone.policy },
                                            { "serial", zone.serial ? nlohmann::json(*zone.serial) : nlohmann::json(nullptr) },
                                            { "signed", time_json(zone.signed_at) },
                                            { "expires", time_json(zone.expires) },
                                            { "unsign_started", time_json(zone.unsign_started) },
                                            { "insecure_since", time_json(zone.insecure_since) },
                                            { "expiring", expiring ? nlohmann::json(*expiring) : nlohmann::json(nullptr) },
                                            { "keys", out_keys },
                                            { "next_event", time_json(zone_next) },
                                            { "todo", todo } }
                               .dump(2));
        return exit_status;
    }
    fmt::print("zone {}  policy {}\n", zone.name, zone.policy);
    fmt::print("  {}\n", zone.signed_at ? fmt::format("serial {} signed {}", *zone.serial, format_time(*zone.signed_at))
                                        : std::string("not signed yet"));
    if (zone.expires)
        fmt::print("  the published signatures expire from {}\n", format_time(*zone.expires));
    if (zone.insecure_since)
        fmt::print("  insecure: published without DNSSEC since {}\n", format_time(*zone.insecure_since));
    else if (zone.unsign_started)
        fmt::print("  going insecure since {}: CDS/CDNSKEY DELETE published; unsigned once every DS is gone\n",
                   format_time(*zone.unsign_started));
    for (const auto& k : keys) {
        if (k.removed)
            continue;
        fmt::print("  {} {} {}: {}\n", enforcer::key_role_to_text(k.role), k.key_tag,
                   crypto::algorithm_to_text(k.algorithm), key_stage(k));
        fmt::print("    DNSKEY {}; KRRSIG {}; ZRRSIG {}; DS {} (parent: {})\n", record_words(k.dnskey),
                   record_words(k.krrsig), record_words(k.zrrsig), record_words(k.ds),
                   enforcer::ds_at_parent_to_text(k.ds_at_parent));
        if (auto at = next_of(k))
            fmt::print("    next transition: {}\n", format_time(*at));
    }
    if (preview.needs_signing)
        fmt::print("  the keys can move on now: run `signet sign {}`\n", shell_quote(zone.name));
    else if (zone_next)
        fmt::print("  next event: {} (run `signet sign {}` then, or from cron)\n", format_time(*zone_next),
                   shell_quote(zone.name));
    if (todo.empty())
        fmt::print("  nothing for you to do now\n");
    for (const auto& line : todo)
        fmt::print("  to do now: {}\n", line);
    return exit_status;
}

} // namespace

// signet zone diff: the published versions' changes from the journal,
// IXFR-style (RFC 1995): per version the old SOA and the records removed,
// then the new SOA and the records added.
Result<int> diff(const Globals& globals, const std::string& name, std::optional<uint32_t> from)
{
    auto context = SIGNET_TRY(globals.open(app::Access::Read));
    auto zone = SIGNET_TRY(context.zone(name));
    const dns::Name root;
    dns::Name apex = SIGNET_TRY(dns::Name::from_text(zone.name, &root));
    auto versions = SIGNET_TRY(app::journal_since(context.db, zone, apex, from));
    // The SOA first, then the rest, one record per line.
    auto lines = [](const dns::Zone& records) {
        std::vector<std::string> out;
        for (bool soa : { true, false }) {
            for (dns::RRsetView rrset : records) {
                if ((rrset.type() == dns::RRType::SOA) != soa)
                    continue;
                for (std::string_view rdata : rrset.rdatas()) {
                    std::string line;
                    dns::append_record(line, rrset.owner(), rrset.ttl(), rrset.type(), rdata);
                    line.pop_back(); // its newline
                    out.push_back(std::move(line));
                }
            }
        }
        return out;
    };
    if (globals.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& v : versions)
            out.push_back({ { "serial_from", v.serial_from },
                            { "serial_to", v.serial_to },
                            { "time", format_time(v.time) },
                            { "removed", lines(v.changes.removed) },
                            { "added", lines(v.changes.added) } });
        fmt::print("{}\n", out.dump(2));
        return 0;
    }
    for (const auto& v : versions) {
        fmt::print("; serial {} -> {}, published {}\n", v.serial_from, v.serial_to, format_time(v.time));
        for (const auto& line : lines(v.changes.removed))
            fmt::print("-{}\n", line);
        for (const auto& line : lines(v.changes.added))
            fmt::print("+{}\n", line);
    }
    return 0;
}

void add_zone_commands(CLI::App& app, Globals& globals, Handler& chosen)
{
    auto* zone = app.add_subcommand("zone", "zones: add, set, list, remove, unsign, status, diff, check");
    zone->require_subcommand(1);

    auto options = std::make_shared<CheckOptions>();
    auto* check_cmd = zone->add_subcommand("check", "parse and check a zone file");
    check_cmd->add_option("--origin", options->origin, "the zone's apex name")->required();
    check_cmd->add_option("file", options->file, "master file")->required();
    check_cmd->add_option("--write", options->write,
                          "also write the zone, SOA first then canonical order, one record per line, to this regular file "
                          "(replaced atomically; a symbolic link or a device is refused)");
    check_cmd->callback([&globals, &chosen, options] { chosen = [&globals, options] { return check(globals, *options); }; });


    auto add_command = std::make_shared<AddCommand>();
    auto* add_cmd = zone->add_subcommand("add", "register a zone");
    auto* add_name = add_cmd->add_option("name", add_command->name, "the zone's name");
    auto* add_input = add_cmd->add_option("--input", add_command->input, "the unsigned zone file");
    auto* add_output = add_cmd->add_option("--output", add_command->output, "where the signed zone is written");
    add_cmd->add_option("--policy", add_command->policy, "policy from signet.toml (default: default)");
    auto* add_from = add_cmd->add_option("--from", add_command->from,
                                         "many zones in one transaction: a list, a line each: name input output "
                                         "[policy]; or a BIND named.conf, its primary zones (- reads standard input)");
    add_from->excludes(add_name)->excludes(add_input)->excludes(add_output);
    add_cmd->add_option("--output-dir", add_command->output_dir,
                        "with --from named.conf: where the signed zones are written (NAME.signed)")
        ->needs(add_from);
    add_cmd->add_option("--allow-transfer", add_command->allow_transfer,
                        "REMOTE,...: [remote.NAME] tables of signet.toml that may transfer the signed zone from "
                        "signetd (AXFR); each matches on its address and, if it names one, its TSIG key");
    add_cmd->add_option("--notify", add_command->notify,
                        "REMOTE,...: [remote.NAME] tables of signet.toml that signetd sends a NOTIFY (RFC 1996) to "
                        "at each new signed version, to the remote's address and port, signed with its TSIG key if "
                        "it names one");
    changes_state(add_cmd, globals);
    add_cmd->callback([&globals, &chosen, add_command] {
        chosen = [&globals, add_command] { return add(globals, *add_command); };
    });

    auto set_command = std::make_shared<SetCommand>();
    auto* set_cmd = zone->add_subcommand("set", "change a zone's input, output, policy (a new policy rolls keys safely), "
                                                "the remotes that may transfer it or those notified of new versions");
    set_cmd->add_option("name", set_command->name, "the zone")->required();
    set_cmd->add_option("--input", set_command->input, "the unsigned zone file");
    set_cmd->add_option("--output", set_command->output, "where the signed zone is written");
    set_cmd->add_option("--policy", set_command->policy, "policy from signet.toml");
    set_cmd->add_option("--allow-transfer", set_command->allow_transfer,
                        "REMOTE,...: the remotes that may transfer the zone from now on, in place of those before; "
                        "\"\" for none");
    set_cmd->add_option("--notify", set_command->notify,
                        "REMOTE,...: the remotes signetd notifies of new versions from now on, in place of those "
                        "before; \"\" for none");
    changes_state(set_cmd, globals);
    set_cmd->callback([&globals, &chosen, set_command] {
        chosen = [&globals, set_command] { return set(globals, *set_command); };
    });

    auto* list_cmd = zone->add_subcommand("list", "list the registered zones");
    list_cmd->callback([&globals, &chosen] { chosen = [&globals] { return list(globals); }; });

    auto name = std::make_shared<std::string>();
    auto force = std::make_shared<bool>(false);
    auto* remove_cmd = zone->add_subcommand("remove", "forget a zone and destroy its keys");
    remove_cmd->add_option("name", *name, "the zone")->required();
    remove_cmd->add_flag("--force", *force, "remove even while the parent may hold a DS for its keys");
    changes_state(remove_cmd, globals);
    remove_cmd->callback([&globals, &chosen, name, force] {
        chosen = [&globals, name, force] { return remove(globals, *name, *force); };
    });

    auto unsign_name = std::make_shared<std::string>();
    auto* unsign_cmd = zone->add_subcommand("unsign", "take a zone to insecure safely: CDS/CDNSKEY DELETE, DS "
                                                      "removal, then unsigned output");
    unsign_cmd->add_option("name", *unsign_name, "the zone")->required();
    changes_state(unsign_cmd, globals);
    unsign_cmd->callback(
        [&globals, &chosen, unsign_name] { chosen = [&globals, unsign_name] { return unsign(globals, *unsign_name); }; });

    auto diff_name = std::make_shared<std::string>();
    auto diff_from = std::make_shared<std::optional<uint32_t>>();
    auto* diff_cmd = zone->add_subcommand("diff", "what the published versions changed (from the journal)");
    diff_cmd->add_option("name", *diff_name, "the zone")->required();
    diff_cmd->add_option("--from", *diff_from, "every version since this serial (default: the last version only)");
    diff_cmd->callback([&globals, &chosen, diff_name, diff_from] {
        chosen = [&globals, diff_name, diff_from] { return diff(globals, *diff_name, *diff_from); };
    });

    auto status_name = std::make_shared<std::string>();
    auto* status_cmd = zone->add_subcommand("status", "keys, their states, and what to do next");
    status_cmd->add_option("name", *status_name, "the zone")->required();
    status_cmd->callback(
        [&globals, &chosen, status_name] { chosen = [&globals, status_name] { return status(globals, *status_name); }; });
}

} // namespace signet::cli
