#include "dns_server.h"

#include <array>
#include <deque>

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include <signet/base/clock.h>

namespace signet::daemon {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;

namespace {

// syslog priorities, as the daemon's log takes them.
constexpr int dns_warning = 4;
constexpr int dns_info = 6;

// A client that sends nothing for this long is closed (RFC 7766 §6.2.3
// leaves the figure to the server; BIND waits 30 s).
constexpr auto tcp_idle = std::chrono::seconds(30);

xfr::Address address_of(const asio::ip::address& address)
{
    if (address.is_v4())
        return xfr::Address::from_ipv4(address.to_v4().to_bytes());
    xfr::Address out;
    out.octets = address.to_v6().to_bytes();
    return out;
}

} // namespace

// One TCP connection: queries one after another (RFC 7766 §6.2.1), each
// answered in full, a transfer message by message, before the next is read.
struct DnsServer::TcpSession : std::enable_shared_from_this<TcpSession> {
    TcpSession(DnsServer& server, tcp::socket socket)
        : server(server)
        , socket(std::move(socket))
        , timer(this->socket.get_executor())
    {
        ++server.tcp_connections_;
        boost::system::error_code error;
        auto peer = this->socket.remote_endpoint(error);
        client.address = error ? xfr::Address {} : address_of(peer.address());
        client.transport = xfr::Transport::Tcp;
    }
    ~TcpSession() { --server.tcp_connections_; }

    void read_length()
    {
        auto self = shared_from_this();
        arm_timer();
        asio::async_read(socket, asio::buffer(length), [self](const boost::system::error_code& error, size_t) {
            if (error)
                return self->close();
            self->query.resize(xfr::tcp_frame_length(self->length.data()));
            if (self->query.empty())
                return self->close();
            asio::async_read(self->socket, asio::buffer(self->query),
                             [self](const boost::system::error_code& error, size_t) {
                                 if (error)
                                     return self->close();
                                 self->timer.cancel();
                                 self->answer.emplace(xfr::answer_query(self->server.catalog(), self->query,
                                                                        self->client, SystemClock().now()));
                                 self->send_next();
                             });
        });
    }

    void send_next()
    {
        auto message = answer->next(SystemClock().now());
        if (!message) {
            if (!answer->routine() && !answer->summary().empty())
                server.log_(answer->rcode() == 0 ? dns_info : dns_warning, answer->summary());
            answer.reset();
            return read_length();
        }
        out = xfr::tcp_frame(*message);
        auto self = shared_from_this();
        arm_timer();
        asio::async_write(socket, asio::buffer(out), [self](const boost::system::error_code& error, size_t) {
            if (error) {
                self->server.log_(dns_warning, fmt::format("{}; the client went away: {}",
                                                                self->answer->summary(), error.message()));
                return self->close();
            }
            self->send_next();
        });
    }

    void arm_timer()
    {
        timer.expires_after(tcp_idle);
        timer.async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
            if (auto self = weak.lock(); self && !error)
                self->close();
        });
    }

    void close()
    {
        boost::system::error_code ignored;
        timer.cancel();
        socket.shutdown(tcp::socket::shutdown_both, ignored);
        socket.close(ignored);
    }

    DnsServer& server;
    tcp::socket socket;
    asio::steady_timer timer;
    xfr::Client client;
    std::array<unsigned char, 2> length {};
    std::string query;
    std::optional<xfr::Answer> answer;
    std::string out;
};

DnsServer::DnsServer(Log log)
    : log_(std::move(log))
    , notifier_(std::make_unique<Notifier>(io_, log_))
{
}

