#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <fmt/format.h>
#include <openssl/ssl.h>

#include <signet/tlsa/probe.h>

#include "../fixtures/certs.h"

namespace signet::tlsa::probe_test {
namespace {

const TimePoint now = TimePoint(std::chrono::seconds(1790000000));

// A one-connection server on 127.0.0.1, in a thread, speaking plain
// OpenSSL: TLS at once, SMTP with STARTTLS, SMTP without it, or nothing.
class TestServer {
public:
    enum class Mode { Tls, Smtp, SmtpWithoutStarttls, Silent };

    TestServer(Mode mode, X509* cert, EVP_PKEY* key, X509* issuer)
        : mode_(mode)
    {
        // The client hangs up right after the handshake; a write then must
        // fail, not kill the test with SIGPIPE.
        ::signal(SIGPIPE, SIG_IGN);
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address {};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = 0;
        if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0
            || ::listen(listener_, 4) != 0)
            throw std::runtime_error("cannot listen");
        socklen_t length = sizeof address;
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);

        ctx_ = SSL_CTX_new(TLS_server_method());
        SSL_CTX_use_certificate(ctx_, cert);
        SSL_CTX_use_PrivateKey(ctx_, key);
        if (issuer) {
            X509_up_ref(issuer);
            SSL_CTX_add_extra_chain_cert(ctx_, issuer);
        }
        SSL_CTX_set_tlsext_servername_callback(ctx_, &TestServer::on_servername);
        SSL_CTX_set_tlsext_servername_arg(ctx_, this);
        thread_ = std::thread([this] { serve(); });
    }

    ~TestServer()
    {
        stop_ = true;
        join();
        ::close(listener_);
        SSL_CTX_free(ctx_);
    }

    // Waits for the connection to end; read what the server saw only after.
    void join()
    {
        if (thread_.joinable())
            thread_.join();
    }

    uint16_t port() const { return port_; }
    std::string server_name() const { return server_name_; }
    std::string ehlo() const { return ehlo_; }

private:
    static int on_servername(SSL* ssl, int*, void* arg)
    {
        if (const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name))
            static_cast<TestServer*>(arg)->server_name_ = name;
        return SSL_TLSEXT_ERR_OK;
    }

    bool readable(int fd)
    {
        pollfd p { fd, POLLIN, 0 };
        while (!stop_) {
            if (::poll(&p, 1, 50) > 0)
                return true;
        }
        return false;
    }

    std::string read_line(int fd)
    {
        std::string line;
        char c;
        while (readable(fd) && ::read(fd, &c, 1) == 1) {
            line += c;
            if (c == '\n')
                break;
        }
        return line;
    }

    void say(int fd, std::string_view text) { (void)!::write(fd, text.data(), text.size()); }

    void serve()
    {
        if (!readable(listener_))
            return;
        int fd = ::accept(listener_, nullptr, nullptr);
        if (fd < 0)
            return;
        if (mode_ == Mode::Silent) {
            // Reads what the client sends, answers nothing, until it gives
            // up (or the test ends).
            char buffer[512];
            while (readable(fd) && ::read(fd, buffer, sizeof buffer) > 0) { }
            ::close(fd);
            return;
        }
        if (mode_ != Mode::Tls) {
            say(fd, "220 test.invalid ESMTP\r\n");
            ehlo_ = read_line(fd);
            if (mode_ == Mode::SmtpWithoutStarttls) {
                say(fd, "250-test.invalid\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n");
                read_line(fd);
                ::close(fd);
                return;
            }
            say(fd, "250-test.invalid\r\n250-PIPELINING\r\n250 starttls\r\n");
            read_line(fd); // STARTTLS
            say(fd, "220 2.0.0 ready to start TLS\r\n");
        }
        SSL* ssl = SSL_new(ctx_);
        SSL_set_fd(ssl, fd);
        if (SSL_accept(ssl) == 1)
            SSL_shutdown(ssl);
        SSL_free(ssl);
        ::close(fd);
    }

    Mode mode_;
    int listener_ = -1;
    uint16_t port_ = 0;
    SSL_CTX* ctx_ = nullptr;
    std::atomic<bool> stop_ = false;
    std::string server_name_;
    std::string ehlo_;
    std::thread thread_;
};

