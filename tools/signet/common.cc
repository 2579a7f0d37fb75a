// What several nouns share: reading names and zone files the same way, with
// the same messages.
#include <fmt/format.h>

#include <signet/crypto/algorithm.h>

#include "command.h"

namespace signet::cli {

Result<dns::Name> parse_zone_name(std::string_view text, std::string_view what)
{
    // Command-line names are absolute whether or not they end in a dot.
    const dns::Name root;
    auto name = dns::Name::from_text(text, &root);
    if (!name)
        return fail(Error(ErrorCode::Usage, fmt::format("{}: {}", what, name.error().message())));
    return name;
}

Result<dns::Zone> load_zone_reporting(const std::filesystem::path& file, const dns::Name& origin, LoadSummary* summary)
{
    dns::Diagnostics diagnostics;
    auto zone = dns::load_zone_file(file, origin, diagnostics);
    for (const auto& warning : diagnostics.warnings)
        fmt::print(stderr, "{}\n", Error(warning).with_context("warning").to_string());
    if (diagnostics.omitted_warnings > 0)
        fmt::print(stderr, "{}: warning: {} more warnings not shown\n", file.string(), diagnostics.omitted_warnings);
    if (summary)
        *summary = { diagnostics.warnings.size() + diagnostics.omitted_warnings, diagnostics.differing_ttls };
    if (!zone) {
        for (const auto& error : diagnostics.errors)
            fmt::print(stderr, "{}\n", error.to_string());
        return fail(Error(ErrorCode::Parse,
                          fmt::format("{}: {} error{}{}; the zone was not accepted", file.string(),
                                      diagnostics.errors.size(), diagnostics.errors.size() == 1 ? "" : "s",
                                      diagnostics.full() ? " (stopped early)" : "")));
    }
    return zone;
}

std::string zone_error_text(std::string_view zone, const Error& error)
{
    std::string shown(zone);
    if (!shown.ends_with('.'))
        shown += '.';
    std::string text = error.to_string();
    if (text.find(fmt::format("'{}'", shown)) != std::string::npos)
        return text;
    return fmt::format("zone '{}': {}", shown, text);
}

nlohmann::json time_json(const std::optional<TimePoint>& time)
{
    return time ? nlohmann::json(format_time(*time)) : nlohmann::json(nullptr);
}

nlohmann::json key_json(const enforcer::KeyEntry& k)
{
    return { { "key_tag", k.key_tag },
             { "role", enforcer::key_role_to_text(k.role) },
             { "algorithm", crypto::algorithm_to_text(k.algorithm) },
             { "bits", k.bits },
             { "goal", enforcer::key_goal_to_text(k.goal) },
             { "ds", enforcer::record_state_to_text(k.ds.state) },
             { "dnskey", enforcer::record_state_to_text(k.dnskey.state) },
             { "krrsig", enforcer::record_state_to_text(k.krrsig.state) },
             { "zrrsig", enforcer::record_state_to_text(k.zrrsig.state) },
             { "ds_at_parent", enforcer::ds_at_parent_to_text(k.ds_at_parent) },
             { "created", format_time(k.created) },
             { "published", time_json(k.published) },
             { "active", time_json(k.active) },
             { "retired", time_json(k.retired) },
             { "removed", time_json(k.removed) },
             { "locator", k.locator } };
}

} // namespace signet::cli
