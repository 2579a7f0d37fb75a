// TLSA bindings of a zone: the store's rows (enforcer::TlsaBindingEntry)
// meet the tlsa module's records, rollover plan and live check here.
//
// What a zone publishes is known from the signings themselves: each signing
// records the TLSA records it is about to publish as `pending`, at its
// start time; when the zone's signed_at later equals that time, the signing
// was written and `pending` is what the output holds. A signing that fails
// leaves signed_at as it was, and its pending records are forgotten.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <signet/base/clock.h>
#include <signet/base/duration.h>
#include <signet/base/error.h>
#include <signet/dns/zone.h>
#include <signet/enforcer/keydb.h>
#include <signet/tlsa/match.h>
#include <signet/tlsa/probe.h>
#include <signet/tlsa/rollover.h>

namespace signet::app {

// "mail.example.nl. 25/tcp".
std::string binding_label(const enforcer::TlsaBindingEntry& binding);
// `_25._tcp.mail.example.nl.`
Result<dns::Name> binding_owner(const enforcer::TlsaBindingEntry& binding);
// What the zone's signed output holds for the binding now (see above).
std::vector<tlsa::PublishedRecord> published_records(const enforcer::TlsaBindingEntry& binding,
                                                     const enforcer::ZoneEntry& zone);

// Derives the TLSA records of every binding of `zone` from its certificate
// files as they are at `now` (the current certificate's and, in a rollover,
// the next one's) and adds them to `input`, the zone about to be signed.
// Refuses a binding whose owner is outside the zone or below one of its
// delegations, or that already has a TLSA RRset (or a CNAME) in the input:
// the message names the file and the binding, and nothing is changed. A
// binding whose certificate is missing, unreadable or expired keeps the
// records published last (none for one never published) and is returned
// as an alarm naming the file. Then records what
// this signing publishes as pending. A binding none of whose published
// records matches its certificate any more (key and issuer both changed)
// keeps its old records until the new ones have been published for a TTL
// plus `propagation_delay`, and is returned as an alarm for the operator.
Result<std::vector<std::string>> add_tlsa_records(enforcer::KeyDb& db, const enforcer::ZoneEntry& zone,
                                                  dns::Zone& input, TimePoint now, Duration propagation_delay);

// Before a zone's last good version is signed again in place of an input
// that cannot be signed: what the bindings' last signing published becomes
// their published records, nothing is pending.
Result<void> settle_tlsa_bindings(enforcer::KeyDb& db, const enforcer::ZoneEntry& zone);

struct TlsaRequest {
    std::string host;
    uint16_t port = 0;
    std::string proto = "tcp";
    std::filesystem::path cert;
    std::optional<std::filesystem::path> chain;
    std::string records; // empty: 3 1 1 and 2 1 1
    std::optional<std::filesystem::path> next_cert;
    std::optional<std::filesystem::path> next_chain;
    uint32_t ttl = 3600;
};

enum class Replace { No, Yes };

// Stores a binding after checking that its owner is in the zone and that
// its files give every record now. With Replace::Yes an existing binding of
// the same host, port and proto takes the new files and kinds of record and
// keeps what was published.
Result<enforcer::TlsaBindingEntry> add_binding(enforcer::KeyDb& db, const enforcer::ZoneEntry& zone,
                                               const TlsaRequest& request, Replace replace, TimePoint now);

// The zone's binding for `host` (and `port` and `proto`, when given; without
// a port the host must have one binding only).
Result<enforcer::TlsaBindingEntry> find_binding(enforcer::KeyDb& db, const enforcer::ZoneEntry& zone,
                                                std::string_view host, std::optional<uint16_t> port,
                                                std::string_view proto);

struct TlsaBindingStatus {
    enforcer::TlsaBindingEntry binding;
    dns::Name owner;
    tlsa::RolloverPlan plan;
    bool ca_change = false; // the next certificate has another issuer
    std::optional<Error> problem; // the files cannot give the records now: the published ones are kept
    bool zone_signed = false;
};

// Per binding: what is published since when, and where the rollover stands.
// `propagation_delay` is the time secondaries take to serve a new zone.
Result<std::vector<TlsaBindingStatus>> tlsa_status(enforcer::KeyDb& db, const enforcer::ZoneEntry& zone,
                                                   Duration propagation_delay, TimePoint now);

struct LiveOptions {
    std::optional<std::string> connect; // "ADDR:PORT" instead of the binding's host and port
    std::optional<std::filesystem::path> pkix_ca_file;
    std::chrono::milliseconds timeout { 10000 };
};

struct TlsaCheckResult {
    enforcer::TlsaBindingEntry binding;
    dns::Name owner;
    tlsa::ProbeTarget target;
    std::vector<tlsa::Record> records;
    bool published = false; // false: the zone does not publish them yet; these are the next signing's
    std::optional<Error> error; // the connection or handshake failed
    tlsa::ChainCheck check;

    bool ok() const { return !error && check.matched(); }
};

// Connects to each bound service (of `host` only, when given) and judges the
// chain it presents against the records the zone publishes.
Result<std::vector<TlsaCheckResult>> check_tlsa(enforcer::KeyDb& db, const enforcer::ZoneEntry& zone,
                                                std::optional<std::string_view> host, const LiveOptions& live,
                                                TimePoint now);

enum class Force { No, Yes };

struct RemoveReport {
    enforcer::TlsaBindingEntry binding; // as it is now (after --old), or as it was (removed)
    std::vector<tlsa::Record> dropped; // records the next signing no longer publishes
    std::string live; // what the live check found, for people
};

// Forgets a binding; its records leave the zone at the next signing. When
// the service can be reached and still presents a certificate that one of
// the published records matches, refuses (unless Force::Yes): the service
// would lose DANE.
Result<RemoveReport> remove_binding(enforcer::KeyDb& db, const enforcer::ZoneEntry& zone,
                                    const enforcer::TlsaBindingEntry& binding, const LiveOptions& live, Force force,
                                    TimePoint now);

// The last step of a rollover: the next certificate becomes the current one
// and the records only the old one matched leave at the next signing.
// Refuses (unless Force::Yes) when the service still presents a certificate
// that a leaving record matches, or, when it cannot be reached, while the
// next certificate's records may still be missing from some cache.
Result<RemoveReport> drop_old_certificate(enforcer::KeyDb& db, const enforcer::ZoneEntry& zone,
                                          const enforcer::TlsaBindingEntry& binding, Duration propagation_delay,
                                          const LiveOptions& live, Force force, TimePoint now);

} // namespace signet::app
