// A DNSSEC policy: which keys a zone has, how long they live, how the
// rollovers are timed, and how the zone is signed. One [policy.NAME] table of
// signet.toml; the defaults here are the defaults of the file (DESIGN.md,
// "Configuration"), and follow RFC 9276 for NSEC3.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <signet/base/duration.h>
#include <signet/base/error.h>
#include <signet/base/process.h>
#include <signet/crypto/algorithm.h>

namespace signet::enforcer {

// Separate key- and zone-signing keys, or one combined signing key.
enum class KeyLayout {
    KskZsk,
    Csk,
};

enum class Denial {
    Nsec, // RFC 4034
    Nsec3, // RFC 5155
};

// What the SOA serial of the signed zone is.
enum class SerialPolicy {
    Keep, // the unsigned zone's serial, as it is
    Counter, // one more than the last signed serial
    Unixtime, // the time of signing in Unix seconds
    Datecounter, // YYYYMMDDnn
};

struct Policy {
    std::string name = "default";

    // Keys.
    crypto::Algorithm algorithm = crypto::Algorithm::ECDSAP256SHA256;
    unsigned rsa_bits = 2048; // RSA algorithms only
    KeyLayout keys = KeyLayout::KskZsk;
    // nullopt: the key is never rolled.
    std::optional<Duration> ksk_lifetime;
    std::optional<Duration> zsk_lifetime = Duration(std::chrono::days(90));
    std::optional<Duration> csk_lifetime;

    // Timing of rollovers (RFC 7583 names in brackets).
    Duration dnskey_ttl = std::chrono::hours(1); // TTLkey
    Duration max_zone_ttl = std::chrono::days(1); // TTLsig: the largest TTL of any signed RRset
    Duration zone_propagation_delay = std::chrono::minutes(5); // Dprp: until every secondary serves a new zone
    Duration parent_ds_ttl = std::chrono::days(1); // TTLds
    Duration parent_propagation_delay = std::chrono::hours(1); // DprpP
    Duration parent_registration_delay = std::chrono::days(1); // Dreg: from DS submission to the parent zone
    Duration publish_safety = std::chrono::hours(1); // Ipubsafety
    Duration retire_safety = std::chrono::hours(1); // Iretsafety

    // Signatures. A signature is made `signature_inception_offset` before
    // now and expires `signature_validity` after now, less a random part of
    // `signature_jitter`; it is replaced once less than `signature_refresh`
    // of it is left; those that get there within `signature_resign_interval`
    // are replaced with them, so that refreshes come in batches.
    Duration signature_validity = std::chrono::days(14);
    Duration signature_refresh = std::chrono::days(5);
    Duration signature_jitter = std::chrono::hours(12);
    Duration signature_inception_offset = std::chrono::hours(1);
    Duration signature_resign_interval = std::chrono::hours(2);

    // Denial of existence.
    Denial denial = Denial::Nsec3;
    unsigned nsec3_iterations = 0; // RFC 9276 §3.1: 0
    unsigned nsec3_salt_length = 0; // RFC 9276 §3.1: no salt
    bool nsec3_opt_out = false;
    std::optional<Duration> nsec3_resalt; // nullopt: keep the salt; needs a salt

    // The SOA record of the signed zone; nullopt keeps the zone's value.
    SerialPolicy serial = SerialPolicy::Unixtime;
    std::optional<Duration> soa_ttl;
    std::optional<Duration> soa_minimum;

    // The parent.
    bool cds = true; // publish CDS/CDNSKEY in step with the DS states (RFC 7344, RFC 8078)
    crypto::DigestType cds_digest = crypto::DigestType::SHA256;
    // Hooks, run without a shell (base/process.h): "{zone}" in a word is the
    // zone's name, also in $SIGNET_ZONE. Empty: none.
    Command ds_submit_command; // DS/DNSKEY records on stdin
    Command ds_retract_command;
    Command notify_command; // run after each signed zone is written
    // A hook still running after this is stopped (it holds up every zone
    // behind it, and the state lock) and counts as failed.
    Duration hook_timeout = std::chrono::minutes(5);
    // `zone remove --force` (a parent may still hold a DS) keeps the zone's
    // keys in the token this long, so that a store restored from a backup
    // can still sign with them.
    Duration purge_delay = std::chrono::days(14);

