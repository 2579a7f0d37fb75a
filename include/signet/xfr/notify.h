// NOTIFY (RFC 1996): a primary telling a secondary that a zone has a new
// version, so that it asks for the SOA now rather than at its next refresh.
// The message, and whether a datagram that came back answers it; no
// sockets here (signetd sends it, retries and waits).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <signet/base/clock.h>
#include <signet/base/error.h>
#include <signet/dns/zone.h>
#include <signet/xfr/message.h>
#include <signet/xfr/tsig.h>

namespace signet::xfr {

// What a datagram from the secondary's address says of a NOTIFY.
struct NotifyReply {
    enum class Outcome {
        Unrelated, // not a response to this NOTIFY: ignored
        Acknowledged, // NOERROR, and signed with the key when the NOTIFY was
        Error, // another rcode, signed with the key when the NOTIFY was
        Unverified, // an answer whose TSIG does not check: not to be trusted, so the retries go on
    };
    Outcome outcome = Outcome::Unrelated;
    uint16_t rcode = 0;
    std::string why; // Error, Unverified: for the log, never the secret
};

// One NOTIFY of one version of a zone to one secondary. A retry sends the
// same octets (§3.6 retransmits the message; its TSIG time stays within
// the fudge for far longer than the retries last), so an answer to any try
// matches.
class Notify {
public:
    // The message of §3.7: opcode NOTIFY, AA, the question (apex, IN, SOA)
    // and the new SOA in the answer section, which a secondary may use as a
    // hint (§3.7); signed with `key` (RFC 8945) when there is one.
    static Result<Notify> make(const dns::Zone& zone, uint16_t id, std::optional<TsigKey> key, TimePoint now);

    const std::string& wire() const { return wire_; }
    uint16_t id() const { return id_; }
    const dns::Name& zone() const { return zone_; }
    uint32_t serial() const { return serial_; }
    // The key it is signed with, if any.
    const std::optional<TsigKey>& key() const { return key_; }

    // Looks at a datagram that came from the secondary's address: a
    // response (QR) with the same ID, opcode NOTIFY and, if it has one, the
    // same question (secondaries echo the query's).
    NotifyReply check_reply(std::string_view wire, TimePoint now) const;

private:
    Notify() = default;

    std::string wire_;
    uint16_t id_ = 0;
    dns::Name zone_;
    uint32_t serial_ = 0;
    std::optional<TsigKey> key_;
    Bytes mac_; // of the request, which the response's MAC covers (RFC 8945 §5.3)
};

} // namespace signet::xfr
