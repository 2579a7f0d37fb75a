// The HTTP side of signetd's metrics: GET /metrics on the configured
// address, answered from its own thread, so that a scrape never waits for a
// zone being signed.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <signet/app/config.h>
#include <signet/app/metrics.h>
#include <signet/base/error.h>

namespace signet::daemon {

class MetricsServer {
public:
    // Listens on `where` at once (an address in use is an error now, not
    // later) and serves from a thread of its own until destroyed.
    static Result<std::unique_ptr<MetricsServer>> start(const app::HostPort& where, const app::Metrics& metrics);
    ~MetricsServer();

private:
    MetricsServer(const app::Metrics& metrics);
    void accept();

    const app::Metrics& metrics_;
    boost::asio::io_context io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::thread thread_;
};

} // namespace signet::daemon
