// signet health [NAME] [--json]: for monitoring, with the plugin exit
// convention (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN) instead of the 0/1/2
// of the other commands.
#include <fmt/format.h>

#include <signet/app/health.h>

#include "command.h"

namespace signet::cli {

namespace {

constexpr int unknown = static_cast<int>(app::HealthStatus::Unknown);

Result<int> health(const Globals& globals, const std::string& zone)
{
    auto report = [&]() -> Result<app::HealthReport> {
        auto context = SIGNET_TRY(globals.open(app::Access::Read));
        auto clock = SIGNET_TRY(globals.clock());
        std::optional<std::string_view> only;
        if (!zone.empty())
            only = zone;
        return app::check_health(context, only, clock->now());
    }();
    if (!report) {
        // Not a verdict on the zones: the check itself could not run.
        if (globals.json)
            fmt::print("{}\n", nlohmann::json({ { "status", "UNKNOWN" }, { "exit", unknown },
                                                { "error", report.error().to_string() } })
                                   .dump(2));
        else
            fmt::print("SIGNET UNKNOWN - {}\n", report.error().to_string());
        return unknown;
    }
    const int status = static_cast<int>(report->status);
    if (globals.json) {
        nlohmann::json problems = nlohmann::json::array();
        for (const auto& problem : report->problems)
            problems.push_back({ { "status", app::health_status_text(problem.status) },
                                 { "zone", problem.zone.empty() ? nlohmann::json(nullptr) : nlohmann::json(problem.zone) },
                                 { "message", problem.message } });
        fmt::print("{}\n", nlohmann::json({ { "status", app::health_status_text(report->status) },
                                            { "exit", status },
                                            { "zones", report->zones },
                                            { "problems", problems } })
                               .dump(2));
        return status;
    }
    size_t counts[4] = {};
    for (const auto& problem : report->problems)
        ++counts[static_cast<int>(problem.status)];
    std::string summary;
    for (auto level : { app::HealthStatus::Unknown, app::HealthStatus::Critical, app::HealthStatus::Warning }) {
        if (size_t n = counts[static_cast<int>(level)])
            summary += fmt::format("{}{} {}", summary.empty() ? "" : ", ", n, app::health_status_text(level));
    }
    fmt::print("SIGNET {} - {} zone{}{}{}\n", app::health_status_text(report->status), report->zones,
               report->zones == 1 ? "" : "s", summary.empty() ? ", no problems" : ": ", summary);
    for (const auto& problem : report->problems)
        fmt::print("{} {}{}{}\n", app::health_status_text(problem.status), problem.zone,
                   problem.zone.empty() ? "" : ": ", problem.message);
    return status;
}

} // namespace

void add_health_command(CLI::App& app, Globals& globals, Handler& chosen)
{
    auto zone = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("health", "for monitoring: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, one line "
                                             "per problem naming the zone and what to do");
    cmd->add_option("zone", *zone, "only this zone");
    cmd->callback([&globals, &chosen, zone] { chosen = [&globals, zone] { return health(globals, *zone); }; });
}

} // namespace signet::cli
