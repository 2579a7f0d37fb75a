#include <signet/tlsa/probe.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/host_name.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

namespace signet::tlsa {

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using ErrorCodeB = boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

// SMTP replies are short; a server that sends more is not one.
constexpr size_t max_reply_size = 64 * 1024;

struct Reply {
    int code = 0;
    std::vector<std::string> lines; // text after "NNN-" / "NNN "
};

class Session {
public:
    explicit Session(const ProbeTarget& target)
        : target_(target)
        , tls_(asio::ssl::context::tls_client)
        , stream_(io_, tls_)
        , deadline_(SteadyClock::now() + target.timeout)
    {
        stream_.set_verify_mode(asio::ssl::verify_none); // check_chain judges the chain
    }

    Result<crypto::CertificateChain> run()
    {
        SIGNET_TRY(connect());
        if (target_.start == TlsStart::SmtpStarttls)
            SIGNET_TRY(smtp_starttls());
        return handshake();
    }

private:
    std::string where() const { return fmt::format("{}:{}", target_.address, target_.port); }

    // Starts one asynchronous step with `start(done)` and runs it to its
    // end or to the deadline, whichever comes first.
    Result<void> step(std::string_view what, const std::function<void(std::function<void(ErrorCodeB)>)>& start)
    {
        ErrorCodeB result = asio::error::would_block;
        start([&result](ErrorCodeB ec) { result = ec; });
        io_.restart();
        auto remaining = deadline_ - SteadyClock::now();
        if (remaining > SteadyClock::duration::zero())
            io_.run_for(remaining);
        if (result == asio::error::would_block) {
            ErrorCodeB ignored;
            stream_.lowest_layer().close(ignored);
            io_.restart();
            io_.run(); // lets the cancelled operation finish
            return fail(ErrorCode::Io, fmt::format("{}: {}: no answer within {:g} s", where(), what,
                                                   std::chrono::duration<double>(target_.timeout).count()));
        }
        if (result)
            return fail(ErrorCode::Io, fmt::format("{}: {}: {}", where(), what, result.message()));
        return {};
    }

    Result<void> connect()
    {
        tcp::resolver resolver(io_);
        tcp::resolver::results_type endpoints;
        SIGNET_TRY(step("resolving", [&](auto done) {
            resolver.async_resolve(target_.address, std::to_string(target_.port),
                                   [&endpoints, done](ErrorCodeB ec, tcp::resolver::results_type results) {
                                       endpoints = std::move(results);
                                       done(ec);
                                   });
        }));
        return step("connecting", [&](auto done) {
            asio::async_connect(stream_.next_layer(), endpoints,
                                [done](ErrorCodeB ec, const tcp::endpoint&) { done(ec); });
        });
    }

    Result<std::string> read_line(std::string_view what)
    {
        size_t length = 0;
        SIGNET_TRY(step(what, [&](auto done) {
            asio::async_read_until(stream_.next_layer(), asio::dynamic_buffer(buffer_, max_reply_size), "\r\n",
                                   [&length, done](ErrorCodeB ec, size_t n) {
                                       length = n;
                                       done(ec);
                                   });
        }));
        std::string line = buffer_.substr(0, length - 2);
        buffer_.erase(0, length);
        return line;
    }

    // RFC 5321 §4.2: "NNN-text" lines, then a last "NNN text" line.
    Result<Reply> read_reply(std::string_view what)
    {
        Reply reply;
        while (true) {
            std::string line = SIGNET_TRY(read_line(what));
            if (line.size() < 3
                || !std::all_of(line.begin(), line.begin() + 3, [](unsigned char c) { return std::isdigit(c) != 0; })
                || (line.size() > 3 && line[3] != ' ' && line[3] != '-'))
                return fail(ErrorCode::Io, fmt::format("{}: {}: not an SMTP reply: '{}'", where(), what, line));
            int code = std::stoi(line.substr(0, 3));
            if (reply.code != 0 && code != reply.code)
                return fail(ErrorCode::Io, fmt::format("{}: {}: reply codes {} and {} in one reply", where(), what,
                                                       reply.code, code));
            reply.code = code;
            reply.lines.push_back(line.size() > 4 ? line.substr(4) : std::string());
            if (line.size() == 3 || line[3] == ' ')
                return reply;
            if (reply.lines.size() > 100)
                return fail(ErrorCode::Io, fmt::format("{}: {}: reply of more than 100 lines", where(), what));
        }
    }

    Result<void> send(std::string_view what, std::string line)
    {
        return step(what, [&](auto done) {
            asio::async_write(stream_.next_layer(), asio::buffer(line),
                              [done](ErrorCodeB ec, size_t) { done(ec); });
        });
    }

