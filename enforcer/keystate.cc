#include <signet/enforcer/keystate.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <set>

#include <fmt/format.h>

namespace signet::enforcer {

namespace {

using S = RecordState;

constexpr std::array all_records { Record::Ds, Record::Dnskey, Record::Krrsig, Record::Zrrsig };

RecordStatus& status(KeyEntry& key, Record record)
{
    switch (record) {
    case Record::Ds: return key.ds;
    case Record::Dnskey: return key.dnskey;
    case Record::Krrsig: return key.krrsig;
    case Record::Zrrsig: return key.zrrsig;
    }
    return key.dnskey;
}

const RecordStatus& status(const KeyEntry& key, Record record)
{
    return status(const_cast<KeyEntry&>(key), record); // reads only
}

S state(const KeyEntry& key, Record record) { return status(key, record).state; }

bool is(const KeyEntry& key, Record record, std::initializer_list<S> states)
{
    return std::find(states.begin(), states.end(), state(key, record)) != states.end();
}

bool live(const KeyEntry& key) { return !key.removed; }

// The edges of the model: a key that is to be present moves each record
// towards omnipresent, one that is to be absent towards hidden.
std::optional<S> desired(const KeyEntry& key, S now)
{
    if (key.goal == KeyGoal::Present) {
        switch (now) {
        case S::Hidden:
        case S::Unretentive: return S::Rumoured;
        case S::Rumoured: return S::Omnipresent;
        default: return std::nullopt;
        }
    }
    switch (now) {
    case S::Rumoured:
    case S::Omnipresent: return S::Unretentive;
    case S::Unretentive: return S::Hidden;
    default: return std::nullopt;
    }
}

template <typename Pred>
bool any(const std::vector<KeyEntry>& keys, Pred pred)
{
    return std::any_of(keys.begin(), keys.end(), [&](const KeyEntry& k) { return live(k) && pred(k); });
}

// Two different keys, one going (p) and one coming (s).
template <typename P, typename Q>
bool pair(const std::vector<KeyEntry>& keys, P p, Q s)
{
    for (size_t i = 0; i < keys.size(); ++i) {
        if (!live(keys[i]) || !p(keys[i]))
            continue;
        for (size_t j = 0; j < keys.size(); ++j) {
            if (j != i && live(keys[j]) && s(keys[j]))
                return true;
        }
    }
    return false;
}

// Rule 1: the parent has a DS, or is swapping one DS for another.
bool ds_rule_holds(const std::vector<KeyEntry>& keys)
{
    return any(keys, [](const KeyEntry& k) { return is(k, Record::Ds, { S::Omnipresent }); })
        || (any(keys, [](const KeyEntry& k) { return is(k, Record::Ds, { S::Rumoured }); })
            && any(keys, [](const KeyEntry& k) { return is(k, Record::Ds, { S::Unretentive }); }));
}

// Rule 2: a DS chains to a DNSKEY that signs the DNSKEY RRset, in every
// cache: one key with all three omnipresent (3b); or two keys, both in
// every DNSKEY RRset, swapping their DS (3c); or two keys under one
// omnipresent DS each, swapping their DNSKEY and KRRSIG (3d).
bool dnskey_rule_holds(const std::vector<KeyEntry>& keys)
{
    auto chained = [](const KeyEntry& k) {
        return is(k, Record::Dnskey, { S::Omnipresent }) && is(k, Record::Krrsig, { S::Omnipresent });
    };
    if (any(keys, [&](const KeyEntry& k) { return chained(k) && is(k, Record::Ds, { S::Omnipresent }); }))
        return true;
    if (pair(
            keys, [&](const KeyEntry& k) { return chained(k) && is(k, Record::Ds, { S::Unretentive }); },
            [&](const KeyEntry& k) { return chained(k) && is(k, Record::Ds, { S::Rumoured }); }))
        return true;
    auto going = [](const KeyEntry& k) {
        return is(k, Record::Ds, { S::Omnipresent }) && is(k, Record::Dnskey, { S::Omnipresent, S::Unretentive })
            && is(k, Record::Krrsig, { S::Omnipresent, S::Unretentive })
            && !(is(k, Record::Dnskey, { S::Omnipresent }) && is(k, Record::Krrsig, { S::Omnipresent }));
    };
    auto coming = [](const KeyEntry& k) {
        return is(k, Record::Ds, { S::Omnipresent }) && is(k, Record::Dnskey, { S::Omnipresent, S::Rumoured })
            && is(k, Record::Krrsig, { S::Omnipresent, S::Rumoured })
            && !(is(k, Record::Dnskey, { S::Omnipresent }) && is(k, Record::Krrsig, { S::Omnipresent }));
    };
    return pair(keys, going, coming);
}

// Rule 3: the zone's signatures chain to a DNSKEY in every cache: one key
// with both omnipresent (3f); two keys in every DNSKEY RRset swapping their
// signatures (3g); or two keys whose signatures are everywhere swapping
// their DNSKEY (3h).
bool signature_rule_holds(const std::vector<KeyEntry>& keys)
{
    if (any(keys, [](const KeyEntry& k) {
            return is(k, Record::Dnskey, { S::Omnipresent }) && is(k, Record::Zrrsig, { S::Omnipresent });
        }))
        return true;
    if (pair(
            keys,
            [](const KeyEntry& k) {
                return is(k, Record::Dnskey, { S::Omnipresent }) && is(k, Record::Zrrsig, { S::Unretentive });
            },
            [](const KeyEntry& k) {
                return is(k, Record::Dnskey, { S::Omnipresent }) && is(k, Record::Zrrsig, { S::Rumoured });
            }))
        return true;
    return pair(
        keys,
        [](const KeyEntry& k) {
            return is(k, Record::Dnskey, { S::Unretentive }) && is(k, Record::Zrrsig, { S::Omnipresent });
        },
        [](const KeyEntry& k) {
            return is(k, Record::Dnskey, { S::Rumoured }) && is(k, Record::Zrrsig, { S::Omnipresent });
        });
}

// Rule 4 (RFC 4035 §2.2, RFC 6781 §4.1.4): every algorithm of the published
// DNSKEY RRset signs the zone with a published key; and while a DNSKEY of an
// algorithm is leaving the caches, the zone keeps signing with that
// algorithm (or is swapping one key's signatures for another's).
bool algorithm_rule_holds(const std::vector<KeyEntry>& keys)
{
    std::set<crypto::Algorithm> algorithms;
    for (const auto& k : keys) {
        if (live(k))
            algorithms.insert(k.algorithm);
    }
    for (crypto::Algorithm a : algorithms) {
        auto of = [a](auto pred) { return [a, pred](const KeyEntry& k) { return k.algorithm == a && pred(k); }; };
        bool published = any(keys, of([](const KeyEntry& k) { return is(k, Record::Dnskey, { S::Rumoured, S::Omnipresent }); }));
        if (published && !any(keys, of([](const KeyEntry& k) {
                return is(k, Record::Dnskey, { S::Rumoured, S::Omnipresent })
                    && is(k, Record::Zrrsig, { S::Rumoured, S::Omnipresent });
            })))
            return false;
        bool cached = any(keys, of([](const KeyEntry& k) { return is(k, Record::Dnskey, { S::Unretentive }); }));
        if (cached && !any(keys, of([](const KeyEntry& k) { return is(k, Record::Zrrsig, { S::Omnipresent, S::Rumoured }); }))
            && !(any(keys, of([](const KeyEntry& k) { return is(k, Record::Zrrsig, { S::Unretentive }); }))
                 && any(keys, of([](const KeyEntry& k) { return is(k, Record::Zrrsig, { S::Rumoured }); }))))
            return false;
    }
    return true;
}

std::vector<KeyEntry> of_algorithm(const std::vector<KeyEntry>& keys, crypto::Algorithm algorithm)
{
    std::vector<KeyEntry> out;
    for (const auto& k : keys) {
        if (live(k) && k.algorithm == algorithm)
            out.push_back(k);
    }
    return out;
}

// A DS whose DNSKEY may be in the parent's cached DS set: rumoured,
// omnipresent, or withdrawn but still cached.
bool ds_may_be_cached(const KeyEntry& k) { return is(k, Record::Ds, { S::Rumoured, S::Omnipresent, S::Unretentive }); }

bool chained(const KeyEntry& k)
{
    return is(k, Record::Dnskey, { S::Omnipresent }) && is(k, Record::Krrsig, { S::Omnipresent });
}

// Rule 5, rules 2 and 3 per algorithm (RFC 6781 §4.1.4; RFC 6840 §5.11):
// a validator that insists on every algorithm the DS set signals (Unbound's
// harden-algo-downgrade) needs, for each algorithm of any DS set it may
// hold, a DS of that algorithm that chains to a DNSKEY of that algorithm
// signing the DNSKEY RRset, and the zone signed with that algorithm, in
// every cache. Rule 2 over all keys is not enough: in an algorithm rollover
// the new algorithm's chain satisfies it while a cached DS set still lists
// the old algorithm, whose DNSKEY would already be gone. So the old
// algorithm's DNSKEY stays until its DS is hidden, and the new algorithm's
// DS comes only once its DNSKEY and signatures are in every cache.
bool algorithm_chain_holds(const std::vector<KeyEntry>& keys)
{
    std::set<crypto::Algorithm> signalled;
    for (const auto& k : keys) {
        if (live(k) && ds_may_be_cached(k))
            signalled.insert(k.algorithm);
    }
    for (crypto::Algorithm a : signalled) {
        const std::vector<KeyEntry> same = of_algorithm(keys, a);
        // Either the algorithm's own keys satisfy rule 2 (a DS in every
        // cache chained everywhere, or a swap between two such keys), or
        // every key of it whose DS may be cached is chained everywhere.
        bool dnskeys = dnskey_rule_holds(same)
            || std::all_of(same.begin(), same.end(), [](const KeyEntry& k) { return !ds_may_be_cached(k) || chained(k); });
        bool signatures = signature_rule_holds(same);
        if (!dnskeys || !signatures)
            return false;
    }
    return true;
}

using Rule = bool (*)(const std::vector<KeyEntry>&);
constexpr std::array<Rule, 5> rules { ds_rule_holds, dnskey_rule_holds, signature_rule_holds, algorithm_rule_holds,
                                      algorithm_chain_holds };

// Whether a key's DNSKEY (and its signature over the DNSKEY RRset) may
// start leaving the caches. While the parent may serve or caches may hold
// a DS for the key, that DS must keep a DNSKEY of its algorithm to chain
// to: another key of the same algorithm whose DS and DNSKEY are in every
// cache, or this key itself until its DS is hidden. This holds whatever
// the rules say about the state before the move (a store from before this
// rule, a zone before its first DS whose CDS a parent may have taken), so
// it is checked on its own and not only as "do not break a rule that
// holds".
bool may_withdraw_dnskey(const std::vector<KeyEntry>& keys, size_t index)
{
    const KeyEntry& key = keys[index];
    if (!ds_may_be_cached(key))
        return true;
    for (size_t i = 0; i < keys.size(); ++i) {
        if (i != index && live(keys[i]) && keys[i].algorithm == key.algorithm && is(keys[i], Record::Ds, { S::Omnipresent })
            && chained(keys[i]))
            return true;
    }
    return false;
}

// A move may not break a rule that holds; where a rule does not hold (a zone
// with no DS yet, or a store repaired by hand) moves towards it are free.
bool rules_allow(const std::vector<KeyEntry>& before, const std::vector<KeyEntry>& after)
{
    for (Rule rule : rules) {
        if (rule(before) && !rule(after))
            return false;
    }
    return true;
}

// The order the model asks for, beyond the rules: a DNSKEY before its
// signatures and its DS, except for a new algorithm, whose signatures go
// first; an old DS leaves only once a new one is at the parent.
bool policy_approves(const std::vector<KeyEntry>& keys, size_t index, Record record, S to, bool first_keys)
{
    const KeyEntry& key = keys[index];
    auto same_algorithm = [&](const KeyEntry& k) { return k.algorithm == key.algorithm; };
    if (to == S::Rumoured) {
        if (record == Record::Ds) {
            // The DS last, even for a new zone: a resolver that sees it
            // must find the DNSKEY and the zone's signatures in any cache.
            // In an algorithm rollover that means a key of the DS's own
            // algorithm (RFC 6781 §4.1.4 step 4): a validator that sees
            // the new algorithm in the DS set wants it everywhere.
            return is(key, Record::Dnskey, { S::Omnipresent }) && is(key, Record::Krrsig, { S::Omnipresent })
                && any(keys, [&](const KeyEntry& k) {
                       return same_algorithm(k) && is(k, Record::Dnskey, { S::Omnipresent })
                           && is(k, Record::Zrrsig, { S::Omnipresent });
                   });
        }
        if (first_keys)
            return true;
        switch (record) {
        case Record::Dnskey: {
            bool known = false;
            for (size_t i = 0; i < keys.size(); ++i) {
                if (i != index && live(keys[i]) && same_algorithm(keys[i])
                    && is(keys[i], Record::Dnskey, { S::Rumoured, S::Omnipresent }))
                    known = true;
            }
            return known
                || any(keys, [&](const KeyEntry& k) { return same_algorithm(k) && is(k, Record::Zrrsig, { S::Omnipresent }); });
        }
        case Record::Krrsig: return is(key, Record::Dnskey, { S::Rumoured, S::Omnipresent });
        case Record::Zrrsig: {
            bool algorithm_in_caches = any(keys, [&](const KeyEntry& k) {
                return same_algorithm(k) && is(k, Record::Dnskey, { S::Rumoured, S::Omnipresent, S::Unretentive });
            });
            return !algorithm_in_caches || is(key, Record::Dnskey, { S::Omnipresent });
        }
        case Record::Ds: break; // above
        }
    }
    if (to == S::Unretentive) {
        switch (record) {
        case Record::Ds:
            for (size_t i = 0; i < keys.size(); ++i) {
                if (i != index && live(keys[i]) && is(keys[i], Record::Ds, { S::Omnipresent }))
                    return true;
            }
            return false;
        case Record::Krrsig: return is(key, Record::Dnskey, { S::Unretentive, S::Hidden });
        default: return true;
        }
    }
    return true;
}

// A timed move: rumoured to omnipresent, unretentive to hidden; a DS waits
// for the parent's confirmation first.
std::optional<TimePoint> due_at(const KeyEntry& key, Record record, S from, const Policy& policy)
{
    if (from != S::Rumoured && from != S::Unretentive)
        return TimePoint {};
    if (record == Record::Ds) {
        if (from == S::Rumoured && key.ds_at_parent != DsAtParent::Seen)
            return std::nullopt;
        if (from == S::Unretentive && key.ds_at_parent != DsAtParent::Unsubmitted)
            return std::nullopt;
    }
    return status(key, record).since + propagation_time(policy, record, from == S::Rumoured);
}

unsigned policy_bits(const Policy& policy)
{
    return crypto::is_rsa(policy.algorithm) ? policy.rsa_bits : crypto::fixed_key_bits(policy.algorithm);
}

std::vector<KeyRole> needed_roles(const Policy& policy)
{
    if (policy.keys == KeyLayout::Csk)
        return { KeyRole::CSK };
    return { KeyRole::KSK, KeyRole::ZSK };
}

std::optional<Duration> lifetime(const Policy& policy, KeyRole role)
{
    switch (role) {
    case KeyRole::KSK: return policy.ksk_lifetime;
    case KeyRole::ZSK: return policy.zsk_lifetime;
    case KeyRole::CSK: return policy.csk_lifetime;
    }
    return std::nullopt;
}

void note(std::optional<TimePoint>& next, TimePoint at)
{
    if (!next || at < *next)
        next = at;
}

// Decides which keys the zone should have: one of each role the policy
// asks for, of its algorithm and size, started again when its life ends.
// A KSK or CSK leaving a zone whose parent was never asked for a DS: its
// CDS/CDNSKEY have been published since the zone's first signing (RFC 8078
// bootstrapping), so a parent that polls them may hold a DS for it. When the
// CDS goes, such a parent keeps that DS (RFC 7344 §4.1: no CDS means no
// change). The key's DS is therefore treated as one being withdrawn: the
// parent is asked to remove it (`signet ds` says "remove"), and the DS is
// hidden only after `ds-gone` and the DS TTL plus parent propagation delay;
// until then the key's DNSKEY stays (may_withdraw_dnskey) and the key is not
// destroyed.
void retire(Step& step, size_t index, const Policy& policy, bool bootstrapping, TimePoint now)
{
    KeyEntry& key = step.keys[index];
    key.goal = KeyGoal::Absent;
    step.retired.push_back(index);
    if (!bootstrapping || !policy.cds || key.role == KeyRole::ZSK || key.ds_at_parent != DsAtParent::Unsubmitted
        || !is(key, Record::Ds, { S::Hidden }))
        return;
    key.ds = { S::Unretentive, now };
    key.ds_at_parent = DsAtParent::Retract;
    step.transitions.push_back({ index, Record::Ds, S::Hidden, S::Unretentive });
}

void plan_keys(Step& step, const Policy& policy, TimePoint now)
{
    const unsigned bits = policy_bits(policy);
    // Whether the zone's CDS shows its present KSKs/CSKs before any DS
    // (app/pipeline.cc, make_plan): only once the zone has been
    // published, which first_keys in advance() also looks at.
    const bool published = std::any_of(step.keys.begin(), step.keys.end(), [](const KeyEntry& k) {
        return live(k) && is(k, Record::Dnskey, { S::Rumoured, S::Omnipresent, S::Unretentive });
    });
    const bool bootstrapping = published && before_first_ds(step.keys);
    auto fits = [&](const KeyEntry& k) {
        auto roles = needed_roles(policy);
        return k.algorithm == policy.algorithm && k.bits == bits
            && std::find(roles.begin(), roles.end(), k.role) != roles.end();
    };
    bool complete = true;
    for (KeyRole role : needed_roles(policy)) {
        std::vector<size_t> current;
        for (size_t i = 0; i < step.keys.size(); ++i) {
            const KeyEntry& k = step.keys[i];
            if (live(k) && k.goal == KeyGoal::Present && k.role == role && fits(k))
                current.push_back(i);
        }
        if (current.empty()) {
            complete = false;
            bool had = std::any_of(step.keys.begin(), step.keys.end(), [](const KeyEntry& k) { return live(k); });
            step.to_generate.push_back({ role, policy.algorithm, bits, had ? "policy change" : "first key" });
            continue;
        }
        // The newest is the one in use; older ones have a successor.
        for (size_t i = 0; i + 1 < current.size(); ++i)
            retire(step, current[i], policy, bootstrapping, now);
        const KeyEntry& newest = step.keys[current.back()];
        if (auto due = rollover_due(newest, policy, step.keys)) {
            if (*due <= now) {
                std::string reason = newest.emergency ? "emergency rollover"
                    : newest.rollover_requested          ? "rollover requested"
                                                         : "lifetime over";
                step.to_generate.push_back({ role, policy.algorithm, bits, reason });
            } else {
                note(step.next_event, *due);
            }
        }
    }
    if (!complete)
        return;
    // Keys of another algorithm, size or layout go once their successors exist.
    for (size_t i = 0; i < step.keys.size(); ++i) {
        KeyEntry& k = step.keys[i];
        if (live(k) && k.goal == KeyGoal::Present && !fits(k))
            retire(step, i, policy, bootstrapping, now);
    }
}

void record_milestones(KeyEntry& key, Record record, S to, TimePoint now)
{
    if (to == S::Rumoured && record == Record::Dnskey && !key.published)
        key.published = now;
    if (to == S::Rumoured && (record == Record::Krrsig || record == Record::Zrrsig) && !key.active)
        key.active = now;
    if (to == S::Unretentive && (record == Record::Krrsig || record == Record::Zrrsig) && !key.retired)
        key.retired = now;
    if (record == Record::Ds && to == S::Rumoured && key.ds_at_parent != DsAtParent::Submitted
        && key.ds_at_parent != DsAtParent::Seen)
        key.ds_at_parent = DsAtParent::Submit;
    if (record == Record::Ds && to == S::Unretentive && key.ds_at_parent != DsAtParent::Unsubmitted)
        key.ds_at_parent = DsAtParent::Retract;
}

} // namespace

std::string_view record_to_text(Record record)
{
    switch (record) {
    case Record::Ds: return "ds";
    case Record::Dnskey: return "dnskey";
    case Record::Krrsig: return "krrsig";
    case Record::Zrrsig: return "zrrsig";
    }
    return "unknown";
}

bool before_first_ds(const std::vector<KeyEntry>& keys)
{
    return !any(keys, [](const KeyEntry& k) {
        return is(k, Record::Ds, { S::Rumoured, S::Omnipresent, S::Unretentive }) || k.ds_at_parent != DsAtParent::Unsubmitted;
    });
}

bool is_valid_dnssec_state(const std::vector<KeyEntry>& keys)
{
    bool any_ds = any(keys, [](const KeyEntry& k) { return is(k, Record::Ds, { S::Omnipresent, S::Unretentive }); });
    if (!any_ds)
        return algorithm_rule_holds(keys) && algorithm_chain_holds(keys); // insecure: nothing chains yet, but a
                                                                          // rumoured DS must find its chain
    return ds_rule_holds(keys) && dnskey_rule_holds(keys) && signature_rule_holds(keys) && algorithm_rule_holds(keys)
        && algorithm_chain_holds(keys);
}

Duration propagation_time(const Policy& policy, Record record, bool introducing)
{
    const Duration safety = introducing ? policy.publish_safety : policy.retire_safety;
    switch (record) {
    case Record::Ds: return policy.parent_propagation_delay + policy.parent_ds_ttl + safety;
    case Record::Dnskey:
    case Record::Krrsig: return policy.zone_propagation_delay + policy.dnskey_ttl + safety;
    case Record::Zrrsig: return policy.zone_propagation_delay + policy.max_zone_ttl + safety;
    }
    return Duration {};
}

std::optional<TimePoint> timed_move_due(const KeyEntry& key, const Policy& policy)
{
    std::optional<TimePoint> next;
    for (Record record : all_records) {
        S from = state(key, record);
        if (!desired(key, from) || (from != S::Rumoured && from != S::Unretentive))
            continue;
        if (auto due = due_at(key, record, from, policy))
            note(next, *due);
    }
    return next;
}

Duration first_life_spread(const KeyEntry& key, Duration life, const std::vector<KeyEntry>& zone_keys)
{
    // Only the zone's first key of its role: its successors follow at the
    // configured lifetime, so the offset stays and does not add up.
    bool first = std::none_of(zone_keys.begin(), zone_keys.end(),
                              [&](const KeyEntry& k) { return k.role == key.role && k.id != key.id; });
    if (!first || zone_keys.empty())
        return Duration {};
    // splitmix64's finaliser over the zone's identity: the zone's KSK, ZSK
    // or CSK share the offset, and zones added together get different ones.
    uint64_t h = static_cast<uint64_t>(key.zone_id) + 0x9e3779b97f4a7c15ULL;
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
    h ^= h >> 31;
    const Duration window = life / 10;
    if (window <= Duration {})
        return Duration {};
    return Duration(static_cast<Duration::rep>(h % static_cast<uint64_t>(window.count())));
}

std::optional<TimePoint> rollover_due(const KeyEntry& key, const Policy& policy, const std::vector<KeyEntry>& zone_keys)
{
    if (key.emergency || key.rollover_requested)
        return key.rollover_requested.value_or(key.created);
    auto life = lifetime(policy, key.role);
    if (!life || !key.active)
        return std::nullopt;
    // Start the successor early enough for it to be in every cache when
    // this key's life ends.
    Duration lead = policy.zone_propagation_delay + policy.dnskey_ttl + policy.publish_safety;
    Duration span = *life > lead ? *life - lead : Duration {};
    // Zones whose first keys were made on one day would otherwise roll on
    // one day for ever (a signer of many zones, or a token, under a burst
    // of work): the first lifetime is shortened, never lengthened, by up to
    // a tenth, deterministically per zone.
    Duration spread = std::min(first_life_spread(key, *life, zone_keys), span);
    return *key.active + (span - spread);
}

Step advance(const std::vector<KeyEntry>& keys, const Policy& policy, TimePoint now, bool signing)
{
    Step step;
    step.keys = keys;
    plan_keys(step, policy, now);

    // A zone with no record anywhere yet (its first keys) has nothing to
    // keep valid: its keys are published and used at once (their DS waits
    // as any DS does).
    const bool first_keys = std::none_of(step.keys.begin(), step.keys.end(), [](const KeyEntry& k) {
        return live(k)
            && std::any_of(all_records.begin(), all_records.end(),
                           [&](Record r) { return is(k, r, { S::Rumoured, S::Omnipresent, S::Unretentive }); });
    });

    // Move until nothing more can move: one move may open the way for
    // another (a new DNSKEY, then its signatures, then the old ones' exit).
    for (bool moved = true; moved;) {
        moved = false;
        for (size_t i = 0; i < step.keys.size(); ++i) {
            if (!live(step.keys[i]))
                continue;
            for (Record record : all_records) {
                S from = state(step.keys[i], record);
                auto to = desired(step.keys[i], from);
                if (!to)
                    continue;
                auto due = due_at(step.keys[i], record, from, policy);
                if (!due || *due > now)
                    continue;
                if (!policy_approves(step.keys, i, record, *to, first_keys))
                    continue;
                // A DNSKEY leaves together with every other retiring key of
                // its algorithm, KRRSIG and all: an algorithm's last KSK and
                // ZSK cannot go one after the other without leaving a DNSKEY
                // RRset that names an algorithm which no longer signs it.
                std::vector<Transition> moves { { i, record, from, *to } };
                if (record == Record::Dnskey && *to == S::Unretentive) {
                    moves.clear();
                    for (size_t j = 0; j < step.keys.size(); ++j) {
                        const KeyEntry& k = step.keys[j];
                        if (!live(k) || k.goal != KeyGoal::Absent || k.algorithm != step.keys[i].algorithm
                            || !is(k, Record::Dnskey, { S::Rumoured, S::Omnipresent }))
                            continue;
                        moves.push_back({ j, Record::Dnskey, state(k, Record::Dnskey), S::Unretentive });
                        if (is(k, Record::Krrsig, { S::Rumoured, S::Omnipresent }))
                            moves.push_back({ j, Record::Krrsig, state(k, Record::Krrsig), S::Unretentive });
                    }
                }
                bool withdrawable = std::all_of(moves.begin(), moves.end(), [&](const Transition& move) {
                    return move.to != S::Unretentive || (move.record != Record::Dnskey && move.record != Record::Krrsig)
                        || may_withdraw_dnskey(step.keys, move.key);
                });
                if (!withdrawable)
                    continue;
                std::vector<KeyEntry> after = step.keys;
                for (const Transition& move : moves)
                    status(after[move.key], move.record) = { move.to, now };
                if (!rules_allow(step.keys, after))
                    continue;
                if (!signing && (*to == S::Rumoured || *to == S::Unretentive)) {
                    step.needs_signing = true;
                    continue;
                }
                step.keys = std::move(after);
                for (const Transition& move : moves) {
                    record_milestones(step.keys[move.key], move.record, move.to, now);
                    step.transitions.push_back(move);
                }
                moved = true;
            }
        }
    }

    for (size_t i = 0; i < step.keys.size(); ++i) {
        KeyEntry& key = step.keys[i];
        if (!live(key))
            continue;
        bool gone = std::all_of(all_records.begin(), all_records.end(),
                                [&](Record r) { return is(key, r, { S::Hidden, S::NotApplicable }); });
        if (key.goal == KeyGoal::Absent && gone) {
            key.removed = now;
            step.removed.push_back(i);
            continue;
        }
        if (auto due = timed_move_due(key, policy); due && *due > now)
            note(step.next_event, *due);
    }
    return step;
}

std::optional<TimePoint> key_next_transition(const KeyEntry& key, const Policy& policy,
                                            const std::vector<KeyEntry>& zone_keys)
{
    if (key.removed)
        return std::nullopt;
    auto next = timed_move_due(key, policy);
    if (key.goal == KeyGoal::Present) {
        if (auto due = rollover_due(key, policy, zone_keys); due && (!next || *due < *next))
            next = due;
    }
    return next;
}

Result<void> confirm_ds_seen(KeyEntry& key, TimePoint now)
{
    if (key.ds_at_parent == DsAtParent::Seen)
        return {};
    if (key.ds_at_parent != DsAtParent::Submit && key.ds_at_parent != DsAtParent::Submitted)
        return fail(ErrorCode::Conflict,
                    fmt::format("key {}: its DS is not waiting to be published (it is '{}'); nothing to confirm",
                                key.key_tag, ds_at_parent_to_text(key.ds_at_parent)));
    key.ds_at_parent = DsAtParent::Seen;
    if (key.ds.state == S::Rumoured)
        key.ds.since = now; // the caches' clock starts now
    return {};
}

Result<void> confirm_ds_gone(KeyEntry& key, TimePoint now)
{
    if (key.ds_at_parent != DsAtParent::Retract && key.ds_at_parent != DsAtParent::Retracted)
        return fail(ErrorCode::Conflict,
                    fmt::format("key {}: its DS is not waiting to be withdrawn (it is '{}'); nothing to confirm",
                                key.key_tag, ds_at_parent_to_text(key.ds_at_parent)));
    key.ds_at_parent = DsAtParent::Unsubmitted;
    if (key.ds.state == S::Unretentive)
        key.ds.since = now;
    return {};
}

} // namespace signet::enforcer