ProbeTarget target(uint16_t port, TlsStart start)
{
    ProbeTarget t;
    t.address = "127.0.0.1";
    t.port = port;
    t.server_name = "mail.example.nl";
    t.start = start;
    t.timeout = std::chrono::seconds(10);
    return t;
}

TEST(TlsaProbe, ImplicitTlsGivesThePresentedChain)
{
    testing::TestPki pki(now);
    auto leaf = pki.issue("mail.example.nl");
    TestServer server(TestServer::Mode::Tls, leaf.cert.get(), leaf.key.get(), pki.ca.get());
    auto chain = probe(target(server.port(), TlsStart::Implicit));
    ASSERT_TRUE(chain) << chain.error().to_string();
    ASSERT_EQ(chain->size(), 2u);
    EXPECT_EQ((*chain)[0].der(), testing::to_der(leaf.cert.get()));
    EXPECT_EQ((*chain)[1].der(), testing::to_der(pki.ca.get()));
    server.join();
    EXPECT_EQ(server.server_name(), "mail.example.nl"); // SNI
}

TEST(TlsaProbe, SmtpStarttls)
{
    testing::TestPki pki(now);
    auto leaf = pki.issue("mail.example.nl");
    TestServer server(TestServer::Mode::Smtp, leaf.cert.get(), leaf.key.get(), nullptr);
    auto chain = probe(target(server.port(), TlsStart::SmtpStarttls));
    ASSERT_TRUE(chain) << chain.error().to_string();
    ASSERT_EQ(chain->size(), 1u);
    EXPECT_EQ((*chain)[0].der(), testing::to_der(leaf.cert.get()));
    server.join();
    EXPECT_TRUE(server.ehlo().starts_with("EHLO ")) << server.ehlo();
    EXPECT_TRUE(server.ehlo().ends_with("\r\n"));
}

TEST(TlsaProbe, FailuresSayHowFarItGot)
{
    testing::TestPki pki(now);
    auto leaf = pki.issue("mail.example.nl");
    {
        TestServer server(TestServer::Mode::SmtpWithoutStarttls, leaf.cert.get(), leaf.key.get(), nullptr);
        auto chain = probe(target(server.port(), TlsStart::SmtpStarttls));
        ASSERT_FALSE(chain);
        EXPECT_NE(chain.error().message().find("does not offer STARTTLS"), std::string::npos)
            << chain.error().message();
    }
    uint16_t closed_port = 0;
    {
        TestServer server(TestServer::Mode::Silent, leaf.cert.get(), leaf.key.get(), nullptr);
        ProbeTarget t = target(server.port(), TlsStart::Implicit);
        t.timeout = std::chrono::milliseconds(300);
        auto started = std::chrono::steady_clock::now();
        auto chain = probe(t);
        ASSERT_FALSE(chain);
        EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
        EXPECT_NE(chain.error().message().find("TLS handshake: no answer within"), std::string::npos)
            << chain.error().message();
        closed_port = server.port();
    }
    // The listener is closed now: nobody listens on that port.
    auto refused = probe(target(closed_port, TlsStart::Implicit));
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message().find(fmt::format("127.0.0.1:{}: connecting", closed_port)), std::string::npos)
        << refused.error().message();
}

TEST(TlsaProbe, PortsAndAddresses)
{
    EXPECT_EQ(tls_start_for_port(25), TlsStart::SmtpStarttls);
    EXPECT_EQ(tls_start_for_port(587), TlsStart::SmtpStarttls);
    for (uint16_t port : { 443, 465, 993, 995, 8443 })
        EXPECT_EQ(tls_start_for_port(port), TlsStart::Implicit) << port;

    EXPECT_EQ(*parse_host_port("127.0.0.1:2525"), (std::pair<std::string, uint16_t>("127.0.0.1", 2525)));
    EXPECT_EQ(*parse_host_port("mx.example.nl:25"), (std::pair<std::string, uint16_t>("mx.example.nl", 25)));
    EXPECT_EQ(*parse_host_port("[::1]:443"), (std::pair<std::string, uint16_t>("::1", 443)));
    for (std::string_view bad :
        { "127.0.0.1", "::1:443", "[::1]443", "host:0", "host:65536", ":25", "host:2x", "[::1]:" })
        EXPECT_FALSE(parse_host_port(bad)) << bad;
}

} // namespace
} // namespace signet::tlsa::probe_test