Result<std::unique_ptr<DnsServer>> DnsServer::start(const std::vector<app::HostPort>& where, Log log)
{
    std::unique_ptr<DnsServer> server(new DnsServer(std::move(log)));
    for (const auto& at : where) {
        boost::system::error_code error;
        auto address = asio::ip::make_address(at.address, error);
        auto refuse = [&](std::string_view what) {
            return fail(ErrorCode::Io, fmt::format("listen: cannot {} on {}:{}: {}", what, at.address, at.port,
                                                   error.message()));
        };
        if (error)
            return refuse("listen");
        auto socket = std::make_unique<udp::socket>(server->io_);
        udp::endpoint udp_endpoint(address, at.port);
        socket->open(udp_endpoint.protocol(), error);
        if (!error && address.is_v6())
            socket->set_option(asio::ip::v6_only(true), error);
        if (!error)
            socket->bind(udp_endpoint, error);
        if (error)
            return refuse("receive UDP");
        auto acceptor = std::make_unique<tcp::acceptor>(server->io_);
        tcp::endpoint tcp_endpoint(address, at.port);
        acceptor->open(tcp_endpoint.protocol(), error);
        if (!error && address.is_v6())
            acceptor->set_option(asio::ip::v6_only(true), error);
        if (!error)
            acceptor->set_option(tcp::acceptor::reuse_address(true), error);
        if (!error)
            acceptor->bind(tcp_endpoint, error);
        if (!error)
            acceptor->listen(asio::socket_base::max_listen_connections, error);
        if (error)
            return refuse("accept TCP");
        server->udp_.push_back(std::move(socket));
        server->tcp_.push_back(std::move(acceptor));
    }
    server->udp_buffers_.resize(server->udp_.size(), std::vector<char>(xfr::max_tcp_size));
    server->udp_senders_.resize(server->udp_.size());
    for (size_t i = 0; i < server->udp_.size(); ++i) {
        server->receive(i);
        server->accept(i);
    }
    server->catalog_ = std::make_shared<const xfr::Catalog>();
    server->thread_ = std::thread([raw = server.get()] { raw->io_.run(); });
    return server;
}

DnsServer::~DnsServer()
{
    io_.stop();
    if (thread_.joinable())
        thread_.join();
}

void DnsServer::publish(std::shared_ptr<const xfr::Catalog> catalog)
{
    std::lock_guard lock(mutex_);
    catalog_ = std::move(catalog);
}

std::shared_ptr<const xfr::Catalog> DnsServer::catalog() const
{
    std::lock_guard lock(mutex_);
    return catalog_;
}

void DnsServer::notify(std::shared_ptr<const dns::Zone> zone, std::vector<NotifyTarget> targets)
{
    asio::post(io_, [this, zone = std::move(zone), targets = std::move(targets)] { notifier_->notify(*zone, targets); });
}

void DnsServer::receive(size_t index)
{
    auto& buffer = udp_buffers_[index];
    udp_[index]->async_receive_from(
        asio::buffer(buffer), udp_senders_[index], [this, index](const boost::system::error_code& error, size_t size) {
            if (error == asio::error::operation_aborted)
                return;
            if (!error) {
                const auto& sender = udp_senders_[index];
                xfr::Client client { address_of(sender.address()), xfr::Transport::Udp };
                auto answer = xfr::answer_query(catalog(), std::string_view(udp_buffers_[index].data(), size),
                                                client, SystemClock().now());
                if (auto message = answer.next(SystemClock().now())) {
                    boost::system::error_code ignored;
                    udp_[index]->send_to(asio::buffer(*message), sender, 0, ignored);
                }
                if (!answer.routine() && !answer.summary().empty())
                    log_(answer.rcode() == 0 ? dns_info : dns_warning, answer.summary());
            }
            receive(index);
        });
}

void DnsServer::accept(size_t index)
{
    tcp_[index]->async_accept([this, index](const boost::system::error_code& error, tcp::socket socket) {
        if (error == asio::error::operation_aborted)
            return;
        if (!error) {
            if (tcp_connections_ >= max_tcp_connections) {
                boost::system::error_code ignored;
                socket.close(ignored);
            } else {
                std::make_shared<TcpSession>(*this, std::move(socket))->read_length();
            }
        }
        accept(index);
    });
}

} // namespace signet::daemon
