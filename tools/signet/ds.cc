// signet ds NAME: the DS records the parent should hold, and what to change.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <signet/app/pipeline.h>
#include <signet/base/process.h>

#include "command.h"

namespace signet::cli {

namespace {

Result<int> ds(const Globals& globals, const std::string& zone)
{
    auto context = SIGNET_TRY(globals.open(app::Access::Read));
    auto records = SIGNET_TRY(app::ds_records(context, zone));
    if (globals.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& r : records)
            out.push_back({ { "key_tag", r.key.key_tag },
                            { "role", enforcer::key_role_to_text(r.key.role) },
                            { "algorithm", static_cast<int>(r.key.algorithm) },
                            { "action", r.action },
                            { "from", r.from ? nlohmann::json(format_time(*r.from)) : nlohmann::json(nullptr) },
                            { "ds", r.ds },
                            { "dnskey", r.dnskey } });
        fmt::print("{}\n", out.dump(2));
        return 0;
    }
    if (records.empty()) {
        fmt::print("{}: no keys yet; `signet sign {}` generates them\n", zone, shell_quote(zone));
        return 0;
    }
    for (const auto& action : { "pending", "add", "keep", "remove" }) {
        bool header = false;
        for (const auto& r : records) {
            if (r.action != action)
                continue;
            if (!header) {
                std::string from = r.from ? format_time(*r.from) : std::string("a later signing");
                if (std::string_view(action) == "pending")
                    fmt::print("; for the parent (submit to the registry) once the zone is signed in every cache, "
                               "from {}:\n",
                               from);
                else
                    fmt::print("; {}\n", std::string_view(action) == "add" ? "the parent must add (submit to the registry):"
                                   : std::string_view(action) == "keep" ? "the parent holds (keep):"
                                                                        : "the parent must remove:");
                header = true;
            }
            fmt::print("{}\n", r.ds);
            fmt::print("; {} {}: {}\n", enforcer::key_role_to_text(r.key.role), r.key.key_tag, r.dnskey);
        }
    }
    return 0;
}

} // namespace

void add_ds_command(CLI::App& app, Globals& globals, Handler& chosen)
{
    auto zone = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("ds", "the DS (and DNSKEY) records the parent must hold now");
    cmd->add_option("zone", *zone, "the zone")->required();
    cmd->callback([&globals, &chosen, zone] { chosen = [&globals, zone] { return ds(globals, *zone); }; });
}

} // namespace signet::cli
