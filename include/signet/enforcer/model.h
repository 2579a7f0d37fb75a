// What the enforcer knows of a zone and its keys, whatever keeps them: the
// zones, their keys with the state of each key's records, the history of
// what happened to them, and the TLSA bindings of a zone. Plain values; the
// SQLite store (keydb.h) and any other ZoneStore (zone_store.h) read and
// write them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <signet/base/clock.h>
#include <signet/base/error.h>
#include <signet/crypto/algorithm.h>
#include <signet/dns/name.h>

namespace signet::enforcer {


// What a key does: signs the DNSKEY RRset (KSK), the rest of the zone (ZSK),
// or both (CSK). Text: "ksk", "zsk", "csk".
enum class KeyRole { KSK, ZSK, CSK };

// Where a key is heading in the key-state model: being introduced and kept
// (Present) or being retired and withdrawn (Absent). Text: "present",
// "absent".
enum class KeyGoal { Present, Absent };

// The state of one kind of record of a key as validating resolvers see it
// (RFC 7583 terms; Mekking et al.). Text: "na", "hidden", "rumoured",
// "omnipresent", "unretentive".
enum class RecordState {
    NotApplicable, // the key never has this record (e.g. the ZRRSIG of a KSK)
    Hidden, // not published, and not in any cache
    Rumoured, // published, but some caches may not have it yet
    Omnipresent, // published, and every cache that has the RRset has it
    Unretentive, // withdrawn, but some caches may still hold it
};

// The conversation with the parent about the DS of a key, as in OpenDNSSEC.
// Text: the lower-case names ("unsubmitted", "submit", ...).
enum class DsAtParent {
    Unsubmitted, // no DS at the parent, and none wanted (or its removal was confirmed)
    Submit, // the DS should go to the parent; not sent yet
    Submitted, // sent to the parent; waiting for `signet key ds-seen`
    Seen, // the parent publishes the DS (confirmed)
    Retract, // the DS should leave the parent; removal not asked yet
    Retracted, // removal asked; waiting for `signet key ds-gone`
};

std::string_view key_role_to_text(KeyRole role);
std::string_view key_goal_to_text(KeyGoal goal);
std::string_view record_state_to_text(RecordState state);
std::string_view ds_at_parent_to_text(DsAtParent ds);
// Each accepts the text above in any case.
std::optional<KeyRole> key_role_from_text(std::string_view text);
std::optional<KeyGoal> key_goal_from_text(std::string_view text);
std::optional<RecordState> record_state_from_text(std::string_view text);
std::optional<DsAtParent> ds_at_parent_from_text(std::string_view text);

// The form zone names are stored and compared in: absolute, lower-case
// presentation form with its final dot ("Example.NL" -> "example.nl.").
Result<std::string> normalise_zone_name(std::string_view name);

// The largest TTL of one kind of record that caches may still hold: what
// was published, kept `until` the time a lower TTL is safe to count on
// (none while it is the TTL in use). The enforcer times its rollovers with
// the larger of this and the policy's value, so that lowering a TTL in the
// middle of a rollover cannot cut a wait short.
struct KeptTtl {
    std::optional<uint32_t> ttl;
    std::optional<TimePoint> until;

    bool operator==(const KeptTtl&) const = default;
};

struct ZoneEntry {
    int64_t id = 0; // set by the store when the zone is added
    std::string name; // normalised (normalise_zone_name) by the store
    std::filesystem::path input; // the unsigned zone file
    std::filesystem::path output; // where the signed zone is written
    std::string policy; // name of a policy in signet.toml
    std::optional<uint32_t> serial; // SOA serial last published
    std::optional<TimePoint> signed_at; // when the zone was last signed
    std::optional<std::string> nsec3_salt; // hex; "" is the empty salt; none before the first NSEC3 signing
    std::optional<TimePoint> nsec3_salt_created;
    TimePoint created {};
    KeptTtl dnskey_ttl; // of the DNSKEY RRset
    KeptTtl zone_ttl; // the largest of any signed RRset
    KeptTtl ds_ttl; // of the DS RRset at the parent
    std::optional<TimePoint> expires; // the earliest signature expiration of the published output
    std::string output_id; // "dev:inode" of the published output file; "" when unknown
    std::optional<TimePoint> unsign_started; // `signet zone unsign`: the zone is going insecure
    std::optional<TimePoint> insecure_since; // the unsigned zone is published (the keys are gone)
    // Names of remotes ([remote.NAME] in signet.toml) that may transfer the
    // signed zone from signetd; none: no one.
    std::vector<std::string> allow_transfer;
    // Names of remotes signetd sends a NOTIFY (RFC 1996) to when the zone
    // has a new signed version; none: no one.
    std::vector<std::string> notify;

