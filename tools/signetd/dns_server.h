// The DNS side of signetd: UDP and TCP on each `[daemon] listen` address,
// answered from a thread of its own (its own Boost.Asio loop), so that a
// transfer never waits for a zone being signed and a signing never waits for
// a slow secondary. What it answers is xfr::answer_query's; what it serves is
// the catalog the daemon's thread publishes after each change, an immutable
// value swapped under a lock: a transfer under way keeps the version it
// started with.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include <signet/app/config.h>
#include <signet/base/error.h>
#include <signet/xfr/server.h>

#include "notifier.h"

namespace signet::daemon {

class DnsServer {
public:
    // A line for the daemon's log, and its syslog priority.
    using Log = std::function<void(int priority, const std::string& text)>;

    // Binds every address at once (an address in use is an error now, not
    // later) and serves from a thread of its own until destroyed, answering
    // REFUSED until the first catalog is published.
    static Result<std::unique_ptr<DnsServer>> start(const std::vector<app::HostPort>& where, Log log);
    ~DnsServer();

    // What is served from now on.
    void publish(std::shared_ptr<const xfr::Catalog> catalog);
    std::shared_ptr<const xfr::Catalog> catalog() const;

    // Tells the targets of `zone`'s new version (NOTIFY, RFC 1996), from the
    // server's thread; returns at once.
    void notify(std::shared_ptr<const dns::Zone> zone, std::vector<NotifyTarget> targets);

    // Open TCP connections; above the limit new ones are closed at once.
    static constexpr size_t max_tcp_connections = 64;

private:
    struct TcpSession;
    explicit DnsServer(Log log);
    void receive(size_t index);
    void accept(size_t index);

    Log log_;
    size_t tcp_connections_ = 0; // on the server's thread only; outlives io_'s handlers
    boost::asio::io_context io_;
    std::vector<std::unique_ptr<boost::asio::ip::udp::socket>> udp_;
    std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> tcp_;
    std::vector<std::vector<char>> udp_buffers_;
    std::vector<boost::asio::ip::udp::endpoint> udp_senders_;
    std::unique_ptr<Notifier> notifier_; // used on the server's thread only
    mutable std::mutex mutex_;
    std::shared_ptr<const xfr::Catalog> catalog_;
    std::thread thread_;
};

} // namespace signet::daemon
