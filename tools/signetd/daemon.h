// signetd: owns a state dir and keeps every zone in it signed. One thread
// runs an event loop (Boost.Asio) over the signals, the control socket, the
// input watch and a timer for the schedule; everything that touches the
// state happens on it, one thing at a time: a zone's signing, or a command a
// client sent, never both at once.
#pragma once

#include <filesystem>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <signet/app/control.h>
#include <signet/app/lock.h>
#include <signet/app/metrics.h>
#include <signet/app/pipeline.h>
#include <signet/app/schedule.h>
#include <signet/enforcer/model.h>

#include "dns_server.h"
#include "metrics_server.h"
#include "watch.h"

namespace signet::daemon {

struct Options {
    std::filesystem::path state_dir;
    std::optional<std::filesystem::path> config;
    std::filesystem::path signet; // the program that runs the clients' commands
};

class Daemon {
public:
    explicit Daemon(Options options);
    ~Daemon();
    // Runs until SIGTERM or SIGINT; the exit status: 1 when it cannot start
    // (the state dir is owned, the control socket cannot be made), else 0.
    int run();

private:
    struct Connection;
    // What the daemon knows of a zone, to tell what a client's command
    // changed.
    struct Known {
        enforcer::ZoneEntry zone;
        std::vector<enforcer::KeyEntry> keys;
        std::vector<enforcer::TlsaBindingEntry> bindings;
        bool operator==(const Known&) const = default;
    };

    Result<void> start();
    Result<app::Context>& context();
    void drop_context();
    // Reads the zones from the store: new and changed ones are due now,
    // removed ones leave the schedule; the input watch follows.
    Result<void> refresh_zones();
    void sign(const std::string& zone);
    void work();
    void arm_timer();
    void accept();
    void read_request(const std::shared_ptr<Connection>& connection);
    void run_command(const std::shared_ptr<Connection>& connection, const app::ControlRequest& request);
    void answer(const std::shared_ptr<Connection>& connection, std::string text);
    void watch_inputs();
    void on_signal(int signal);
    void reload();
    void stop();
    void log(int priority, const std::string& text) const;
    // The zone's figures for the metrics, from what the store says now.
    void update_metrics(const std::string& zone, const Known& known);
    // The TSIG keys of the configuration, their secrets read.
    Result<std::vector<xfr::TsigKey>> load_tsig_keys(const app::Config& config) const;
    // Publishes what the DNS server serves: every zone's last signed
    // version (loaded again only when the store says another is
    // published), who may transfer it, and the keys.
    void serve_zones();
    // Where the NOTIFYs of a zone go, with the remotes' keys.
    std::vector<NotifyTarget> notify_targets(const std::vector<const app::RemoteConfig*>& remotes) const;

    Options options_;
    boost::asio::io_context io_;
    boost::asio::signal_set signals_;
    boost::asio::steady_timer timer_;
    std::optional<boost::asio::local::stream_protocol::acceptor> acceptor_;
    std::optional<boost::asio::posix::stream_descriptor> watch_stream_;
    std::optional<app::StateLock> lock_;
    std::optional<InputWatch> watch_;
    std::optional<Result<app::Context>> context_;
    app::Config config_;
    app::Schedule schedule_;
    app::Metrics metrics_;
    std::unique_ptr<MetricsServer> metrics_server_;
    std::unique_ptr<DnsServer> dns_server_;
    std::vector<xfr::TsigKey> tsig_keys_;
    // The signed versions served, by zone, with what identifies them.
    struct Served {
        int64_t id = 0;
        std::optional<uint32_t> serial;
        std::string output_id;
        std::optional<TimePoint> signed_at;
        std::shared_ptr<const dns::Zone> zone;
        std::shared_ptr<const std::vector<xfr::VersionDiff>> journal;
    };
    // The zone's journal as IXFR answers from it; nothing when it is empty
    // or cannot be read (IXFR then gets the whole zone).
    std::shared_ptr<const std::vector<xfr::VersionDiff>> load_journal(const enforcer::ZoneEntry& zone,
                                                                      const dns::Name& apex);
    std::map<std::string, Served> served_;
    // Zones told of the DNS settings they have without [daemon] listen.
    std::set<std::string> unserved_warned_;
    std::map<std::string, Known> known_;
    bool work_posted_ = false;
    bool stopping_ = false;
    bool journald_ = false;
};

} // namespace signet::daemon
