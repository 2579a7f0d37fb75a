// signetd: the daemon that keeps every zone of a state dir signed. Parsing
// only; see daemon.h.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "daemon.h"

namespace {

// The signet program installed beside us runs the clients' commands.
std::filesystem::path signet_beside_us()
{
    std::error_code error;
    auto self = std::filesystem::read_symlink("/proc/self/exe", error);
    if (error)
        return "signet";
    return self.parent_path() / "signet";
}

} // namespace

int main(int argc, char** argv)
{
    CLI::App app("signetd: keeps every zone of a Signet state dir signed, on time", "signetd");
    signet::daemon::Options options;
    const char* state_env = std::getenv("SIGNET_STATE");
    std::string state = state_env && *state_env ? state_env : "/var/lib/signet";
    std::string config;
    app.add_option("--state", state, "state directory (default $SIGNET_STATE, else /var/lib/signet)");
    app.add_option("--config", config, "configuration file (default STATE/signet.toml)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int status = app.exit(e);
        return status == 0 ? 0 : 2;
    }
    options.state_dir = state;
    if (!config.empty())
        options.config = config;
    options.signet = signet_beside_us();
    if (::access(options.signet.c_str(), X_OK) != 0) {
        fmt::print(stderr, "signetd: {}: no signet program beside signetd to run the clients' commands\n",
                   options.signet.string());
        return 1;
    }
    try {
        signet::daemon::Daemon daemon(std::move(options));
        return daemon.run();
    } catch (const std::exception& e) {
        fmt::print(stderr, "signetd: internal error: {}\n", e.what());
        return 1;
    }
}
