// signet init: a new state directory with the embedded SoftHSM2 token.
#include <fmt/format.h>

#include <signet/app/pipeline.h>

#include "command.h"

namespace signet::cli {

namespace {

Result<int> init(const Globals& globals)
{
    auto report = SIGNET_TRY(app::init_state(globals.state));
    fmt::print("created {}\n", report.state_dir.string());
    fmt::print("  configuration: {}\n", report.config.string());
    fmt::print("  key store:     {}\n", report.database.string());
    fmt::print("  token:         '{}' (SoftHSM2, in {}/tokens; PINs in so.pin and token.pin, mode 0600)\n",
               report.token, report.state_dir.string());
    fmt::print("next: signet --state {} zone add NAME --input FILE --output FILE\n", globals.state.string());
    return 0;
}

} // namespace

void add_init_command(CLI::App& app, Globals& globals, Handler& chosen)
{
    auto* cmd = app.add_subcommand("init", "create the state directory: config, key store and SoftHSM2 token");
    cmd->callback([&globals, &chosen] { chosen = [&globals] { return init(globals); }; });
}

} // namespace signet::cli
