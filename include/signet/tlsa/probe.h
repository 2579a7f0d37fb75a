// Fetching the certificate chain a TLS service presents: connect, start TLS
// (at once, or after SMTP's STARTTLS), and keep the chain the server sent.
// The chain is not verified here; tlsa::check_chain judges it against the
// TLSA records.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <signet/base/error.h>
#include <signet/crypto/x509.h>

namespace signet::tlsa {

enum class TlsStart {
    Implicit, // TLS from the first byte (HTTPS, SMTPS, IMAPS, POP3S)
    SmtpStarttls, // SMTP greeting, EHLO, STARTTLS (RFC 3207)
};

// STARTTLS for SMTP on 25 and 587; TLS from the first byte on 443, 465, 993,
// 995 and any other port.
TlsStart tls_start_for_port(uint16_t port);
std::string_view tls_start_to_text(TlsStart start); // "tls", "starttls-smtp"

struct ProbeTarget {
    std::string address; // a host name or an IP address to connect to
    uint16_t port = 0;
    std::string server_name; // SNI, and the name EHLO is sent to; no final dot
    TlsStart start = TlsStart::Implicit;
    std::chrono::milliseconds timeout { 10000 }; // for the whole exchange
};

// The chain the server presented, end entity first. Errors say how far the
// exchange got ("connecting to 192.0.2.1:25: connection refused", "the server
// does not offer STARTTLS", "TLS handshake: ...").
Result<crypto::CertificateChain> probe(const ProbeTarget& target);

// "HOST:PORT", "[IPv6]:PORT" or "IPv4:PORT", as --connect takes it.
Result<std::pair<std::string, uint16_t>> parse_host_port(std::string_view text);

} // namespace signet::tlsa