    // Reading the unsigned zone, whose file may come from someone else (a
    // hoster's customer): where its $INCLUDEs may read besides the zone
    // file's own directory, and limits that keep one zone from taking the
    // signer's memory and time. The defaults fit a large TLD
    // (dns::Diagnostics).
    std::vector<std::string> include_directories; // absolute paths
    uint64_t max_zone_records = 100'000'000;
    uint64_t max_generate_records = 10'000'000; // per $GENERATE, and all of a zone together
    uint64_t max_line_length = uint64_t(1) << 20;
    uint64_t max_zone_bytes = uint64_t(8) << 30; // text read, and records in wire form

    // The journal of published versions (what each changed), for zone
    // transfers and `signet zone diff`: the newest that fit both bounds.
    uint64_t journal_max_versions = 100;
    uint64_t journal_max_bytes = uint64_t(64) << 20;

    bool operator==(const Policy&) const = default;
};

// The first rule a policy breaks: the signet.toml key that is most likely
// wrong and a message that names every key involved.
struct PolicyProblem {
    std::string key;
    std::string message;
};

std::optional<PolicyProblem> find_policy_problem(const Policy& policy);

// find_policy_problem as an ErrorCode::Policy error, in the context of the
// policy's name.
Result<void> check_policy(const Policy& policy);

// How long one rollover of each kind takes from the successor's publication
// until the predecessor may go; the key's lifetime must be at least this, or
// the next rollover would start before this one ends.
//
// ZSK, pre-publication (RFC 7583 §3.2): the new DNSKEY must reach every
// cache before it signs, Ipub = Dprp + TTLkey, plus Ipubsafety; the old
// signatures must then leave every cache, Iret = Dsgn + Dprp + TTLsig, plus
// Iretsafety. Dsgn, the time until every signature is made with the new key,
// is taken as 0: this assumes the signer replaces all of them at once when
// the ZSK changes, rather than as they come due for refresh:
//   Lzsk >= Dprp + TTLkey + Ipubsafety + Dprp + TTLsig + Iretsafety
Duration zsk_rollover_time(const Policy& policy);
// KSK, double-KSK (RFC 7583 §3.3): the new DNSKEY must reach every cache,
// IpubC = DprpC + TTLkey, plus Ipubsafety; then the parent registers the new
// DS, Dreg, and the old DS must leave every cache, IretP = DprpP + TTLds,
// plus Iretsafety:
//   Lksk >= DprpC + TTLkey + Ipubsafety + Dreg + DprpP + TTLds + Iretsafety
Duration ksk_rollover_time(const Policy& policy);
// CSK: publication as for either, then the DS swap and the signature swap
// run side by side, so the longer of the two counts:
//   Lcsk >= Dprp + TTLkey + Ipubsafety + max(Dreg + DprpP + TTLds, Dprp + TTLsig)
//           + Iretsafety
Duration csk_rollover_time(const Policy& policy);

// Lower-case names as signet.toml writes them ("ksk+zsk", "nsec3",
// "unixtime"); from_text accepts any case.
std::string_view key_layout_to_text(KeyLayout layout);
std::optional<KeyLayout> key_layout_from_text(std::string_view text);
std::string_view denial_to_text(Denial denial);
std::optional<Denial> denial_from_text(std::string_view text);
std::string_view serial_policy_to_text(SerialPolicy serial);
std::optional<SerialPolicy> serial_policy_from_text(std::string_view text);

} // namespace signet::enforcer
