#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include <signet/tlsa/rollover.h>

namespace signet::tlsa::rollover_test {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

TimePoint at(int64_t seconds) { return TimePoint(std::chrono::seconds(seconds)); }

const RecordSpec ee { CertUsage::DaneEe, Selector::Spki, MatchingType::Sha256 };
const RecordSpec ta { CertUsage::DaneTa, Selector::Spki, MatchingType::Sha256 };

Record record(RecordSpec spec, char fill) { return { spec, Bytes(32, fill) }; }

// A certificate as the plan sees it: the records a chain gives, "3 1 1" of
// its key and "2 1 1" of its CA.
struct Cert {
    char key;
    char ca;
    std::vector<Record> records() const { return { record(ee, key), record(ta, ca) }; }
    // What a client does: some record of the RRset matches.
    bool matched_by(const std::vector<Record>& rrset) const
    {
        auto mine = records();
        return std::ranges::any_of(rrset, [&](const Record& r) { return std::ranges::find(mine, r) != mine.end(); });
    }
};

const TimePoint t0 = at(1790000000);
const Duration ttl = hours(1);
const Duration delay = minutes(5);

TEST(TlsaRollover, WithoutANextCertificate)
{
    Cert a { 'a', 'C' };
    RolloverPlan first = plan_rollover({ a.records(), std::nullopt, {}, ttl, delay, t0 });
    EXPECT_EQ(first.switch_state, SwitchState::NoNext);
    EXPECT_EQ(first.to_publish, a.records());
    ASSERT_EQ(first.records.size(), 2u);
    EXPECT_EQ(first.records[0].role, RecordRole::Current);
    EXPECT_FALSE(first.records[0].since);
    EXPECT_TRUE(first.unannounced.empty()); // nothing published before: nothing to announce
    EXPECT_TRUE(first.old_only.empty());

    auto published = after_signing({}, first.to_publish, t0);
    RolloverPlan later = plan_rollover({ a.records(), std::nullopt, published, ttl, delay, t0 + hours(5) });
    ASSERT_EQ(later.records.size(), 2u);
    EXPECT_EQ(later.records[0].since, t0);
    EXPECT_EQ(later.records[0].everywhere_at, t0 + ttl + delay);

    // The certificate changed in place (a new key): its record was never
    // announced, and the old one is leaving.
    Cert renewed { 'r', 'C' };
    RolloverPlan changed = plan_rollover({ renewed.records(), std::nullopt, published, ttl, delay, t0 + hours(6) });
    ASSERT_EQ(changed.unannounced.size(), 1u);
    EXPECT_EQ(changed.unannounced[0], record(ee, 'r'));
    auto leaving
        = std::ranges::find_if(changed.records, [](const PlannedRecord& p) { return p.role == RecordRole::Leaving; });
    ASSERT_NE(leaving, changed.records.end());
    EXPECT_EQ(leaving->record, record(ee, 'a'));
    EXPECT_EQ(changed.to_publish, renewed.records());
}

TEST(TlsaRollover, SwitchStates)
{
    Cert a { 'a', 'C' };
    Cert b { 'b', 'C' }; // same CA
    auto published = after_signing({}, a.records(), t0);

    RolloverPlan before_signing = plan_rollover({ a.records(), b.records(), published, ttl, delay, t0 + hours(1) });
    EXPECT_EQ(before_signing.switch_state, SwitchState::SignFirst);
    EXPECT_FALSE(before_signing.switch_at);
    ASSERT_EQ(before_signing.records.size(), 3u);
    EXPECT_EQ(before_signing.records[0].role, RecordRole::Current);
    EXPECT_EQ(before_signing.records[1].role, RecordRole::Both); // the shared CA record
    EXPECT_EQ(before_signing.records[2].role, RecordRole::Next);
    EXPECT_EQ(before_signing.old_only, std::vector<Record> { record(ee, 'a') });
    EXPECT_EQ(before_signing.to_publish, (std::vector<Record> { record(ee, 'a'), record(ta, 'C'), record(ee, 'b') }));

    const TimePoint t1 = t0 + hours(1);
    published = after_signing(published, before_signing.to_publish, t1);
    EXPECT_EQ(published[0].since, t0); // kept records keep their time
    EXPECT_EQ(published[2].since, t1);

    RolloverPlan waiting = plan_rollover({ a.records(), b.records(), published, ttl, delay, t1 + minutes(30) });
    EXPECT_EQ(waiting.switch_state, SwitchState::Wait);
    EXPECT_EQ(waiting.switch_at, t1 + ttl + delay);

    RolloverPlan just_before = plan_rollover(
        { a.records(), b.records(), published, ttl, delay, t1 + ttl + delay - std::chrono::seconds(1) });
    EXPECT_EQ(just_before.switch_state, SwitchState::Wait);
    RolloverPlan safe = plan_rollover({ a.records(), b.records(), published, ttl, delay, t1 + ttl + delay });
    EXPECT_EQ(safe.switch_state, SwitchState::Safe);
    EXPECT_EQ(safe.switch_at, t1 + ttl + delay);

    // A renewal with the same key and CA needs no new record: safe at once.
    RolloverPlan same_key
        = plan_rollover({ a.records(), a.records(), after_signing({}, a.records(), t0), ttl, delay, t0 });
    EXPECT_EQ(same_key.switch_state, SwitchState::Safe);
    EXPECT_FALSE(same_key.switch_at);
    EXPECT_TRUE(same_key.old_only.empty());
}

// A CA change: the next certificate's key and CA are both new, so the new
// CA's 2 1 1 is a next record, in caches before the certificate is used,
// and the old CA's record is one of those that go last.
TEST(TlsaRollover, CaChangePublishesTheNewCaFirst)
{
    Cert a { 'a', 'C' };
    Cert b { 'b', 'D' };
    auto published = after_signing({}, a.records(), t0);
    RolloverPlan plan = plan_rollover({ a.records(), b.records(), published, ttl, delay, t0 });
    EXPECT_EQ(plan.switch_state, SwitchState::SignFirst);
    EXPECT_EQ(plan.old_only, a.records());
    std::vector<Record> next;
    for (const auto& p : plan.records) {
        if (p.role == RecordRole::Next)
            next.push_back(p.record);
    }
    EXPECT_EQ(next, b.records());
    published = after_signing(published, plan.to_publish, t0 + hours(2));
    RolloverPlan later = plan_rollover({ a.records(), b.records(), published, ttl, delay, t0 + hours(4) });
    EXPECT_EQ(later.switch_state, SwitchState::Safe);
    EXPECT_EQ(later.switch_at, t0 + hours(2) + ttl + delay);
}

// The rollover played out minute by minute against a model of the DNS:
// secondaries serve a new signing up to `delay` late, and a resolver keeps
// what it fetched for one TTL. At every moment, every TLSA RRset some
// resolver may hold must have a record that matches the certificate the
// service presents. The operator follows the plan: sign every hour, switch
// the service when the plan says it is safe, then drop the old records.
struct Simulation {
    struct Signing {
        TimePoint time;
        std::vector<Record> rrset;
    };
    std::vector<Signing> signings;
    std::vector<std::pair<TimePoint, Cert>> presented; // from each time on

