// NOTIFY out (RFC 1996), on the DNS server's thread: each new version of a
// zone announced over UDP to the remotes the zone names, each NOTIFY sent
// again until it is answered or the tries run out (§3.6), all of it
// asynchronous on the server's loop, so that a signing never waits for a
// secondary. What goes on the wire and what answers it is xfr::Notify's.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include <signet/dns/zone.h>
#include <signet/xfr/notify.h>
#include <signet/xfr/tsig.h>

namespace signet::daemon {

// A secondary to notify: its [remote.NAME], where it listens, its key.
struct NotifyTarget {
    std::string remote;
    boost::asio::ip::udp::endpoint endpoint;
    std::optional<xfr::TsigKey> key;
};

class Notifier {
public:
    // A line for the daemon's log, and its syslog priority.
    using Log = std::function<void(int priority, const std::string& text)>;

    Notifier(boost::asio::io_context& io, Log log);
    ~Notifier();
    Notifier(const Notifier&) = delete;
    Notifier& operator=(const Notifier&) = delete;

    // On the server's thread only. Sends `zone`'s SOA to every target; what
    // is still being retried for an older version of the zone stops.
    void notify(const dns::Zone& zone, const std::vector<NotifyTarget>& targets);

    // Tries per NOTIFY, and the wait after the first, doubling after each:
    // 2, 4, 8, 16, 32 s, a minute in all, well within the TSIG fudge the
    // message was signed with.
    static constexpr int max_tries = 5;
    static constexpr std::chrono::seconds first_wait { 2 };

private:
    struct Pending;
    struct Socket {
        explicit Socket(boost::asio::io_context& io)
            : socket(io)
        {
        }
        boost::asio::ip::udp::socket socket;
        // Answers to a NOTIFY are small; a longer datagram is cut, fails to
        // parse and is ignored.
        std::array<char, 4096> buffer {};
        boost::asio::ip::udp::endpoint sender;
    };
    Socket* socket_for(const boost::asio::ip::udp::endpoint& to, std::string& why);
    void receive(Socket& socket);
    void send(const std::shared_ptr<Pending>& pending);
    void finish(const std::shared_ptr<Pending>& pending, int priority, std::string_view outcome);
    Result<uint16_t> free_id() const;

    boost::asio::io_context& io_;
    Log log_;
    // One socket per address family, from an ephemeral port, for every
    // NOTIFY: answers are told apart by their ID, so IDs are unique among
    // those pending.
    std::unique_ptr<Socket> v4_, v6_;
    std::map<uint16_t, std::shared_ptr<Pending>> pending_;
};

} // namespace signet::daemon
