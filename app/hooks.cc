#include <signet/app/hooks.h>

#include <algorithm>

#include <fmt/format.h>

#include <signet/dns/name.h>

namespace signet::app {

namespace {

constexpr std::string_view zone_placeholder = "{zone}";

} // namespace

std::optional<std::string> run_zone_hook(std::string_view what, const Command& command, std::string_view zone,
                                         Duration timeout, std::optional<std::string_view> input)
{
    auto argv = substitute(command.words, zone_placeholder, zone);
    ProcessOptions options;
    options.input = input;
    options.timeout = timeout;
    options.environment = { { "SIGNET_ZONE", std::string(zone) } };
    auto status = run_process(argv, options);
    if (!status)
        return fmt::format("{} `{}` did not run: {}", what, shell_join(argv), status.error().to_string());
    if (!status->success())
        return fmt::format("{} `{}` failed ({})", what, shell_join(argv), status->to_string());
    return std::nullopt;
}

std::string hook_text(const Command& command, std::string_view zone)
{
    return shell_join(substitute(command.words, zone_placeholder, zone));
}

Result<void> check_zone_name(const Config& config, std::string_view name)
{
    if (config.zones.allow_any_characters)
        return {};
    const dns::Name root;
    auto parsed = dns::Name::from_text(name, &root);
    if (!parsed)
        return {};
    // The presentation form escapes what is not printable, so the message
    // shows the name without putting control characters on the terminal.
    std::string text = parsed->to_text();
    bool plain = std::ranges::all_of(text, [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
            c == '.';
    });
    if (plain)
        return {};
    // Exit status 1, not the usage error's 2: the command line is right, the
    // configuration says no.
    return fail(ErrorCode::Config,
                fmt::format("zone name '{}' has characters outside letters, digits, '-', '_' and '.'; set "
                            "allow-any-characters = true in the [zones] table of {} to allow them",
                            text, config.path.empty() ? std::string("signet.toml") : config.path.string()));
}

} // namespace signet::app
