// Answering the queries a primary gets: SOA for a served zone, AXFR (RFC
// 5936) and IXFR (RFC 1995: from the journal's changes, else the whole zone,
// which §4 permits), with TSIG (RFC 8945) and per-zone transfer rules.
//
// No sockets here: the daemon hands in a query's octets, who sent it and
// how, and takes out the messages to send. What is served is a Catalog, an
// immutable value: a new signed version makes a new catalog, and a transfer
// under way keeps the one it started with.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <signet/base/clock.h>
#include <signet/dns/name.h>
#include <signet/dns/zone.h>
#include <signet/xfr/message.h>
#include <signet/xfr/tsig.h>

namespace signet::xfr {

// An IPv4 or IPv6 address; IPv4 is held as an IPv4-mapped IPv6 address
// (RFC 4291 §2.5.5.2), so that a dual-stack socket's peers compare equal to
// the configured IPv4 address.
struct Address {
    std::array<uint8_t, 16> octets {};

    static std::optional<Address> from_text(std::string_view text); // "192.0.2.1", "2001:db8::1"
    static Address from_ipv4(const std::array<uint8_t, 4>& octets);
    std::string to_text() const;
    bool operator==(const Address&) const = default;
};

// A peer a zone may be transferred to: its address (any source port) and,
// when it has one, the TSIG key its requests must be signed with.
struct Peer {
    std::string name; // [remote.NAME], for the log
    Address address;
    std::optional<dns::Name> key;
};

// One published version's changes, from the journal: the records it
// removed (the old SOA among them) and added (the new SOA among them).
struct VersionDiff {
    uint32_t serial_from = 0;
    uint32_t serial_to = 0;
    dns::Zone removed;
    dns::Zone added;
};

struct ServedZone {
    std::shared_ptr<const dns::Zone> zone;
    // The versions before it, oldest first, the last ending at zone's
    // serial; what IXFR answers from (RFC 1995 §4). Empty: IXFR gets the
    // whole zone.
    std::shared_ptr<const std::vector<VersionDiff>> journal;
    std::vector<Peer> allow_transfer;
};

// Every zone served and every TSIG key known, at one moment.
struct Catalog {
    std::map<dns::Name, ServedZone> zones; // by apex, in canonical order
    std::vector<TsigKey> keys;
};

enum class Transport { Udp, Tcp };

struct Client {
    Address address;
    Transport transport = Transport::Udp;
};

// The answer to one query: nothing (a message that is no query is not
// answered), one message, or the messages of a transfer, made one at a time
// as they are sent, so that a large zone is never all in memory twice.
class Answer {
public:
    // The next message to send; nothing when all were.
    std::optional<std::string> next(TimePoint now);
    // For the log: what was asked, by whom, and how it was answered. Says
    // nothing of keys but their names.
    const std::string& summary() const { return summary_; }
    uint16_t rcode() const { return rcode_; }
    // An SOA query answered: what secondaries ask every refresh interval,
    // not worth a log line each.
    bool routine() const { return routine_; }

private:
    friend Answer answer_query(std::shared_ptr<const Catalog> catalog, std::string_view query, const Client& client,
                               TimePoint now);
    Result<std::string> transfer_message(TimePoint now);
    Result<std::string> sign(std::string message, TimePoint now);

    std::shared_ptr<const Catalog> catalog_;
    std::optional<std::string> single_; // a one-message answer not yet taken
    bool done_ = false;
    std::string summary_;
    uint16_t rcode_ = 0;
    bool routine_ = false;

    // A transfer in progress: the parts it sends, in order, each an SOA
    // (the apex SOA of a zone) or a zone's records but its apex SOA. AXFR:
    // SOA, records, SOA. IXFR (RFC 1995 §4): the new SOA, then per version
    // the old SOA, the records removed, the new SOA, the records added; and
    // the new SOA again.
    struct Part {
        const dns::Zone* zone;
        bool soa;
    };
    // The parts of an incremental answer from `serial` to the zone's, or
    // none when the journal does not lead there version by version.
    static std::vector<Part> incremental_parts(const dns::Zone& zone, const std::vector<VersionDiff>* journal,
                                               uint32_t serial);
    std::vector<Part> parts_;
    size_t part_ = 0;
    bool in_body_ = false;
    Header header_;
    std::optional<Question> question_;
    std::optional<Edns> edns_;
    const TsigKey* tsig_key_ = nullptr; // in catalog_
    std::optional<TsigSigner> signer_;
    size_t rrset_ = 0; // the RRset whose RRs go next
    dns::RdataRange::iterator rdata_ {}, rdata_end_ {};
    size_t messages_ = 0;
    size_t records_ = 0;
};

// Answers one query from `client`. `now` checks the TSIG time.
Answer answer_query(std::shared_ptr<const Catalog> catalog, std::string_view query, const Client& client,
                    TimePoint now);

} // namespace signet::xfr
