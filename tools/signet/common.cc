// What several nouns share: reading names and zone files the same way, with
// the same messages.
#include <fmt/format.h>

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

Result<dns::Zone> load_zone_reporting(const std::filesystem::path& file, const dns::Name& origin, size_t* warnings)
{
    dns::Diagnostics diagnostics;
    auto zone = dns::load_zone_file(file, origin, diagnostics);
    for (const auto& warning : diagnostics.warnings)
        fmt::print(stderr, "{}\n", Error(warning).with_context("warning").to_string());
    if (warnings)
        *warnings = diagnostics.warnings.size();
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

} // namespace signet::cli
