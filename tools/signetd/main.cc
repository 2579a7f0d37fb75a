// signetd: the daemon that keeps every zone of a state dir signed. Parsing
// only; see daemon.h.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <signet/app/manual.h>
#include <signet/base/atomic_file.h>

#include "daemon.h"
#include "manual.h"

namespace {

// The signet program runs the clients' commands: the one beside us (a
// build directory, /usr/bin), else the one in ../bin (signetd in /usr/sbin).
std::filesystem::path signet_beside_us()
{
    std::error_code error;
    auto self = std::filesystem::read_symlink("/proc/self/exe", error);
    if (error)
        return "signet";
    auto beside = self.parent_path() / "signet";
    auto in_bin = self.parent_path().parent_path() / "bin" / "signet";
    if (::access(beside.c_str(), X_OK) != 0 && ::access(in_bin.c_str(), X_OK) == 0)
        return in_bin;
    return beside;
}

} // namespace

int main(int argc, char** argv)
{
    CLI::App app("signetd: keeps every zone of a Signet state dir signed, on time", "signetd");
    signet::daemon::Options options;
    const char* state_env = std::getenv("SIGNET_STATE");
    std::string state = state_env && *state_env ? state_env : "/var/lib/signet";
    std::string config;
    std::string manual; // signetd(8), for the build; hidden from --help
    app.set_version_flag("--version", std::string(signet::app::version()));
    app.add_option("--state", state, "state directory (default $SIGNET_STATE, else /var/lib/signet)");
    app.add_option("--config", config, "configuration file (default STATE/signet.toml)");
    app.add_option("--manual", manual, "write the manual page to FILE")->group("");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int status = app.exit(e);
        return status == 0 ? 0 : 2;
    }
    if (!manual.empty()) {
        auto written = signet::write_file_atomically(manual, signet::app::command_manual(app, signet::daemon::manual_page()));
        if (!written) {
            fmt::print(stderr, "signetd: {}\n", written.error().to_string());
            return 1;
        }
        return 0;
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