    // RFC 3207: greeting, EHLO, STARTTLS, then TLS on the same connection.
    Result<void> smtp_starttls()
    {
        Reply greeting = SIGNET_TRY(read_reply("reading the SMTP greeting"));
        if (greeting.code != 220)
            return fail(ErrorCode::Io, fmt::format("{}: the SMTP greeting is {} {}", where(), greeting.code,
                                                   greeting.lines.empty() ? "" : greeting.lines.front()));
        ErrorCodeB ignored;
        std::string me = asio::ip::host_name(ignored);
        if (me.empty())
            me = "localhost";
        SIGNET_TRY(send("sending EHLO", fmt::format("EHLO {}\r\n", me)));
        Reply ehlo = SIGNET_TRY(read_reply("reading the EHLO reply"));
        if (ehlo.code != 250)
            return fail(ErrorCode::Io, fmt::format("{}: EHLO was answered with {}", where(), ehlo.code));
        bool offered = std::ranges::any_of(ehlo.lines, [](const std::string& line) {
            std::string keyword = line.substr(0, line.find(' '));
            std::ranges::transform(keyword, keyword.begin(), [](unsigned char c) { return std::toupper(c); });
            return keyword == "STARTTLS";
        });
        if (!offered)
            return fail(ErrorCode::Io, fmt::format("{}: the SMTP server does not offer STARTTLS", where()));
        SIGNET_TRY(send("sending STARTTLS", "STARTTLS\r\n"));
        Reply go = SIGNET_TRY(read_reply("reading the STARTTLS reply"));
        if (go.code != 220)
            return fail(ErrorCode::Io, fmt::format("{}: STARTTLS was answered with {}", where(), go.code));
        // Anything sent before the handshake would be injected plaintext
        // (the STARTTLS command injection attacks, RFC 3207 §5).
        if (!buffer_.empty())
            return fail(ErrorCode::Io, fmt::format("{}: the server sent data after its STARTTLS reply", where()));
        return {};
    }

    Result<crypto::CertificateChain> handshake()
    {
        ErrorCodeB not_address;
        asio::ip::make_address(target_.server_name, not_address);
        if (!target_.server_name.empty() && not_address) // SNI carries names only (RFC 6066 §3)
            SSL_set_tlsext_host_name(stream_.native_handle(), target_.server_name.c_str());
        SIGNET_TRY(step("TLS handshake", [&](auto done) {
            stream_.async_handshake(asio::ssl::stream_base::client, [done](ErrorCodeB ec) { done(ec); });
        }));
        crypto::CertificateChain chain;
        if (STACK_OF(X509)* presented = SSL_get_peer_cert_chain(stream_.native_handle())) {
            for (int i = 0; i < sk_X509_num(presented); ++i)
                chain.push_back(crypto::Certificate::share(sk_X509_value(presented, i)));
        }
        ErrorCodeB ignored;
        stream_.lowest_layer().close(ignored);
        if (chain.empty())
            return fail(ErrorCode::Io, fmt::format("{}: the server presented no certificate", where()));
        return chain;
    }

    const ProbeTarget& target_;
    asio::io_context io_;
    asio::ssl::context tls_;
    asio::ssl::stream<tcp::socket> stream_;
    SteadyClock::time_point deadline_;
    std::string buffer_;
};

} // namespace

TlsStart tls_start_for_port(uint16_t port)
{
    return port == 25 || port == 587 ? TlsStart::SmtpStarttls : TlsStart::Implicit;
}

std::string_view tls_start_to_text(TlsStart start)
{
    return start == TlsStart::SmtpStarttls ? "starttls-smtp" : "tls";
}

Result<crypto::CertificateChain> probe(const ProbeTarget& target)
{
    Session session(target);
    return session.run();
}

Result<std::pair<std::string, uint16_t>> parse_host_port(std::string_view text)
{
    std::string_view host;
    std::string_view port;
    if (text.starts_with('[')) {
        size_t close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return fail(ErrorCode::Usage, fmt::format("'{}' is not [ADDRESS]:PORT", text));
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        size_t colon = text.rfind(':');
        if (colon == std::string_view::npos || text.find(':') != colon)
            return fail(ErrorCode::Usage,
                        fmt::format("'{}' is not ADDRESS:PORT (write an IPv6 address as [ADDRESS]:PORT)", text));
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (host.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
        return fail(ErrorCode::Usage, fmt::format("'{}': give an address and a port from 1 to 65535", text));
    return std::pair<std::string, uint16_t>(std::string(host), static_cast<uint16_t>(value));
}

} // namespace signet::tlsa