    bool operator==(const ZoneEntry&) const = default;
};

// The state of one kind of record of a key, and when it last changed.
struct RecordStatus {
    RecordState state = RecordState::Hidden;
    TimePoint since {};

    bool operator==(const RecordStatus&) const = default;
};

struct KeyEntry {
    int64_t id = 0; // set by the store when the key is added
    int64_t zone_id = 0;
    std::string locator; // hex CKA_ID of the key pair in the token
    crypto::Algorithm algorithm = crypto::Algorithm::ECDSAP256SHA256;
    unsigned bits = 0;
    KeyRole role = KeyRole::CSK;
    uint16_t key_tag = 0;
    uint16_t flags = 0; // DNSKEY flags (256 ZSK, 257 KSK/CSK; 385 with REVOKE)
    dns::Bytes dnskey_rdata; // DNSKEY RDATA, wire form
    KeyGoal goal = KeyGoal::Present;
    RecordStatus ds; // DS at the parent
    RecordStatus dnskey; // DNSKEY in the zone
    RecordStatus krrsig; // RRSIG over the DNSKEY RRset
    RecordStatus zrrsig; // RRSIGs over the other RRsets
    DsAtParent ds_at_parent = DsAtParent::Unsubmitted;
    TimePoint created {};
    std::optional<TimePoint> published; // DNSKEY first published
    std::optional<TimePoint> active; // first used to sign
    std::optional<TimePoint> retired; // stopped signing
    std::optional<TimePoint> removed; // every record gone from every cache; the key is destroyed
    std::optional<TimePoint> rollover_requested; // `signet key rollover`: roll now, whatever the lifetime
    bool emergency = false; // the key is compromised: roll it by the fastest safe path

    bool operator==(const KeyEntry&) const = default;
};

// One line of a zone's history ("key 12345 dnskey rumoured -> omnipresent").
// One published version's changes: the records it removed and added
// (each a dns::ZoneSnapshot), from serial_from to serial_to.
struct JournalEntry {
    int64_t zone_id = 0;
    uint32_t serial_from = 0;
    uint32_t serial_to = 0;
    TimePoint time {};
    std::string removed;
    std::string added;
};

struct KeyEvent {
    int64_t id = 0; // set by the store when the event is added
    int64_t zone_id = 0;
    std::optional<int64_t> key_id; // none for zone-wide events, or once the key is removed
    TimePoint time {};
    std::string event; // short and fixed per kind ("dnskey", "ds-seen", "generate", ...)
    std::string detail; // free text for people

    bool operator==(const KeyEvent&) const = default;
};

// How messages and the history name a key: "ksk 12345 (ECDSAP256SHA256)".
std::string key_name(const KeyEntry& key);

// ---------------------------------------------------------------------------
// TLSA bindings: for each service of a zone, the certificate files its TLSA
// records are derived from at every signing, and which records the signed
// output holds since when. The tlsa module knows nothing of the store;
// app/tlsa.h converts between the two.

// A TLSA record (RDATA, wire form) and since when a signed output has held
// it without a break.
struct TlsaPublication {
    dns::Bytes rdata;
    TimePoint since {};

    bool operator==(const TlsaPublication&) const = default;
};

struct TlsaBindingEntry {
    int64_t id = 0; // set by the store when the binding is added
    int64_t zone_id = 0;
    std::string host; // normalised as zone names are: "mail.example.nl."
    uint16_t port = 0;
    std::string proto = "tcp"; // "tcp", "udp" or "sctp"
    std::filesystem::path cert; // the certificate the service presents now
    std::optional<std::filesystem::path> chain; // the rest of its chain
    std::string records; // the kinds of record to publish: "3 1 1,2 1 1"
    std::optional<std::filesystem::path> next_cert; // the certificate it presents next
    std::optional<std::filesystem::path> next_chain;
    uint32_t ttl = 3600; // of the TLSA RRset
    // In the zone's last signed output.
    std::vector<TlsaPublication> published;
    // Given to the signing that started at `pending_at`; they replace
    // `published` once the zone's signed_at says that signing was written.
    std::vector<TlsaPublication> pending;
    std::optional<TimePoint> pending_at;
    TimePoint created {};

    bool operator==(const TlsaBindingEntry&) const = default;
};

} // namespace signet::enforcer
