#include "metrics_server.h"

#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

namespace signet::daemon {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// A request's head is a line and a few headers; nothing more is read.
constexpr size_t max_request = 8192;
constexpr auto request_time = std::chrono::seconds(10);

struct Exchange : std::enable_shared_from_this<Exchange> {
    Exchange(tcp::socket socket, const app::Metrics& metrics)
        : socket(std::move(socket))
        , timer(this->socket.get_executor())
        , request(max_request)
        , metrics(metrics)
    {
    }

    void run()
    {
        auto self = shared_from_this();
        timer.expires_after(request_time);
        timer.async_wait([self](const boost::system::error_code& error) {
            if (!error)
                self->socket.close();
        });
        asio::async_read_until(socket, request, "\r\n\r\n", [self](const boost::system::error_code& error, size_t) {
            if (error) {
                // Too long, too slow, or gone.
                if (error == asio::error::not_found)
                    self->answer("431 Request Header Fields Too Large", "request too large\n");
                else
                    self->timer.cancel();
                return;
            }
            std::istream in(&self->request);
            std::string method, target, version;
            in >> method >> target >> version;
            if (method != "GET" && method != "HEAD")
                self->answer("405 Method Not Allowed", "only GET /metrics\n", "Allow: GET, HEAD\r\n");
            else if (target != "/metrics" && !target.starts_with("/metrics?"))
                self->answer("404 Not Found", "only /metrics is here\n");
            else
                self->answer("200 OK", self->metrics.render(), "", method == "HEAD");
        });
    }

    void answer(std::string_view status, std::string body, std::string_view extra = "", bool head_only = false)
    {
        reply = fmt::format("HTTP/1.1 {}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                            "Content-Length: {}\r\n{}Connection: close\r\n\r\n",
                            status, body.size(), extra);
        if (!head_only)
            reply += body;
        auto self = shared_from_this();
        asio::async_write(socket, asio::buffer(reply), [self](const boost::system::error_code&, size_t) {
            boost::system::error_code ignored;
            self->socket.shutdown(tcp::socket::shutdown_both, ignored);
            self->timer.cancel();
        });
    }

    tcp::socket socket;
    asio::steady_timer timer;
    asio::streambuf request;
    std::string reply;
    const app::Metrics& metrics;
};

} // namespace

MetricsServer::MetricsServer(const app::Metrics& metrics)
    : metrics_(metrics)
    , acceptor_(io_)
{
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(const app::HostPort& where, const app::Metrics& metrics)
{
    std::unique_ptr<MetricsServer> server(new MetricsServer(metrics));
    boost::system::error_code error;
    auto address = asio::ip::make_address(where.address, error);
    tcp::endpoint endpoint(address, where.port);
    if (!error)
        server->acceptor_.open(endpoint.protocol(), error);
    if (!error)
        server->acceptor_.set_option(tcp::acceptor::reuse_address(true), error);
    if (!error)
        server->acceptor_.bind(endpoint, error);
    if (!error)
        server->acceptor_.listen(asio::socket_base::max_listen_connections, error);
    if (error)
        return fail(ErrorCode::Io, fmt::format("metrics: cannot listen on {}:{}: {}", where.address, where.port,
                                               error.message()));
    server->accept();
    server->thread_ = std::thread([raw = server.get()] { raw->io_.run(); });
    return server;
}

MetricsServer::~MetricsServer()
{
    io_.stop();
    if (thread_.joinable())
        thread_.join();
}

void MetricsServer::accept()
{
    acceptor_.async_accept([this](const boost::system::error_code& error, tcp::socket socket) {
        if (error == asio::error::operation_aborted)
            return;
        if (!error)
            std::make_shared<Exchange>(std::move(socket), metrics_)->run();
        accept();
    });
}

} // namespace signet::daemon
