// The key-state model: per key a goal and a state for each of its DS,
// DNSKEY, KRRSIG and ZRRSIG records, moved one step at a time so that every
// validating resolver, whatever it holds in its cache, keeps a chain of
// trust (Mekking et al., "Flexible and Robust Key Rollover in DNSSEC";
// timings of RFC 7583; the model OpenDNSSEC 2 and BIND's dnssec-policy use).
//
// advance() is a pure function: keys, policy and the time in, the next keys,
// the transitions made, the keys to generate and the next event out. The
// caller generates the requested keys, adds them (every record hidden) and
// calls it again; it stores the result in one transaction.
//
// KSK rollovers are double-KSK (RFC 7583 §3.3.2): the new KSK is published
// beside the old one, then its DS is submitted, and only once the parent
// publishes it (`ds-seen`) is the old DS withdrawn, then the old DNSKEY.
// This asks one thing of the parent at a time, fits registrars that take
// "add DS" and "remove DS" as separate requests, and keeps CDS/CDNSKEY a
// plain picture of the DS set the parent should hold now. Double-DS would
// need the parent twice before the new key is even published.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <signet/base/clock.h>
#include <signet/enforcer/model.h>
#include <signet/enforcer/policy.h>

namespace signet::enforcer {

// Which of a key's records a state belongs to.
enum class Record { Ds, Dnskey, Krrsig, Zrrsig };
std::string_view record_to_text(Record record); // "ds", "dnskey", "krrsig", "zrrsig"

// A key the caller must generate in the token and add (every record
// hidden, goal present) before calling advance() again.
struct KeyRequest {
    KeyRole role = KeyRole::ZSK;
    crypto::Algorithm algorithm = crypto::Algorithm::ECDSAP256SHA256;
    unsigned bits = 0;
    std::string reason; // "first key", "lifetime over", "algorithm change", ...
};

// One record of one key moved from one state to the next.
struct Transition {
    size_t key = 0; // index into Step::keys
    Record record = Record::Dnskey;
    RecordState from = RecordState::Hidden;
    RecordState to = RecordState::Hidden;
};

struct Step {
    std::vector<KeyEntry> keys; // the input keys, moved on
    std::vector<Transition> transitions;
    std::vector<KeyRequest> to_generate;
    std::vector<size_t> retired; // keys whose goal became absent in this step
    std::vector<size_t> removed; // keys whose records are gone from every cache: destroy them
    // When something can next happen without the operator: a timed
    // transition falling due or a key reaching the end of its life.
    std::optional<TimePoint> next_event;
    // Without signing: a move that changes what the zone publishes (to
    // rumoured or unretentive) is due and waits for the zone to be signed.
    bool needs_signing = false;
};

// Moves the keys of one zone as far as the rules and the clock allow.
// `signing`: the zone is signed with the result, so records may be
// published and withdrawn; otherwise only moves that leave the published
// zone as it is are made (a record reaching every cache or leaving the
// last one), so that a state's time is always when the zone changed.
Step advance(const std::vector<KeyEntry>& keys, const Policy& policy, TimePoint now, bool signing = true);

// The rules of the model on a set of keys (removed keys are ignored): a DS
// at the parent, a DNSKEY chained to it, signatures chained to a DNSKEY,
// each algorithm of the DNSKEY RRset signing the zone, and, for each
// algorithm of a DS that may be cached, a DNSKEY and signatures of that
// algorithm in every cache (RFC 6781 §4.1.4). Each holds, or the zone has
// no such chain yet (as before its first DS).
bool is_valid_dnssec_state(const std::vector<KeyEntry>& keys);

// How long a record must stay rumoured before it is omnipresent, or
// unretentive before it is hidden: the time until no cache can hold the old
// RRset. For DS the clock starts at the parent's confirmation.
Duration propagation_time(const Policy& policy, Record record, bool introducing);

// The earliest time one of the key's records may next move on time alone
// (rumoured to omnipresent, unretentive to hidden; a DS once the parent has
// confirmed), whatever the rules then say; none when nothing waits on time.
std::optional<TimePoint> timed_move_due(const KeyEntry& key, const Policy& policy);

// When the key's life ends and its successor must be started; none for an
// unlimited lifetime. A requested rollover is due at once. With the zone's
// keys (removed ones too), the first key of its role has its first life
// shortened by a per-zone offset of up to a tenth (first_life_spread), so
// that zones added together do not all roll on one day; without them, the
// lifetime as configured.
std::optional<TimePoint> rollover_due(const KeyEntry& key, const Policy& policy,
                                      const std::vector<KeyEntry>& zone_keys = {});

// The offset by which a zone's first key of a role starts its successor
// early: in [0, lifetime / 10), from a hash of the zone; zero for a key that
// had a predecessor of its role among `zone_keys`.
Duration first_life_spread(const KeyEntry& key, Duration lifetime, const std::vector<KeyEntry>& zone_keys);

// The time the key's next move falls due on time alone: a timed move of
// one of its records or, for a key in use, the end of its life (with
// `zone_keys`, all keys of the zone, for the spread of a first key's life).
// None for a removed key, or one that waits on nothing but the operator.
std::optional<TimePoint> key_next_transition(const KeyEntry& key, const Policy& policy,
                                            const std::vector<KeyEntry>& zone_keys);

// A zone whose parent has never been asked for a DS: its KSK/CSK are the
// ones CDS/CDNSKEY show from the first signing on (RFC 8078 bootstrapping).
bool before_first_ds(const std::vector<KeyEntry>& keys);

// The parent's confirmation: the DS of the key is published (ds-seen) or
// withdrawn (ds-gone). Errors name the key and the state it is in.
Result<void> confirm_ds_seen(KeyEntry& key, TimePoint now);
Result<void> confirm_ds_gone(KeyEntry& key, TimePoint now);

} // namespace signet::enforcer
