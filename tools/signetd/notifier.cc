#include "notifier.h"

#include <openssl/rand.h>

#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>

#include <signet/base/clock.h>

namespace signet::daemon {

namespace asio = boost::asio;
using udp = asio::ip::udp;

namespace {

// syslog priorities, as the daemon's log takes them.
constexpr int notify_warning = 4;
constexpr int notify_info = 6;

// More than this many NOTIFYs waiting for an answer and a new one is not
// sent: IDs must stay unique, and guessing one must stay hard.
constexpr size_t max_pending = 16384;

std::string endpoint_text(const udp::endpoint& endpoint)
{
    return endpoint.address().is_v6() ? fmt::format("[{}]:{}", endpoint.address().to_string(), endpoint.port())
                                       : fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
}

} // namespace

struct Notifier::Pending {
    Pending(asio::io_context& io, xfr::Notify notify, const NotifyTarget& target)
        : notify(std::move(notify))
        , remote(target.remote)
        , to(target.endpoint)
        , timer(io)
    {
    }

    // For the log: the zone, the version, to whom; the key by name only.
    std::string what() const
    {
        return fmt::format("NOTIFY {} serial {} to {} ({}{})", notify.zone().to_text(), notify.serial(), remote,
                           endpoint_text(to), notify.key() ? " key " + notify.key()->name().to_text() : "");
    }

    xfr::Notify notify;
    std::string remote;
    udp::endpoint to;
    asio::steady_timer timer;
    int sent = 0;
    std::string last_problem; // the last unverified answer or send error, for the give-up line
};

Notifier::Notifier(asio::io_context& io, Log log)
    : io_(io)
    , log_(std::move(log))
{
}

Notifier::~Notifier() = default;

Result<uint16_t> Notifier::free_id() const
{
    if (pending_.size() >= max_pending)
        return fail(ErrorCode::Internal, fmt::format("{} NOTIFYs are waiting for an answer", pending_.size()));
    // Random, as a query ID should be (RFC 5452 §4.3): a forged answer
    // would otherwise stop the retries.
    for (;;) {
        uint16_t id = 0;
        if (RAND_bytes(reinterpret_cast<unsigned char*>(&id), sizeof id) != 1)
            return fail(ErrorCode::Crypto, "no random ID (RAND_bytes failed)");
        if (!pending_.contains(id))
            return id;
    }
}

Notifier::Socket* Notifier::socket_for(const udp::endpoint& to, std::string& why)
{
    auto& slot = to.address().is_v6() ? v6_ : v4_;
    if (slot)
        return slot.get();
    auto socket = std::make_unique<Socket>(io_);
    boost::system::error_code error;
    socket->socket.open(to.protocol(), error);
    if (!error)
        socket->socket.bind(udp::endpoint(to.protocol(), 0), error);
    if (error) {
        why = fmt::format("cannot open a UDP socket: {}", error.message());
        return nullptr;
    }
    slot = std::move(socket);
    receive(*slot);
    return slot.get();
}

void Notifier::notify(const dns::Zone& zone, const std::vector<NotifyTarget>& targets)
{
    // A newer version: the secondaries are told of it instead.
    std::vector<std::shared_ptr<Pending>> replaced;
    for (const auto& [id, pending] : pending_) {
        if (pending->notify.zone() == zone.origin())
            replaced.push_back(pending);
    }
    for (const auto& pending : replaced)
        finish(pending, notify_info, fmt::format("replaced by serial {} after {} {}", zone.serial(), pending->sent,
                                                 pending->sent == 1 ? "try" : "tries"));
    for (const auto& target : targets) {
        auto id = free_id();
        if (!id) {
            log_(notify_warning, fmt::format("NOTIFY {} to {}: not sent: {}", zone.origin().to_text(), target.remote,
                                             id.error().message()));
            continue;
        }
        auto notify = xfr::Notify::make(zone, *id, target.key, SystemClock().now());
        if (!notify) {
            log_(notify_warning, fmt::format("NOTIFY {} to {}: not sent: {}", zone.origin().to_text(), target.remote,
                                             notify.error().to_string()));
            continue;
        }
        auto pending = std::make_shared<Pending>(io_, std::move(*notify), target);
        pending_.emplace(*id, pending);
        send(pending);
    }
}

void Notifier::send(const std::shared_ptr<Pending>& pending)
{
    std::string why;
    Socket* socket = socket_for(pending->to, why);
    if (!socket)
        return finish(pending, notify_warning, why);
    boost::system::error_code error;
    socket->socket.send_to(asio::buffer(pending->notify.wire()), pending->to, 0, error);
    if (error)
        pending->last_problem = fmt::format("sending: {}", error.message());
    ++pending->sent;
    pending->timer.expires_after(first_wait * (1 << (pending->sent - 1)));
    pending->timer.async_wait([this, pending](const boost::system::error_code& error) {
        auto it = pending_.find(pending->notify.id());
        if (error || it == pending_.end() || it->second != pending)
            return; // answered, or a newer version took its place
        if (pending->sent < max_tries)
            return send(pending);
        finish(pending, notify_warning,
               fmt::format("given up after {} tries{}", pending->sent,
                           pending->last_problem.empty() ? ", no answer" : "; the last answer: " + pending->last_problem));
    });
}

void Notifier::receive(Socket& socket)
{
    socket.socket.async_receive_from(
        asio::buffer(socket.buffer), socket.sender, [this, &socket](const boost::system::error_code& error, size_t size) {
            if (error == asio::error::operation_aborted)
                return;
            auto header = error ? std::nullopt : xfr::parse_header(std::string_view(socket.buffer.data(), size));
            auto it = header ? pending_.find(header->id) : pending_.end();
            // From where it was sent: anything else is no answer to it.
            if (it != pending_.end() && socket.sender == it->second->to) {
                auto pending = it->second;
                auto reply = pending->notify.check_reply(std::string_view(socket.buffer.data(), size),
                                                         SystemClock().now());
                switch (reply.outcome) {
                case xfr::NotifyReply::Outcome::Unrelated:
                    break;
                case xfr::NotifyReply::Outcome::Acknowledged:
                    finish(pending, notify_info, fmt::format("acknowledged (try {})", pending->sent));
                    break;
                case xfr::NotifyReply::Outcome::Error:
                    finish(pending, notify_warning, fmt::format("answered {}", reply.why));
                    break;
                case xfr::NotifyReply::Outcome::Unverified:
                    pending->last_problem = reply.why;
                    break;
                }
            }
            receive(socket);
        });
}

void Notifier::finish(const std::shared_ptr<Pending>& pending, int priority, std::string_view outcome)
{
    pending->timer.cancel();
    pending_.erase(pending->notify.id());
    log_(priority, fmt::format("{}: {}", pending->what(), outcome));
}

} // namespace signet::daemon
