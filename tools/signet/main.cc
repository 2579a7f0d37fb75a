// signet: the command-line front of the pipeline. Parsing and dispatch only;
// each noun lives in its own file.
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include <signet/app/control.h>
#include <signet/app/manual.h>

#include "command.h"

namespace signet::cli {

Result<std::unique_ptr<Clock>> Globals::clock() const
{
    if (now_text.empty())
        return std::unique_ptr<Clock>(std::make_unique<SystemClock>());
    auto at = SIGNET_TRY(parse_time(now_text));
    return std::unique_ptr<Clock>(std::make_unique<FixedClock>(at));
}

Result<app::Context> Globals::open(app::Access access) const
{
    app::OpenOptions options;
    options.access = access;
    options.wait = std::chrono::milliseconds(static_cast<int64_t>(wait_seconds * 1000));
    options.command = command_line;
    if (access == app::Access::Write)
        options.inherited_lock = inherited_lock;
    return app::Context::open(state, config, options);
}

void changes_state(CLI::App* command, Globals& globals)
{
    command->parse_complete_callback([&globals] { globals.changes_state = true; });
}

namespace {

// A command that changes the state, sent to the signetd that owns it: its
// exit status, or nullopt when no daemon runs (the command then runs here).
Result<std::optional<int>> run_in_daemon(const Globals& globals, int argc, char** argv)
{
    std::filesystem::path dir = std::filesystem::absolute(globals.state);
    // A configuration that cannot be read is the command's to report.
    auto config = app::load_config(globals.config.value_or(dir / "signet.toml"), dir);
    if (!config)
        return std::optional<int>();
    app::ControlRequest request;
    request.args.assign(argv + 1, argv + argc);
    std::error_code error;
    request.cwd = std::filesystem::current_path(error).string();
    if (error)
        return fail(ErrorCode::Io, fmt::format("cannot tell the working directory: {}", error.message()));
    if (!globals.now_text.empty())
        request.now = globals.now_text;
    return app::run_in_daemon(config->daemon.control, request);
}

int run(int argc, char** argv)
{
    CLI::App app("Signet: a DNSSEC zone signer with integrated TLSA generation", "signet");
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string(app::version()));
    app.fallthrough();
    Globals globals;
    const char* state_env = std::getenv("SIGNET_STATE");
    globals.state = state_env && *state_env ? state_env : "/var/lib/signet";
    if (const char* now_env = std::getenv("SIGNET_NOW"))
        globals.now_text = now_env;
    if (const char* lock_env = std::getenv("SIGNET_LOCK_FD"); lock_env && *lock_env) {
        char* end = nullptr;
        long fd = std::strtol(lock_env, &end, 10);
        if (*end != '\0' || fd < 0 || fd > 1024) {
            fmt::print(stderr, "signet: SIGNET_LOCK_FD={}: not a descriptor\n", lock_env);
            return 2;
        }
        globals.inherited_lock = static_cast<int>(fd);
    }
    std::string config;
    app.add_option("--state", globals.state, "state directory (default $SIGNET_STATE, else /var/lib/signet)");
    app.add_option("--config", config, "configuration file (default STATE/signet.toml)");
    app.add_option("--now", globals.now_text, "run as if it were TIME (RFC 3339 or Unix seconds; also $SIGNET_NOW)");
    app.add_flag("--json", globals.json, "machine-readable output for listing and status commands");
    app.add_option("--wait", globals.wait_seconds, "wait up to SECONDS for another writer to finish (default 5)")
        ->check(CLI::Range(0.0, 86400.0));
    for (int i = 0; i < argc && globals.command_line.size() < 200; ++i)
        globals.command_line += (i ? " " : "") + std::string(i == 0 ? "signet" : argv[i]);

    Handler chosen;
    add_manual_command(app, globals, chosen);
    add_zone_commands(app, globals, chosen);
    add_init_command(app, globals, chosen);
    add_sign_command(app, globals, chosen);
    add_ds_command(app, globals, chosen);
    add_key_commands(app, globals, chosen);
    add_enforce_command(app, globals, chosen);
    add_tlsa_commands(app, globals, chosen);
    add_verify_command(app, globals, chosen);
    add_health_command(app, globals, chosen);
    add_import_commands(app, globals, chosen);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int status = app.exit(e);
        return status == 0 ? 0 : 2;
    }
    if (globals.inherited_lock) {
        // Run by signetd for a client: the daemon's configuration, never one
        // the client names (it holds the hooks, which run as the daemon's
        // user).
        if (!config.empty()) {
            fmt::print(stderr, "signet: signetd runs commands with its own configuration; --config is not taken "
                               "through the control socket\n");
            return 1;
        }
        if (const char* daemon_config = std::getenv("SIGNET_DAEMON_CONFIG"); daemon_config && *daemon_config)
            config = daemon_config;
    }
    if (!config.empty())
        globals.config = config;
    if (!globals.now_text.empty()) {
        if (auto at = parse_time(globals.now_text); !at) {
            fmt::print(stderr, "signet: {}\n", at.error().to_string());
            return 2;
        }
    }
    if (!chosen) {
        fmt::print(stderr, "signet: no command given; see signet --help\n");
        return 2;
    }
    if (globals.changes_state && !globals.inherited_lock) {
        auto delegated = run_in_daemon(globals, argc, argv);
        if (!delegated) {
            fmt::print(stderr, "signet: {}\n", delegated.error().to_string());
            return 1;
        }
        if (*delegated)
            return **delegated;
    }
    auto status = chosen();
    if (!status) {
        fmt::print(stderr, "{}\n", status.error().to_string());
        return status.error().code() == ErrorCode::Usage ? 2 : 1;
    }
    return *status;
}

} // namespace
} // namespace signet::cli

int main(int argc, char** argv)
{
    try {
        return signet::cli::run(argc, argv);
    } catch (const std::exception& e) {
        fmt::print(stderr, "signet: internal error: {}\n", e.what());
        return 1;
    }
}
