// The operator's hooks (notify-command, ds-submit-command,
// ds-retract-command) and the zone names that go into them. A hook runs
// without a shell (base/process.h): "{zone}" in any of its words becomes the
// zone's name, and the word stays one argument whatever the name holds.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <signet/app/config.h>
#include <signet/base/error.h>
#include <signet/base/process.h>

namespace signet::app {

// Runs `command` for `zone`, with the name also in $SIGNET_ZONE and `input`,
// if any, on its stdin, for at most `timeout`. nullopt when it exited with
// status 0; otherwise what went wrong, for the operator: "the notify command
// `rndc reload 'a b.example.'` failed (exit status 1)", where `what` is "the
// notify command".
std::optional<std::string> run_zone_hook(std::string_view what, const Command& command, std::string_view zone,
                                         Duration timeout, std::optional<std::string_view> input = std::nullopt);

// The words `command` runs for `zone`, quoted so that a shell would pass the
// same arguments: how messages and the event log show a hook.
std::string hook_text(const Command& command, std::string_view zone);

// Zone names of letters, digits, '-', '_' and '.' are safe anywhere an
// operator's script may put them: a file name, an unquoted shell word. Any
// other character is refused unless [zones] allow-any-characters is true.
// A name that is no domain name at all passes: the store refuses it.
Result<void> check_zone_name(const Config& config, std::string_view name);

} // namespace signet::app
