// The key-state step: each rule, each rollover's order and timing, and
// random policies and operator delays that must never break validity.
#include <map>
#include <random>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <signet/enforcer/keystate.h>

namespace signet::enforcer::keystate_test {
namespace {

using namespace std::chrono_literals;
using S = RecordState;
using crypto::Algorithm;

TimePoint at(int64_t seconds) { return TimePoint(std::chrono::seconds(seconds)); }
const TimePoint t0 = at(1'800'000'000);

KeyEntry key(KeyRole role, Algorithm algorithm, S ds, S dnskey, S krrsig, S zrrsig, int64_t id = 1)
{
    KeyEntry k;
    k.id = id;
    k.role = role;
    k.algorithm = algorithm;
    k.bits = crypto::fixed_key_bits(algorithm);
    k.ds = { role == KeyRole::ZSK ? S::NotApplicable : ds, t0 };
    k.dnskey = { dnskey, t0 };
    k.krrsig = { role == KeyRole::ZSK ? S::NotApplicable : krrsig, t0 };
    k.zrrsig = { role == KeyRole::KSK ? S::NotApplicable : zrrsig, t0 };
    return k;
}

constexpr auto O = S::Omnipresent;
constexpr auto R = S::Rumoured;
constexpr auto U = S::Unretentive;
constexpr auto H = S::Hidden;
constexpr auto P256 = Algorithm::ECDSAP256SHA256;
constexpr auto RSA = Algorithm::RSASHA256;

TEST(KeyStateRules, SteadyKskZskIsValid)
{
    std::vector keys { key(KeyRole::KSK, P256, O, O, O, O, 1), key(KeyRole::ZSK, P256, O, O, O, O, 2) };
    EXPECT_TRUE(is_valid_dnssec_state(keys));
}

TEST(KeyStateRules, DnskeyGoneWhileDsOmnipresentIsInvalid)
{
    std::vector keys { key(KeyRole::KSK, P256, O, H, H, O, 1), key(KeyRole::ZSK, P256, O, O, O, O, 2) };
    EXPECT_FALSE(is_valid_dnssec_state(keys));
}

TEST(KeyStateRules, DsSwapBetweenPublishedKeysIsValid)
{
    // 3c: both DNSKEYs everywhere, one DS leaving and one arriving.
    std::vector keys { key(KeyRole::KSK, P256, U, O, O, O, 1), key(KeyRole::KSK, P256, R, O, O, O, 2),
                       key(KeyRole::ZSK, P256, O, O, O, O, 3) };
    EXPECT_TRUE(is_valid_dnssec_state(keys));
    // ... but not when the arriving key's DNSKEY is not in every cache.
    keys[1].dnskey.state = R;
    EXPECT_FALSE(is_valid_dnssec_state(keys));
}

TEST(KeyStateRules, SignatureSwapNeedsBothDnskeysEverywhere)
{
    std::vector keys { key(KeyRole::KSK, P256, O, O, O, O, 1), key(KeyRole::ZSK, P256, O, O, O, U, 2),
                       key(KeyRole::ZSK, P256, O, O, O, R, 3) };
    EXPECT_TRUE(is_valid_dnssec_state(keys)); // 3g
    keys[2].dnskey.state = R;
    EXPECT_FALSE(is_valid_dnssec_state(keys));
}

TEST(KeyStateRules, PublishedAlgorithmMustSignTheZone)
{
    // A DNSKEY of algorithm 8 in the RRset with no key of algorithm 8 signing.
    std::vector keys { key(KeyRole::KSK, P256, O, O, O, O, 1), key(KeyRole::ZSK, P256, O, O, O, O, 2),
                       key(KeyRole::ZSK, RSA, O, R, O, H, 3) };
    EXPECT_FALSE(is_valid_dnssec_state(keys));
    keys[2].zrrsig.state = O;
    EXPECT_TRUE(is_valid_dnssec_state(keys));
}

TEST(KeyStateRules, LeavingAlgorithmKeepsItsSignatures)
{
    std::vector keys { key(KeyRole::KSK, P256, O, O, O, O, 1), key(KeyRole::ZSK, P256, O, O, O, O, 2),
                       key(KeyRole::ZSK, RSA, O, U, O, O, 3) };
    EXPECT_TRUE(is_valid_dnssec_state(keys));
    keys[2].zrrsig.state = U;
    EXPECT_FALSE(is_valid_dnssec_state(keys));
}

TEST(KeyStateRules, PropagationTimesFollowRfc7583)
{
    Policy p;
    EXPECT_EQ(propagation_time(p, Record::Dnskey, true), p.zone_propagation_delay + p.dnskey_ttl + p.publish_safety);
    EXPECT_EQ(propagation_time(p, Record::Zrrsig, false), p.zone_propagation_delay + p.max_zone_ttl + p.retire_safety);
    EXPECT_EQ(propagation_time(p, Record::Ds, true), p.parent_propagation_delay + p.parent_ds_ttl + p.publish_safety);
}

// What caches may hold, from outside the model: each version of the
// parent's DS set, the DNSKEY RRset (keys and who signs it) and the zone's
// other RRsets (who signs them), with when it was replaced; a version may be
// cached until replaced + propagation delay + TTL. The parent publishes a DS
// from `ds-seen` to `ds-gone`.
struct CacheVersion {
    std::set<int64_t> members; // DS set / DNSKEY RRset: the keys in it
    std::set<int64_t> signers; // DNSKEY RRset / other RRsets: the keys whose RRSIGs are in it
    TimePoint first {};
    std::optional<TimePoint> replaced;
    bool operator==(const CacheVersion& o) const { return members == o.members && signers == o.signers; }
};

struct CacheHistory {
    Duration hold {};
    std::vector<CacheVersion> versions;
    void publish(CacheVersion v, TimePoint now)
    {
        if (!versions.empty() && versions.back() == v)
            return;
        if (!versions.empty())
            versions.back().replaced = now;
        v.first = now;
        versions.push_back(std::move(v));
    }
    std::vector<const CacheVersion*> cached(TimePoint now) const
    {
        std::vector<const CacheVersion*> out;
        for (const auto& v : versions)
            if (v.first <= now && (!v.replaced || now < *v.replaced + hold))
                out.push_back(&v);
        return out;
    }
};

// Every combination of cached DS set, DNSKEY RRset and other RRset, checked
// as a validator that insists on every signalled algorithm does (RFC 4035
// §2.2, RFC 6840 §5.11, Unbound's harden-algo-downgrade): each algorithm of
// the DS set has a DS matching a key of the DNSKEY RRset that signs it, and
// each algorithm of the DNSKEY RRset signs the DNSKEY RRset and the zone.
struct CacheChecker {
    CacheHistory ds, dnskey, zone;
    std::map<int64_t, Algorithm> algorithm;
    std::vector<std::string> violations;

    void record(const std::vector<KeyEntry>& keys, const Policy& p, TimePoint now)
    {
        ds.hold = p.parent_propagation_delay + p.parent_ds_ttl;
        dnskey.hold = p.zone_propagation_delay + p.dnskey_ttl;
        zone.hold = p.zone_propagation_delay + p.max_zone_ttl;
        CacheVersion d, k, z;
        auto shown = [](const RecordStatus& r) { return r.state == S::Rumoured || r.state == S::Omnipresent; };
        for (const auto& key : keys) {
            algorithm[key.id] = key.algorithm;
            if (key.removed)
                continue;
            if (key.ds_at_parent == DsAtParent::Seen || key.ds_at_parent == DsAtParent::Retract
                || key.ds_at_parent == DsAtParent::Retracted)
                d.members.insert(key.id);
            if (shown(key.dnskey))
                k.members.insert(key.id);
            if (shown(key.krrsig))
                k.signers.insert(key.id);
            if (shown(key.zrrsig))
                z.signers.insert(key.id);
        }
        ds.publish(d, now);
        dnskey.publish(k, now);
        zone.publish(z, now);
    }

    std::set<Algorithm> algorithms(const std::set<int64_t>& ids) const
    {
        std::set<Algorithm> out;
        for (int64_t id : ids)
            out.insert(algorithm.at(id));
        return out;
    }

    void check(TimePoint now)
    {
        auto name = [](const std::set<int64_t>& ids) {
            std::string out;
            for (int64_t id : ids)
                out += fmt::format(" {}", id);
            return out.empty() ? std::string(" -") : out;
        };
        for (const CacheVersion* d : ds.cached(now)) {
            for (const CacheVersion* k : dnskey.cached(now)) {
                for (Algorithm a : algorithms(d->members)) {
                    bool found = std::any_of(d->members.begin(), d->members.end(), [&](int64_t id) {
                        return algorithm.at(id) == a && k->members.count(id) && k->signers.count(id);
                    });
                    if (!found)
                        violations.push_back(fmt::format("at {}: DS set{} lists algorithm {}, DNSKEY RRset{} "
                                                         "signed by{} has no such chain",
                                                         format_time(now), name(d->members), static_cast<int>(a),
                                                         name(k->members), name(k->signers)));
                }
            }
        }
        for (const CacheVersion* k : dnskey.cached(now)) {
            for (Algorithm a : algorithms(k->members)) {
                auto signs = [&](const std::set<int64_t>& signers) {
                    return std::any_of(signers.begin(), signers.end(),
                                       [&](int64_t id) { return algorithm.at(id) == a && k->members.count(id); });
                };
                if (!signs(k->signers))
                    violations.push_back(fmt::format("at {}: DNSKEY RRset{} is not signed with its algorithm {}",
                                                     format_time(now), name(k->members), static_cast<int>(a)));
                for (const CacheVersion* z : zone.cached(now)) {
                    if (!signs(z->signers))
                        violations.push_back(fmt::format("at {}: DNSKEY RRset{} has algorithm {}; a cached RRset "
                                                         "signed by{} has no signature of it",
                                                         format_time(now), name(k->members), static_cast<int>(a),
                                                         name(z->signers)));
                }
            }
        }
    }
};

// A zone driven through the step with keys that exist only here.
struct World {
    CacheChecker caches;
    Policy policy;
    TimePoint now = t0;
    std::vector<KeyEntry> keys;
    int64_t next_id = 1;
    std::vector<std::string> log;

    Step step()
    {
        Step s = advance(keys, policy, now);
        for (int round = 0; round < 2 && !s.to_generate.empty(); ++round) {
            std::vector<KeyEntry> with = keys;
            for (const auto& request : s.to_generate) {
                KeyEntry k = key(request.role, request.algorithm, H, H, H, H, next_id++);
                k.bits = request.bits;
                k.key_tag = static_cast<uint16_t>(k.id);
                k.created = now;
                with.push_back(k);
            }
            keys = with;
            s = advance(keys, policy, now);
        }
        for (const auto& t : s.transitions)
            log.push_back(fmt::format("{} {} {}", s.keys[t.key].id, record_to_text(t.record), record_state_to_text(t.to)));
        keys = s.keys;
        caches.record(keys, policy, now);
        caches.check(now);
        return s;
    }
    std::string dump() const
    {
        std::string out;
        for (const auto& k : keys)
            out += fmt::format("\n  key {} {} alg {} goal {} ds {} ({}) dnskey {} krrsig {} zrrsig {}{}", k.id,
                               key_role_to_text(k.role), static_cast<int>(k.algorithm), key_goal_to_text(k.goal),
                               record_state_to_text(k.ds.state), ds_at_parent_to_text(k.ds_at_parent),
                               record_state_to_text(k.dnskey.state), record_state_to_text(k.krrsig.state),
                               record_state_to_text(k.zrrsig.state), k.removed ? " removed" : "");
        return out;
    }
    std::vector<const KeyEntry*> live(KeyRole role) const
    {
        std::vector<const KeyEntry*> out;
        for (const auto& k : keys)
            if (!k.removed && k.role == role)
                out.push_back(&k);
        return out;
    }
    KeyEntry& by_id(int64_t id)
    {
        for (auto& k : keys)
            if (k.id == id)
                return k;
        throw std::runtime_error("no such key");
    }
    // Runs the step at every event until `until`, confirming DS changes
    // after `parent_delay`; checks validity after each step.
    void run(TimePoint until, Duration parent_delay = 1h)
    {
        TimePoint parent_due = TimePoint::max(); // when the parent has done what it was asked
        while (now < until) {
            Step s = step();
            ASSERT_TRUE(is_valid_dnssec_state(keys)) << "at " << format_time(now) << dump();
            bool waiting = false, confirmed = false;
            for (auto& k : keys) {
                if (k.ds_at_parent != DsAtParent::Submit && k.ds_at_parent != DsAtParent::Retract)
                    continue;
                waiting = true;
                if (parent_due == TimePoint::max())
                    parent_due = now + parent_delay;
                if (now >= parent_due) {
                    auto done = k.ds_at_parent == DsAtParent::Submit ? confirm_ds_seen(k, now) : confirm_ds_gone(k, now);
                    ASSERT_TRUE(done.has_value());
                    confirmed = true;
                }
            }
            if (!waiting || confirmed)
                parent_due = TimePoint::max();
            if (confirmed)
                continue; // the step sees the confirmation at once
            TimePoint next = std::min(until, parent_due);
            if (s.next_event && *s.next_event < next)
                next = *s.next_event;
            if (next <= now)
                next = now + 1h;
            now = next;
        }
    }
};

TEST(KeyStateStep, FirstKeysArePublishedAtOnceAndTheirDsWhenSigned)
{
    World w;
    Step s = w.step();
    ASSERT_EQ(w.keys.size(), 2u);
    EXPECT_EQ(w.keys[0].role, KeyRole::KSK);
    EXPECT_EQ(w.keys[0].dnskey.state, R);
    EXPECT_EQ(w.keys[0].krrsig.state, R);
    EXPECT_EQ(w.keys[1].dnskey.state, R);
    EXPECT_EQ(w.keys[1].zrrsig.state, R);
    // The DS waits until a resolver that sees it finds the zone signed in
    // any cache: the signatures' propagation time.
    EXPECT_EQ(w.keys[0].ds.state, H);
    EXPECT_TRUE(before_first_ds(w.keys));
    ASSERT_TRUE(s.next_event);
    EXPECT_EQ(*s.next_event, t0 + propagation_time(w.policy, Record::Dnskey, true));
    w.now = t0 + propagation_time(w.policy, Record::Zrrsig, true) - 1s;
    w.step();
    EXPECT_EQ(w.keys[0].ds.state, H);
    w.now += 1s;
    w.step();
    EXPECT_EQ(w.keys[0].ds.state, R);
    EXPECT_EQ(w.keys[0].ds_at_parent, DsAtParent::Submit);
    EXPECT_FALSE(before_first_ds(w.keys));
}

TEST(KeyStateStep, DsWaitsForTheParent)
{
    World w;
    w.step();
    w.now = t0 + std::chrono::days(30);
    w.step();
    EXPECT_EQ(w.keys[0].ds.state, R) << "no ds-seen, no omnipresent DS";
    ASSERT_TRUE(confirm_ds_seen(w.keys[0], w.now));
    w.now += propagation_time(w.policy, Record::Ds, true) - 1s;
    w.step();
    EXPECT_EQ(w.keys[0].ds.state, R);
    w.now += 1s;
    w.step();
    EXPECT_EQ(w.keys[0].ds.state, O);
    EXPECT_FALSE(confirm_ds_gone(w.keys[0], w.now)) << "a DS that is wanted cannot be confirmed gone";
}

TEST(KeyStateStep, ZskRolloverPrePublishes)
{
    World w;
    w.policy.zsk_lifetime = Duration(std::chrono::days(30));
    w.run(t0 + std::chrono::days(20));
    ASSERT_EQ(w.live(KeyRole::ZSK).size(), 1u);
    int64_t old_zsk = w.live(KeyRole::ZSK)[0]->id;
    w.log.clear();
    w.run(t0 + std::chrono::days(45));
    auto zsks = w.live(KeyRole::ZSK);
    ASSERT_EQ(zsks.size(), 1u) << "the old ZSK is gone after its rollover";
    int64_t new_zsk = zsks[0]->id;
    EXPECT_NE(new_zsk, old_zsk);
    // Order: the new DNSKEY, only then its signatures in place of the old
    // ones, only then the old DNSKEY out.
    auto pos = [&](std::string entry) {
        auto it = std::find(w.log.begin(), w.log.end(), entry);
        EXPECT_NE(it, w.log.end()) << entry;
        return it - w.log.begin();
    };
    auto n = std::to_string(new_zsk), o = std::to_string(old_zsk);
    EXPECT_LT(pos(n + " dnskey rumoured"), pos(n + " dnskey omnipresent"));
    EXPECT_LT(pos(n + " dnskey omnipresent"), pos(n + " zrrsig rumoured") + 1);
    EXPECT_EQ(pos(n + " zrrsig rumoured"), pos(o + " zrrsig unretentive") - 1);
    EXPECT_LT(pos(n + " zrrsig omnipresent"), pos(o + " dnskey unretentive"));
}

TEST(KeyStateStep, KskRolloverIsDoubleKsk)
{
    World w;
    w.policy.ksk_lifetime = Duration(std::chrono::days(60));
    w.run(t0 + std::chrono::days(50));
    int64_t old_ksk = w.live(KeyRole::KSK)[0]->id;
    w.log.clear();
    w.run(t0 + std::chrono::days(80));
    auto ksks = w.live(KeyRole::KSK);
    ASSERT_EQ(ksks.size(), 1u);
    auto n = std::to_string(ksks[0]->id), o = std::to_string(old_ksk);
    auto pos = [&](std::string entry) {
        auto it = std::find(w.log.begin(), w.log.end(), entry);
        EXPECT_NE(it, w.log.end()) << entry;
        return it - w.log.begin();
    };
    // The new DNSKEY is in every cache before its DS is asked for, and the
    // old DS goes only once the new one is everywhere.
    EXPECT_LT(pos(n + " dnskey omnipresent"), pos(n + " ds rumoured"));
    EXPECT_LT(pos(n + " ds omnipresent"), pos(o + " ds unretentive"));
    EXPECT_LT(pos(n + " ds omnipresent"), pos(o + " dnskey unretentive"));
}

TEST(KeyStateStep, AlgorithmRolloverSignsBeforePublishingAndAfterWithdrawing)
{
    World w;
    w.policy.algorithm = RSA;
    w.run(t0 + std::chrono::days(10));
    w.policy.algorithm = P256;
    w.log.clear();
    w.run(t0 + std::chrono::days(30));
    for (const auto& k : w.keys) {
        if (!k.removed) {
            EXPECT_EQ(k.algorithm, P256);
        }
    }
    int64_t old_zsk = 0, new_zsk = 0;
    for (const auto& k : w.keys) {
        if (k.role == KeyRole::ZSK)
            (k.algorithm == RSA ? old_zsk : new_zsk) = k.id;
    }
    auto pos = [&](std::string entry) {
        auto it = std::find(w.log.begin(), w.log.end(), entry);
        EXPECT_NE(it, w.log.end()) << entry;
        return it - w.log.begin();
    };
    auto n = std::to_string(new_zsk), o = std::to_string(old_zsk);
    // RFC 6781 §4.1.4: new signatures everywhere before the new DNSKEY; the
    // old DNSKEY out of every cache before the old signatures go.
    EXPECT_LT(pos(n + " zrrsig omnipresent"), pos(n + " dnskey rumoured"));
    EXPECT_LT(pos(o + " dnskey hidden"), pos(o + " zrrsig unretentive"));
}

TEST(KeyStateStep, CskRolloverKeepsOneKeySigningEverything)
{
    World w;
    w.policy.keys = KeyLayout::Csk;
    w.policy.csk_lifetime = Duration(std::chrono::days(40));
    w.run(t0 + std::chrono::days(110));
    auto csks = w.live(KeyRole::CSK);
    EXPECT_EQ(csks.size(), 1u);
    EXPECT_EQ(w.next_id, 4) << "two rollovers in 110 days at a 40-day lifetime";
}

TEST(KeyStateStep, RequestedRolloverStartsAtOnce)
{
    World w;
    w.run(t0 + std::chrono::days(3));
    for (auto& k : w.keys)
        if (k.role == KeyRole::ZSK)
            k.rollover_requested = w.now;
    w.step();
    EXPECT_EQ(w.live(KeyRole::ZSK).size(), 2u);
    EXPECT_EQ(w.live(KeyRole::ZSK)[0]->goal, KeyGoal::Absent);
}

TEST(KeyStateStep, WithoutSigningNothingIsPublishedOrWithdrawn)
{
    World w;
    Step s = advance(w.keys, w.policy, w.now, false);
    EXPECT_EQ(s.to_generate.size(), 2u);
    std::vector<KeyEntry> keys { key(KeyRole::KSK, P256, H, H, H, H, 1), key(KeyRole::ZSK, P256, H, H, H, H, 2) };
    s = advance(keys, w.policy, w.now, false);
    EXPECT_TRUE(s.transitions.empty());
    EXPECT_TRUE(s.needs_signing);
}

// Random policies and operator delays: after every step the zone is valid
// and has a key signing its DNSKEY RRset and one signing the rest.
TEST(KeyStateProperty, RandomPoliciesNeverBreakValidity)
{
    std::mt19937_64 rng(20261123);
    auto pick = [&](std::vector<Duration> choices) {
        std::uniform_int_distribution<size_t> d(0, choices.size() - 1);
        return choices[d(rng)];
    };
    for (int run = 0; run < 40; ++run) {
        World w;
        w.policy.keys = rng() % 3 == 0 ? KeyLayout::Csk : KeyLayout::KskZsk;
        w.policy.algorithm = rng() % 2 ? P256 : RSA;
        w.policy.rsa_bits = 2048;
        w.policy.dnskey_ttl = pick({ 5min, 1h, 24h });
        w.policy.max_zone_ttl = pick({ 5min, 1h, 24h, 48h });
        w.policy.parent_ds_ttl = pick({ 1h, 24h, 48h });
        w.policy.zsk_lifetime = pick({ 10 * 24h, 30 * 24h, 90 * 24h });
        w.policy.ksk_lifetime = pick({ 20 * 24h, 60 * 24h, 365 * 24h });
        w.policy.csk_lifetime = pick({ 20 * 24h, 90 * 24h });
        Duration parent_delay = pick({ 0s, 1h, 24h, 5 * 24h });
        SCOPED_TRACE(fmt::format("run {} layout {} alg {}", run, key_layout_to_text(w.policy.keys),
                                 crypto::algorithm_to_text(w.policy.algorithm)));
        for (int phase = 0; phase < 3; ++phase) {
            w.run(w.now + std::chrono::days(60), parent_delay);
            if (::testing::Test::HasFatalFailure())
                return;
            // The zone can be signed: a published key signs the DNSKEY
            // RRset, and a key signs the rest.
            bool keyset = false, zone = false;
            for (const auto& k : w.keys) {
                keyset |= !k.removed && (k.krrsig.state == O || k.krrsig.state == R)
                    && (k.dnskey.state == O || k.dnskey.state == R);
                zone |= !k.removed && (k.zrrsig.state == O || k.zrrsig.state == R);
            }
            EXPECT_TRUE(keyset && zone) << "at " << format_time(w.now) << w.dump();
            ASSERT_TRUE(w.caches.violations.empty())
                << w.caches.violations.size() << " cached combinations fail, first: " << w.caches.violations[0]
                << w.dump();
            if (phase == 1) // change the algorithm half-way
                w.policy.algorithm = w.policy.algorithm == P256 ? RSA : P256;
        }
    }
}

TEST(KeyStateRules, OldAlgorithmDnskeyStaysWhileItsDsMayBeCached)
{
    // The new algorithm's chain is complete and its DS everywhere; the old
    // DS is being withdrawn. A cached DS set may still list algorithm 13,
    // so its DNSKEY may not leave yet (RFC 6781 §4.1.4 step 5).
    std::vector keys { key(KeyRole::KSK, P256, U, O, O, O, 1), key(KeyRole::ZSK, P256, O, O, O, O, 2),
                       key(KeyRole::KSK, RSA, O, O, O, O, 3), key(KeyRole::ZSK, RSA, O, O, O, O, 4) };
    EXPECT_TRUE(is_valid_dnssec_state(keys));
    keys[0].dnskey.state = U;
    keys[0].krrsig.state = U;
    keys[1].dnskey.state = U;
    EXPECT_FALSE(is_valid_dnssec_state(keys));
    keys[0].ds.state = H;
    EXPECT_TRUE(is_valid_dnssec_state(keys));
}

TEST(KeyStateRules, NewAlgorithmDsNeedsItsSignaturesEverywhere)
{
    std::vector keys { key(KeyRole::KSK, P256, O, O, O, O, 1), key(KeyRole::ZSK, P256, O, O, O, O, 2),
                       key(KeyRole::KSK, RSA, R, O, O, O, 3), key(KeyRole::ZSK, RSA, O, O, O, R, 4) };
    EXPECT_FALSE(is_valid_dnssec_state(keys));
    keys[3].zrrsig.state = O;
    EXPECT_TRUE(is_valid_dnssec_state(keys));
}

// An algorithm rollover stepped forward: at every step every combination a
// cache may hold keeps a chain per algorithm.
void algorithm_rollover(KeyLayout layout, Algorithm from, Algorithm to, Duration parent_delay)
{
    World w;
    w.policy.keys = layout;
    w.policy.algorithm = from;
    w.policy.rsa_bits = 2048;
    w.run(t0 + std::chrono::days(10), parent_delay);
    w.policy.algorithm = to;
    w.run(t0 + std::chrono::days(40), parent_delay);
    for (const auto& k : w.keys) {
        if (!k.removed) {
            EXPECT_EQ(k.algorithm, to) << w.dump();
        }
    }
    EXPECT_TRUE(w.caches.violations.empty())
        << w.caches.violations.size() << " cached combinations fail, first: "
        << (w.caches.violations.empty() ? "" : w.caches.violations[0]) << w.dump();
}

TEST(KeyStateCaches, AlgorithmRollover13To8KeepsAChainPerAlgorithm)
{
    algorithm_rollover(KeyLayout::KskZsk, P256, RSA, 1h);
}

TEST(KeyStateCaches, AlgorithmRollover13To15WithASlowParent)
{
    algorithm_rollover(KeyLayout::KskZsk, P256, Algorithm::ED25519, 5 * 24h);
}

TEST(KeyStateCaches, CskAlgorithmRollover8To13)
{
    algorithm_rollover(KeyLayout::Csk, RSA, P256, 1h);
}

TEST(KeyStateCaches, OldAlgorithmDnskeyLeavesOnlyAfterItsDsIsHidden)
{
    World w;
    w.run(t0 + std::chrono::days(10));
    w.policy.algorithm = RSA;
    w.log.clear();
    w.run(t0 + std::chrono::days(40));
    int64_t old_ksk = 0;
    for (const auto& k : w.keys)
        if (k.role == KeyRole::KSK && k.algorithm == P256)
            old_ksk = k.id;
    auto pos = [&](std::string entry) {
        auto it = std::find(w.log.begin(), w.log.end(), entry);
        EXPECT_NE(it, w.log.end()) << entry;
        return it - w.log.begin();
    };
    auto o = std::to_string(old_ksk);
    EXPECT_LT(pos(o + " ds hidden"), pos(o + " dnskey unretentive"));
}

// Before the first DS the CDS shows the zone's KSK (RFC 8078), so a parent
// may hold a DS for it without ever being asked: when that key goes, its
// DNSKEY stays until the parent confirms the DS gone and the DS TTL passed.
TEST(KeyStateStep, KeyWhoseCdsWasPublishedStaysUntilItsDsIsGone)
{
    World w;
    w.step(); // first signing: the KSK is in CDS from now on
    w.now += propagation_time(w.policy, Record::Dnskey, true);
    w.step();
    ASSERT_TRUE(before_first_ds(w.keys));
    const int64_t old_ksk = w.live(KeyRole::KSK)[0]->id;
    w.by_id(old_ksk).rollover_requested = w.now;
    w.step();
    ASSERT_EQ(w.live(KeyRole::KSK).size(), 2u);
    EXPECT_EQ(w.by_id(old_ksk).ds.state, U);
    EXPECT_EQ(w.by_id(old_ksk).ds_at_parent, DsAtParent::Retract) << "the parent is asked to remove it";
    // Thirty days without `ds-gone`, the new key's DS confirmed at once.
    for (int day = 0; day < 30; ++day) {
        w.now += 24h;
        for (auto& k : w.keys) {
            if (k.id != old_ksk && k.ds_at_parent == DsAtParent::Submit) {
                ASSERT_TRUE(confirm_ds_seen(k, w.now));
            }
        }
        w.step();
    }
    const KeyEntry& old = w.by_id(old_ksk);
    EXPECT_FALSE(old.removed);
    EXPECT_EQ(old.ds.state, U);
    // Once the new key's DS is in every cache, the old DNSKEY may go (a
    // cached DS set lists the new key as well); not before.
    bool new_ds_everywhere = false;
    for (const auto& k : w.keys)
        new_ds_everywhere |= k.id != old_ksk && k.role == KeyRole::KSK && k.ds.state == O;
    ASSERT_TRUE(new_ds_everywhere) << w.dump();
    ASSERT_TRUE(confirm_ds_gone(w.by_id(old_ksk), w.now));
    w.now += propagation_time(w.policy, Record::Ds, false);
    w.step();
    w.now += 30 * 24h;
    w.step();
    EXPECT_TRUE(w.by_id(old_ksk).removed) << w.dump();
}

TEST(KeyStateStep, KeyWhoseCdsWasPublishedKeepsItsDnskeyWithoutAnotherDs)
{
    // An algorithm change before the first DS: no key of the old algorithm
    // has a DS everywhere, so the old DNSKEY waits for ds-gone.
    World w;
    w.step();
    w.now += propagation_time(w.policy, Record::Zrrsig, true) - 1s;
    w.step();
    ASSERT_TRUE(before_first_ds(w.keys));
    const int64_t old_ksk = w.live(KeyRole::KSK)[0]->id;
    w.policy.algorithm = RSA;
    for (int day = 0; day < 20; ++day) {
        w.step();
        w.now += 24h;
    }
    EXPECT_EQ(w.by_id(old_ksk).dnskey.state, O) << w.dump();
    ASSERT_TRUE(confirm_ds_gone(w.by_id(old_ksk), w.now));
    for (int hour = 0; hour < 20 * 24; ++hour) {
        for (auto& k : w.keys) {
            if (k.ds_at_parent == DsAtParent::Submit) {
                ASSERT_TRUE(confirm_ds_seen(k, w.now));
            }
        }
        w.step();
        w.now += 1h;
    }
    EXPECT_TRUE(w.by_id(old_ksk).removed) << w.dump();
    EXPECT_TRUE(w.caches.violations.empty()) << w.caches.violations[0];
}

TEST(KeyStateLifetime, FirstLifetimeIsSpreadPerZone)
{
    Policy p;
    p.zsk_lifetime = Duration(std::chrono::days(90));
    const Duration life = *p.zsk_lifetime;
    std::set<int64_t> days;
    for (int64_t zone = 1; zone <= 50; ++zone) {
        KeyEntry k = key(KeyRole::ZSK, P256, H, O, H, O, 1);
        k.zone_id = zone;
        k.active = t0;
        std::vector<KeyEntry> zone_keys { k };
        Duration spread = first_life_spread(k, life, zone_keys);
        EXPECT_GE(spread, Duration {});
        EXPECT_LT(spread, life / 10);
        EXPECT_EQ(spread, first_life_spread(k, life, zone_keys)) << "deterministic";
        auto due = rollover_due(k, p, zone_keys);
        ASSERT_TRUE(due);
        EXPECT_LE(*due, *rollover_due(k, p)) << "never longer than configured";
        EXPECT_GE(*due, t0 + life - life / 10 - p.zone_propagation_delay - p.dnskey_ttl - p.publish_safety);
        days.insert(std::chrono::duration_cast<std::chrono::days>(*due - t0).count());
        // A successor rolls at the configured lifetime.
        KeyEntry next = k;
        next.id = 2;
        zone_keys.push_back(next);
        EXPECT_EQ(first_life_spread(next, life, zone_keys), Duration {});
        EXPECT_EQ(rollover_due(next, p, zone_keys), rollover_due(next, p));
    }
    EXPECT_GE(days.size(), 6u) << "fifty zones added on one day roll on several days";
}

TEST(KeyStateLifetime, ZonesAddedTogetherRollOnDifferentDays)
{
    std::set<int64_t> rolled;
    for (int64_t zone = 1; zone <= 8; ++zone) {
        World w;
        w.policy.zsk_lifetime = Duration(std::chrono::days(60));
        w.step();
        for (auto& k : w.keys)
            k.zone_id = zone;
        w.run(t0 + std::chrono::days(70));
        for (const auto& k : w.keys)
            if (k.role == KeyRole::ZSK && k.id != 2)
                rolled.insert(std::chrono::duration_cast<std::chrono::hours>(k.created - t0).count() / 24);
    }
    EXPECT_GE(rolled.size(), 3u);
}

} // namespace
} // namespace signet::enforcer::keystate_test