    const std::vector<Record>* output_at(TimePoint t) const
    {
        const std::vector<Record>* out = nullptr;
        for (const auto& s : signings) {
            if (s.time <= t)
                out = &s.rrset;
        }
        return out;
    }
    Cert presented_at(TimePoint t) const
    {
        Cert cert = presented.front().second;
        for (const auto& [from, c] : presented) {
            if (from <= t)
                cert = c;
        }
        return cert;
    }
    // Every RRset a cache may hold at `t`: any output that some server
    // served at some moment of [t - ttl, t], which is any output of the
    // primary in [t - ttl - delay, t].
    std::vector<std::string> failures(TimePoint from, TimePoint to) const
    {
        std::vector<std::string> out;
        for (TimePoint t = from; t <= to; t += minutes(1)) {
            Cert cert = presented_at(t);
            for (TimePoint s = t - ttl - delay; s <= t; s += minutes(1)) {
                const auto* rrset = output_at(s);
                if (rrset && !cert.matched_by(*rrset)) {
                    out.push_back(fmt::format("at {} the service presents key {} but a cache may hold the RRset "
                                              "published at {}",
                                              format_time(t), cert.key, format_time(s)));
                    break;
                }
            }
        }
        return out;
    }
};

struct Operator {
    Cert current;
    std::optional<Cert> next;
    std::vector<PublishedRecord> published;
    Simulation sim;
    bool switched = false;
    bool dropped = false;
    // Negative control: switch as soon as the next records are published,
    // without waiting for caches.
    bool impatient = false;

    void run(Cert from, Cert to, TimePoint start, TimePoint end)
    {
        current = from;
        sim.presented.push_back({ start, from });
        for (TimePoint t = start; t <= end; t += minutes(10)) {
            if (t == start + hours(3))
                next = to; // `tlsa add --replace --next-cert`
            std::optional<std::vector<Record>> next_records;
            if (next)
                next_records = next->records();
            RolloverPlan plan = plan_rollover({ current.records(), next_records, published, ttl, delay, t });
            bool may_switch = plan.switch_state == SwitchState::Safe
                || (impatient && plan.switch_state == SwitchState::Wait);
            if (next && !switched && may_switch) {
                sim.presented.push_back({ t, *next }); // the service changes its certificate
                switched = true;
            } else if (switched && !dropped && t >= sim.presented.back().first + hours(2)) {
                current = *next; // `tlsa remove --old`
                next.reset();
                dropped = true;
                plan = plan_rollover({ current.records(), std::nullopt, published, ttl, delay, t });
            }
            if ((t - start) % hours(1) == Duration::zero() || t == start + hours(3)) {
                published = after_signing(published, plan.to_publish, t); // `signet sign`
                sim.signings.push_back({ t, plan.to_publish });
            }
        }
    }
};

TEST(TlsaRollover, SimulatedRenewalNeverLeavesAServedCertificateUnmatched)
{
    for (Cert to : { Cert { 'b', 'C' }, Cert { 'b', 'D' } }) { // same CA, then a new CA
        Operator op;
        op.run(Cert { 'a', 'C' }, to, t0, t0 + hours(24));
        EXPECT_TRUE(op.switched);
        EXPECT_TRUE(op.dropped);
        // The old key's record is gone from the last signing.
        EXPECT_FALSE(Cert({ 'a', 'X' }).matched_by(op.sim.signings.back().rrset));
        EXPECT_TRUE(to.matched_by(op.sim.signings.back().rrset));
        auto failures = op.sim.failures(t0, t0 + hours(24));
        EXPECT_TRUE(failures.empty()) << failures.front();
    }
}

TEST(TlsaRollover, SimulationCatchesASwitchBeforeCachesHaveTheRecord)
{
    Operator op;
    op.impatient = true;
    op.run(Cert { 'a', 'C' }, Cert { 'b', 'D' }, t0, t0 + hours(24));
    ASSERT_TRUE(op.switched);
    EXPECT_FALSE(op.sim.failures(t0, t0 + hours(24)).empty());
}

} // namespace
} // namespace signet::tlsa::rollover_test
