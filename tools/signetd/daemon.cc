#include "daemon.h"

#include <sys/socket.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include <signet/app/enforce.h>
#include <signet/app/health.h>
#include <signet/app/journal.h>
#include <signet/app/signed_state.h>
#include <signet/base/clock.h>
#include <signet/base/excerpt.h>
#include <signet/base/process.h>

namespace signet::daemon {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using local = asio::local::stream_protocol;

namespace {

// syslog priorities, as journald reads them from a "<N>" prefix.
constexpr int error_priority = 3;
constexpr int warning_priority = 4;
constexpr int info_priority = 6;

// Input files rewritten in bursts (an editor, a script writing line by
// line) are read once the burst is over.
constexpr auto settle = std::chrono::milliseconds(200);
// The timer wakes at least this often to read the clock again, so that a
// clock set forward or back is followed without polling.
constexpr auto longest_sleep = std::chrono::minutes(10);

} // namespace

struct Daemon::Connection {
    explicit Connection(local::socket socket)
        : socket(std::move(socket))
    {
    }
    local::socket socket;
    app::ControlReceiver receiver;
};

Daemon::Daemon(Options options)
    : options_(std::move(options))
    , signals_(io_, SIGTERM, SIGINT, SIGHUP)
    , timer_(io_)
{
    const char* journal = std::getenv("JOURNAL_STREAM");
    journald_ = journal && *journal;
}

Daemon::~Daemon()
{
    crypto::p11::observe_signatures(nullptr);
}

void Daemon::log(int priority, const std::string& text) const
{
    // One line per event; journald adds its own time and reads the priority.
    const std::string line = one_line(text);
    if (journald_)
        fmt::print(stderr, "<{}>{}\n", priority, line);
    else
        fmt::print(stderr, "{} signetd: {}{}\n", format_time(SystemClock().now()),
                   priority <= error_priority ? "error: " : priority == warning_priority ? "warning: " : "", line);
    std::fflush(stderr);
}

Result<app::Context>& Daemon::context()
{
    if (!context_) {
        app::OpenOptions open;
        open.access = app::Access::Write;
        open.command = "signetd";
        // The context holds its own descriptor of the lock the daemon holds.
        open.inherited_lock = ::fcntl(lock_->fd(), F_DUPFD_CLOEXEC, 0);
        // The configuration in use, whatever the file says now: it changes
        // at SIGHUP only, and a broken edit never stops the signing.
        open.config = config_;
        context_.emplace(app::Context::open(options_.state_dir, options_.config, open));
    }
    return *context_;
}

void Daemon::drop_context()
{
    context_.reset();
}

Result<void> Daemon::start()
{
    fs::path dir = fs::absolute(options_.state_dir);
    options_.state_dir = dir;
    fs::path config_file = options_.config.value_or(dir / "signet.toml");
    config_ = SIGNET_TRY(app::load_config(config_file, dir));
    lock_.emplace(SIGNET_TRY(app::StateLock::acquire(dir, fmt::format("signetd --state {}", dir.string()),
                                                      std::chrono::milliseconds(0))));
    if (auto& opened = context(); !opened)
        return std::unexpected(opened.error());
    auto listening = SIGNET_TRY(app::listen_control(config_.daemon.control, config_.daemon.control_group));
    if (!config_.daemon.metrics.empty()) {
        // Checked when the configuration was read.
        auto where = app::parse_host_port(config_.daemon.metrics).value_or(app::HostPort {});
        metrics_server_ = SIGNET_TRY(MetricsServer::start(where, metrics_));
        static app::Metrics* observed = nullptr;
        observed = &metrics_;
        crypto::p11::observe_signatures([](std::chrono::nanoseconds took) { observed->observe_token_signature(took); });
    }
    if (!config_.daemon.listen.empty()) {
        tsig_keys_ = SIGNET_TRY(load_tsig_keys(config_));
        std::vector<app::HostPort> where;
        for (const auto& text : config_.daemon.listen)
            where.push_back(app::parse_host_port(text).value_or(app::HostPort {})); // checked when read
        dns_server_ = SIGNET_TRY(DnsServer::start(where, [this](int priority, const std::string& text) {
            log(priority, text);
        }));
    }
    acceptor_.emplace(io_, local(), listening.release());
    watch_.emplace(SIGNET_TRY(InputWatch::open()));
    watch_stream_.emplace(io_, ::fcntl(watch_->fd(), F_DUPFD_CLOEXEC, 0));

    // Ready: clients may send commands from now on, before any signing.
    sd_notify(0, "READY=1\nSTATUS=starting: signing what changed while signetd was not running");
    std::string dns;
    for (const auto& where : config_.daemon.listen)
        dns += (dns.empty() ? ", DNS on " : " and ") + where;
    log(info_priority, fmt::format("started on {} (pid {}), control socket {}{}", dir.string(), ::getpid(),
                                   config_.daemon.control.string(), dns));
    accept();
    watch_inputs();

    // What runs killed before us left behind, as `signet sign` does it.
    auto& opened = **context_;
    if (auto notes = app::recover_outputs(opened); notes) {
        for (const auto& note : *notes)
            log(warning_priority, note);
    } else {
        log(error_priority, notes.error().to_string());
    }
    if (auto collected = app::collect_unused_keys(opened, SystemClock().now()); !collected)
        log(warning_priority, collected.error().to_string());
    else if (!collected->empty())
        log(info_priority, fmt::format("destroyed {} token objects that no key of the store uses", collected->size()));
    // Every zone once: an unchanged one costs a read and a compare, and
    // tells its next work time.
    SIGNET_TRY(refresh_zones());
    return {};
}

Result<void> Daemon::refresh_zones()
{
    auto& opened = context();
    if (!opened)
        return std::unexpected(opened.error());
    auto zones = SIGNET_TRY(opened->db.list_zones());
    TimePoint now = SystemClock().now();
    std::map<std::string, Known> seen;
    std::map<fs::path, std::set<std::string>> inputs;
    for (auto& zone : zones) {
        Known known;
        known.keys = SIGNET_TRY(opened->db.keys_of(zone.id));
        known.bindings = SIGNET_TRY(enforcer::tlsa_bindings_of(opened->db, zone.id));
        inputs[zone.input].insert(zone.name);
        for (const auto& binding : known.bindings) {
            for (const auto& file : { std::optional(binding.cert), binding.chain, binding.next_cert, binding.next_chain }) {
                if (file)
                    inputs[*file].insert(zone.name);
            }
        }
        std::string name = zone.name;
        known.zone = std::move(zone);
        auto it = known_.find(name);
        if (it == known_.end() || !(it->second == known))
            schedule_.wake(name, now);
        update_metrics(name, known);
        seen.emplace(name, std::move(known));
    }
    for (const auto& [name, known] : known_) {
        if (!seen.contains(name)) {
            schedule_.remove(name);
            metrics_.remove_zone(name);
            log(info_priority, fmt::format("zone '{}' is no longer signed here (removed)", name));
        }
    }
    known_ = std::move(seen);
    for (const auto& warning : watch_->watch(inputs))
        log(warning_priority, warning);
    serve_zones();
    arm_timer();
    return {};
}

Result<std::vector<xfr::TsigKey>> Daemon::load_tsig_keys(const app::Config& config) const
{
    std::vector<xfr::TsigKey> keys;
    for (const auto& [name, key] : config.tsig_keys)
        keys.push_back(SIGNET_TRY(app::load_tsig_key(key)));
    return keys;
}

std::shared_ptr<const std::vector<xfr::VersionDiff>> Daemon::load_journal(const enforcer::ZoneEntry& zone,
                                                                          const dns::Name& apex)
{
    auto& opened = context();
    if (!opened)
        return nullptr;
    auto entries = opened->db.journal_of(zone.id);
    if (!entries || entries->empty())
        return nullptr;
    auto versions = app::journal_since(opened->db, zone, apex, entries->front().serial_from);
    if (!versions) {
        log(warning_priority, fmt::format("zone '{}': IXFR sends the whole zone: {}", zone.name,
                                          versions.error().to_string()));
        return nullptr;
    }
    auto journal = std::make_shared<std::vector<xfr::VersionDiff>>();
    for (auto& v : *versions)
        journal->push_back({ v.serial_from, v.serial_to, std::move(v.changes.removed), std::move(v.changes.added) });
    return journal;
}

std::vector<NotifyTarget> Daemon::notify_targets(const std::vector<const app::RemoteConfig*>& remotes) const
{
    std::vector<NotifyTarget> targets;
    for (const auto* remote : remotes) {
        boost::system::error_code error;
        auto address = boost::asio::ip::make_address(remote->address, error); // checked when read
        if (error)
            continue;
        NotifyTarget target { remote->name, { address, remote->port }, std::nullopt };
        if (remote->tsig) {
            // Loaded with the configuration; never sent unsigned instead.
            const auto& key_name = config_.tsig_keys.at(*remote->tsig).name;
            auto key = std::ranges::find_if(tsig_keys_, [&](const xfr::TsigKey& k) { return k.name() == key_name; });
            if (key == tsig_keys_.end())
                continue;
            target.key = *key;
        }
        targets.push_back(std::move(target));
    }
    return targets;
}

void Daemon::serve_zones()
{
    if (!dns_server_) {
        // Settings that need the DNS side are not ignored in silence.
        for (const auto& [name, known] : known_) {
            if ((known.zone.notify.empty() && known.zone.allow_transfer.empty()) || !unserved_warned_.insert(name).second)
                continue;
            log(warning_priority, fmt::format("zone '{}' has --notify or --allow-transfer remotes, but [daemon] listen "
                                              "is empty: signetd serves no DNS and sends no NOTIFY",
                                              name));
        }
        return;
    }
    auto catalog = std::make_shared<xfr::Catalog>();
    catalog->keys = tsig_keys_;
    std::map<std::string, Served> served;
    // The remotes of a zone as the configuration names them now; one that
    // is gone from it is left out, with a warning.
    auto remotes_of = [&](const std::string& zone, const std::vector<std::string>& names, std::string_view what) {
        std::vector<const app::RemoteConfig*> out;
        for (const auto& remote_name : names) {
            auto remote = config_.remotes.find(remote_name);
            if (remote == config_.remotes.end())
                log(warning_priority, fmt::format("zone '{}': no [remote.{}] in the configuration; it gets no {}",
                                                  zone, remote_name, what));
            else
                out.push_back(&remote->second);
        }
        return out;
    };
    // A serial not served before is news to the secondaries; at start every
    // zone's is, since they may have missed what was signed while signetd
    // was not running (BIND and Knot notify at start too).
    std::vector<std::pair<std::shared_ptr<const dns::Zone>, std::vector<NotifyTarget>>> notifies;
    for (const auto& [name, known] : known_) {
        const auto& entry = known.zone;
        Served current { entry.id, entry.serial, entry.output_id, entry.signed_at, nullptr, nullptr };
        auto before = served_.find(name);
        const bool new_serial = before == served_.end() || !before->second.zone || before->second.serial != entry.serial;
        if (auto it = served_.find(name); it != served_.end() && it->second.id == current.id
            && it->second.serial == current.serial && it->second.output_id == current.output_id
            && it->second.signed_at == current.signed_at) {
            current.zone = it->second.zone;
            current.journal = it->second.journal;
        } else if (entry.serial) {
            auto apex = dns::Name::from_text(entry.name);
            auto zone = apex ? app::load_signed_state(options_.state_dir, entry, *apex)
                             : Result<dns::Zone>(std::unexpected(apex.error()));
            if (zone) {
                current.zone = std::make_shared<const dns::Zone>(std::move(*zone));
                current.journal = load_journal(entry, *apex);
                auto targets = new_serial ? notify_targets(remotes_of(name, entry.notify, "NOTIFY"))
                                          : std::vector<NotifyTarget> {};
                if (!targets.empty())
                    notifies.emplace_back(current.zone, std::move(targets));
            } else
                log(warning_priority, fmt::format("zone '{}' is not served over DNS until it is signed again: {}",
                                                  name, zone.error().to_string()));
        }
        if (current.zone) {
            xfr::ServedZone zone;
            zone.zone = current.zone;
            zone.journal = current.journal;
            for (const auto* remote : remotes_of(name, entry.allow_transfer, "transfers")) {
                xfr::Peer peer;
                peer.name = remote->name;
                peer.address = xfr::Address::from_text(remote->address).value_or(xfr::Address {});
                if (remote->tsig)
                    peer.key = config_.tsig_keys.at(*remote->tsig).name;
                zone.allow_transfer.push_back(std::move(peer));
            }
            catalog->zones.emplace(current.zone->origin(), std::move(zone));
        }
        served.emplace(name, std::move(current));
    }
    served_ = std::move(served);
    // Published first: a secondary that is told asks for the new SOA at once.
    dns_server_->publish(std::move(catalog));
    for (auto& [zone, targets] : notifies)
        dns_server_->notify(std::move(zone), std::move(targets));
}

void Daemon::sign(const std::string& name)
{
    SystemClock clock;
    TimePoint now = clock.now();
    auto& opened = context();
    if (!opened) {
        auto retry = schedule_.failed(name, now);
        log(error_priority, fmt::format("zone '{}' not signed: {}; trying again at {}", name,
                                        opened.error().to_string(), format_time(retry)));
        drop_context();
        return;
    }
    // The input's directory went away or could not be watched: it may be
    // back. (Nothing to do, and no file system call, when it is watched.)
    if (auto known = known_.find(name); known != known_.end()) {
        if (auto warning = watch_->watch_again(known->second.zone.input))
            log(warning_priority, *warning);
    }
    app::SignOptions options;
    app::SignReport report;
    Result<app::SignReport> signed_zone = fail(ErrorCode::Internal, "not signed");
    try {
        signed_zone = app::sign_zone(*opened, name, clock, options);
    } catch (const std::exception& e) {
        signed_zone = fail(ErrorCode::Internal, fmt::format("internal error: {}; its output, the store and the "
                                                            "keys are as they were",
                                                            e.what()));
    }
    if (auto warning = app::note_signing(*opened, name, now, signed_zone))
        log(warning_priority, *warning);
    if (!signed_zone) {
        std::optional<TimePoint> latest;
        std::string expiry;
        if (auto zone = opened->db.find_zone(name); zone && *zone) {
            if (auto policy = opened->policy((*zone)->policy); policy) {
                if (auto warning = app::expiry_warning(**zone, **policy, now))
                    expiry = "; " + *warning;
                if ((*zone)->expires)
                    latest = *(*zone)->expires - (*policy)->signature_refresh / 2;
            }
        }
        auto retry = schedule_.failed(name, now, latest);
        metrics_.count_signing(name, 0, 0, true);
        if (auto known = known_.find(name); known != known_.end())
            update_metrics(name, known->second);
        std::string why = signed_zone.error().to_string();
        log(error_priority, fmt::format("zone '{}' not signed: {}; trying again at {}{}", name, why,
                                        format_time(retry), expiry));
        // A token that failed once is not tried again by this context.
        if (opened->token_failed())
            drop_context();
        return;
    }
    report = std::move(*signed_zone);
    for (const auto& warning : report.stats.warnings)
        log(report.alarm ? error_priority : warning_priority, warning);
    if (report.notify_failure)
        log(error_priority, fmt::format("zone '{}': {}", name, *report.notify_failure));
    if (report.changed) {
        const auto& s = report.stats;
        log(info_priority, fmt::format("zone '{}': serial {} signed: {} signatures made, {} kept, in {:.2f} s; "
                                       "next work at {}",
                                       name, s.serial, s.signatures, s.signatures_reused, report.seconds,
                                       report.next_event ? format_time(*report.next_event) : std::string("none")));
        for (const auto& line : report.todo)
            log(warning_priority, fmt::format("zone '{}': to do: {}", name, line));
    }
    if (report.input_error) {
        // Signed from its last good version: said on every pass, and the
        // input tried again soon (a change to it is seen at once anyway).
        auto retry = schedule_.failed(name, now, report.next_event);
        log(error_priority, fmt::format("{}; its last good version was signed again so that its signatures do not "
                                        "run out; trying the input again at {}",
                                        *report.input_error, format_time(retry)));
    } else if (report.next_event) {
        schedule_.set(name, *report.next_event);
    } else {
        schedule_.remove(name);
    }
    // The daemon's own signing changed the store: remember it as known,
    // so that it is not taken for a change by a client.
    if (auto zone = opened->db.find_zone(name); zone && *zone) {
        Known known;
        known.zone = **zone;
        if (auto keys = opened->db.keys_of(known.zone.id))
            known.keys = std::move(*keys);
        if (auto bindings = enforcer::tlsa_bindings_of(opened->db, known.zone.id))
            known.bindings = std::move(*bindings);
        update_metrics(name, known);
        known_[name] = std::move(known);
    }
    metrics_.count_signing(name, report.stats.signatures, report.stats.signatures_reused,
                           report.input_error.has_value());
    serve_zones();
}

void Daemon::update_metrics(const std::string& zone, const Known& known)
{
    std::optional<TimePoint> failed_at;
    if (auto failure = app::last_signing_failure(options_.state_dir, known.zone))
        failed_at = failure->time;
    metrics_.set_zone(zone, known.zone, failed_at, schedule_.at(zone), known.keys);
}

void Daemon::work()
{
    work_posted_ = false;
    if (stopping_)
        return;
    auto due = schedule_.due(SystemClock().now(), 1);
    if (due.empty()) {
        arm_timer();
        return;
    }
    sign(due.front());
    // One zone at a time: signals, clients and changed inputs are seen
    // between two zones.
    work_posted_ = true;
    asio::post(io_, [this] { work(); });
}

void Daemon::arm_timer()
{
    if (stopping_ || work_posted_)
        return;
    auto next = schedule_.next();
    auto wait = std::chrono::duration_cast<std::chrono::steady_clock::duration>(longest_sleep);
    if (next) {
        auto until = *next - SystemClock().now();
        if (until <= TimePoint::duration::zero()) {
            work_posted_ = true;
            asio::post(io_, [this] { work(); });
            return;
        }
        wait = std::min(wait, std::chrono::duration_cast<std::chrono::steady_clock::duration>(until));
    }
    sd_notify(0, fmt::format("STATUS={} zones; next work at {}", known_.size(),
                             next ? format_time(*next) : std::string("none"))
                     .c_str());
    timer_.expires_after(wait);
    timer_.async_wait([this](const boost::system::error_code& error) {
        if (!error)
            arm_timer();
    });
}

void Daemon::accept()
{
    acceptor_->async_accept([this](const boost::system::error_code& error, local::socket socket) {
        if (stopping_)
            return;
        if (!error) {
            auto connection = std::make_shared<Connection>(std::move(socket));
            connection->socket.non_blocking(true);
            read_request(connection);
        } else {
            log(warning_priority, fmt::format("control socket: {}", error.message()));
        }
        accept();
    });
}

void Daemon::read_request(const std::shared_ptr<Connection>& connection)
{
    connection->socket.async_wait(local::socket::wait_read, [this, connection](const boost::system::error_code& error) {
        if (error)
            return;
        auto received = connection->receiver.receive(connection->socket.native_handle());
        if (!received) {
            answer(connection, app::control_refusal_text(received.error().message()));
            return;
        }
        if (!connection->receiver.complete) {
            read_request(connection);
            return;
        }
        auto request = app::parse_control_request(connection->receiver.text);
        if (!request) {
            answer(connection, app::control_refusal_text(request.error().message()));
            return;
        }
        if (connection->receiver.fds.size() != 3) {
            answer(connection, app::control_refusal_text("a request comes with stdin, stdout and stderr"));
            return;
        }
        if (stopping_) {
            answer(connection, app::control_refusal_text("signetd is stopping; the command was not run"));
            return;
        }
        run_command(connection, *request);
    });
}

void Daemon::run_command(const std::shared_ptr<Connection>& connection, const app::ControlRequest& request)
{
    // The child works on the store and the token while we wait: ours are
    // opened afresh afterwards, so that nothing of ours is stale.
    drop_context();
    const auto& fds = connection->receiver.fds;
    std::array<int, 3> stdio { fds[0].get(), fds[1].get(), fds[2].get() };
    auto pid = app::start_command(options_.signet, request, stdio, lock_->fd(), options_.state_dir,
                                  options_.config.value_or(options_.state_dir / "signet.toml"));
    if (!pid) {
        answer(connection, app::control_refusal_text(pid.error().message()));
        return;
    }
    std::string shown = "signet";
    for (const auto& arg : request.args)
        shown += " " + shell_quote(arg);
    int status = 0;
    while (::waitpid(*pid, &status, 0) < 0) {
        if (errno != EINTR) {
            status = -1;
            break;
        }
    }
    connection->receiver.fds.clear();
    ucred peer {};
    socklen_t length = sizeof peer;
    if (::getsockopt(connection->socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0)
        peer.uid = static_cast<uid_t>(-1);
    log(info_priority, fmt::format("ran `{}` for a client (uid {}): {}", shown, static_cast<int>(peer.uid),
                                   WIFEXITED(status) ? fmt::format("exit status {}", WEXITSTATUS(status))
                                                     : std::string("killed")));
    answer(connection, app::control_answer_text(status));
    if (auto refreshed = refresh_zones(); !refreshed)
        log(error_priority, fmt::format("after `{}`: {}", shown, refreshed.error().to_string()));
}

void Daemon::answer(const std::shared_ptr<Connection>& connection, std::string text)
{
    auto buffer = std::make_shared<std::string>(std::move(text));
    asio::async_write(connection->socket, asio::buffer(*buffer),
                      [connection, buffer](const boost::system::error_code&, size_t) {
                          boost::system::error_code ignored;
                          connection->socket.shutdown(local::socket::shutdown_both, ignored);
                      });
}

void Daemon::watch_inputs()
{
    watch_stream_->async_wait(asio::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& error) {
        if (error || stopping_)
            return;
        auto changes = watch_->read();
        TimePoint when = SystemClock().now();
        if (changes.overflow) {
            for (const auto& [name, known] : known_)
                schedule_.wake(name, when);
            if (auto refreshed = refresh_zones(); !refreshed)
                log(error_priority, refreshed.error().to_string());
        }
        for (const auto& name : changes.zones)
            schedule_.wake(name, when);
        if ((!changes.zones.empty() || changes.overflow) && !work_posted_) {
            // Due now, looked at once the burst of writes has settled.
            timer_.expires_after(settle);
            timer_.async_wait([this](const boost::system::error_code& error) {
                if (!error)
                    arm_timer();
            });
        }
        watch_inputs();
    });
}

void Daemon::reload()
{
    sd_notify(0, "RELOADING=1");
    fs::path config_file = options_.config.value_or(options_.state_dir / "signet.toml");
    auto config = app::load_config(config_file, options_.state_dir);
    if (!config) {
        log(error_priority, fmt::format("not reloaded, the configuration in use stays: {}", config.error().to_string()));
    } else {
        if (config->daemon.control != config_.daemon.control || config->daemon.control_group != config_.daemon.control_group)
            log(warning_priority, "the control socket's path and group change at the next start, not at a reload");
        if (config->daemon.metrics != config_.daemon.metrics)
            log(warning_priority, "the metrics address changes at the next start, not at a reload");
        if (config->daemon.listen != config_.daemon.listen)
            log(warning_priority, "the DNS listen addresses change at the next start, not at a reload");
        auto keys = load_tsig_keys(*config);
        if (!keys) {
            log(error_priority, fmt::format("not reloaded, the configuration in use stays: {}", keys.error().to_string()));
            sd_notify(0, "READY=1");
            return;
        }
        tsig_keys_ = std::move(*keys);
        config->daemon = config_.daemon; // the sockets and the metrics stay as they are until a restart
        config_ = std::move(*config);
        drop_context();
        if (auto refreshed = refresh_zones(); !refreshed)
            log(error_priority, refreshed.error().to_string());
        // A policy may have changed anything: every zone is looked at again.
        TimePoint now = SystemClock().now();
        for (const auto& [name, known] : known_)
            schedule_.wake(name, now);
        timer_.cancel();
        arm_timer();
        log(info_priority, fmt::format("reloaded {}", config_file.string()));
    }
    sd_notify(0, "READY=1");
}

void Daemon::on_signal(int signal)
{
    if (signal == SIGHUP) {
        reload();
    } else {
        log(info_priority, fmt::format("{}: stopping", ::strsignal(signal)));
        stop();
        return;
    }
    signals_.async_wait([this](const boost::system::error_code& error, int next) {
        if (!error)
            on_signal(next);
    });
}

void Daemon::stop()
{
    sd_notify(0, "STOPPING=1");
    stopping_ = true;
    boost::system::error_code ignored;
    timer_.cancel();
    if (acceptor_)
        acceptor_->close(ignored);
    if (watch_stream_)
        watch_stream_->close(ignored);
    ::unlink(config_.daemon.control.c_str());
    io_.stop();
}

int Daemon::run()
{
    // A client that goes away while we answer must not kill us.
    std::signal(SIGPIPE, SIG_IGN);
    if (auto started = start(); !started) {
        log(error_priority, started.error().to_string());
        return 1;
    }
    signals_.async_wait([this](const boost::system::error_code& error, int signal) {
        if (!error)
            on_signal(signal);
    });
    io_.run();
    drop_context();
    log(info_priority, "stopped");
    return 0;
}

} // namespace signet::daemon
