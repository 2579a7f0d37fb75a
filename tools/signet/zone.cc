// signet zone …: zone commands. For now: `zone check`.
#include <map>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

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
    // Command-line names are absolute whether or not they end in a dot.
    const dns::Name root;
    auto origin = dns::Name::from_text(options.origin, root);
    if (!origin)
        return fail(Error(ErrorCode::Usage, fmt::format("--origin: {}", origin.error().message())));
    dns::Diagnostics diagnostics;
    auto zone = dns::load_zone_file(options.file, *origin, diagnostics);
    for (const auto& warning : diagnostics.warnings)
        fmt::print(stderr, "{}\n", Error(warning).with_context("warning").to_string());
    if (!zone) {
        for (const auto& error : diagnostics.errors)
            fmt::print(stderr, "{}\n", error.to_string());
        fmt::print(stderr, "{}: {} error{}{}; the zone was not accepted\n", options.file, diagnostics.errors.size(),
                   diagnostics.errors.size() == 1 ? "" : "s", diagnostics.full() ? " (stopped early)" : "");
        return 1;
    }
    if (!options.write.empty())
        SIGNET_TRY(dns::write_zone_file(*zone, options.write));
    Summary s = summarise(*zone);
    if (globals.json) {
        nlohmann::json out = {
            { "zone", zone->origin().to_text() },
            { "file", options.file },
            { "serial", zone->serial() },
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
            { "warnings", diagnostics.warnings.size() },
        };
        fmt::print("{}\n", out.dump(2));
        return 0;
    }
    fmt::print("{}: zone {} serial {} is OK\n", options.file, zone->origin().to_text(), zone->serial());
    fmt::print("  {} names, {} RRsets, {} records\n", s.names, s.rrsets, s.records);
    std::string types;
    for (const auto& [type, count] : s.records_by_type)
        types += fmt::format("{}{} {}", types.empty() ? "" : ", ", type, count);
    fmt::print("  by type: {}\n", types);
    fmt::print("  delegations: {} ({} with DS), glue records: {}, occluded RRsets: {}\n", s.delegations,
               s.delegations_with_ds, s.glue, s.occluded);
    fmt::print("  wildcards: {}, empty non-terminals: {}, warnings: {}\n", s.wildcards, s.empty_non_terminals,
               diagnostics.warnings.size());
    return 0;
}

} // namespace

void add_zone_commands(CLI::App& app, Globals& globals, Handler& chosen)
{
    auto* zone = app.add_subcommand("zone", "zones: check");
    zone->require_subcommand(1);

    auto options = std::make_shared<CheckOptions>();
    auto* check_cmd = zone->add_subcommand("check", "parse and check a zone file");
    check_cmd->add_option("--origin", options->origin, "the zone's apex name")->required();
    check_cmd->add_option("file", options->file, "master file")->required();
    check_cmd->add_option("--write", options->write,
                          "also write the zone in canonical order, one record per line, to this file");
    check_cmd->callback([&globals, &chosen, options] { chosen = [&globals, options] { return check(globals, *options); }; });
}

} // namespace signet::cli
