// The enforcer's orchestration around advance() against a store and a token
// kept in memory: what is recorded before a key exists, what a failure
// leaves behind, what is stored after a step and handed to the parent, and
// years of rollovers through the same calls `signet sign` makes, with no
// SQLite file and no PKCS#11 module.
#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <signet/enforcer/key_actions.h>
#include <signet/enforcer/zone_step.h>

namespace signet::enforcer::zone_step_test {
namespace {

using namespace std::chrono_literals;
using S = RecordState;

const TimePoint t0 = TimePoint(std::chrono::seconds(1'800'000'000));

// A ZoneStore in memory. A transaction keeps a copy of everything and puts
// it back when its body fails; outside one, a change is kept at once.
class MemoryStore final : public ZoneStore {
public:
    struct Intent {
        int64_t zone_id = 0;
        std::optional<TimePoint> purge_after; // set by retain_key
    };
    struct State {
        std::vector<KeyEntry> keys;
        std::map<std::string, Intent> intents;
        std::vector<KeyEvent> events;
        int64_t next_id = 1;
    };
    State state;
    int fail_add_event_after = -1; // the add_event call that fails (counting from 0); -1: none
    int add_event_calls = 0;

    Result<void> transaction(const std::function<Result<void>()>& body) override
    {
        State saved = state;
        auto done = body();
        if (!done)
            state = std::move(saved);
        return done;
    }
    Result<std::vector<KeyEntry>> keys_of(int64_t zone_id) override
    {
        std::vector<KeyEntry> out;
        for (const auto& key : state.keys) {
            if (key.zone_id == zone_id)
                out.push_back(key);
        }
        return out;
    }
    Result<int64_t> add_key(KeyEntry key) override
    {
        key.id = state.next_id++;
        state.keys.push_back(key);
        return key.id;
    }
    Result<void> update_key(const KeyEntry& key) override
    {
        auto found = std::find_if(state.keys.begin(), state.keys.end(), [&](const KeyEntry& k) { return k.id == key.id; });
        if (found == state.keys.end())
            return fail(ErrorCode::NotFound, fmt::format("no key {}", key.id));
        *found = key;
        return {};
    }
    Result<void> add_key_intent(std::string_view locator, int64_t zone_id, TimePoint) override
    {
        state.intents[std::string(locator)] = { zone_id, std::nullopt };
        return {};
    }
    Result<void> remove_key_intent(std::string_view locator) override
    {
        state.intents.erase(std::string(locator));
        return {};
    }
    Result<std::vector<std::string>> uncommitted_keys(TimePoint now) override
    {
        std::vector<std::string> out;
        for (const auto& [locator, intent] : state.intents) {
            bool in_use = std::any_of(state.keys.begin(), state.keys.end(),
                                      [&](const KeyEntry& k) { return k.locator == locator && !k.removed; });
            if (!in_use && (!intent.purge_after || *intent.purge_after <= now))
                out.push_back(locator);
        }
        return out;
    }
    Result<void> retain_key(std::string_view locator, int64_t zone_id, TimePoint, TimePoint purge_after,
                            std::string_view) override
    {
        state.intents[std::string(locator)] = { zone_id, purge_after };
        return {};
    }
    Result<int64_t> add_event(KeyEvent event) override
    {
        if (add_event_calls++ == fail_add_event_after)
            return fail(ErrorCode::Database, "the disk is full");
        event.id = state.next_id++;
        state.events.push_back(std::move(event));
        return event.id;
    }

    std::vector<std::string> events(std::string_view kind) const
    {
        std::vector<std::string> out;
        for (const auto& event : state.events) {
            if (event.event == kind)
                out.push_back(event.detail);
        }
        return out;
    }
};

// A KeyToken in memory: key pairs are numbers, public keys made from them.
class MemoryToken final : public KeyToken {
public:
    std::set<std::string> objects;
    std::optional<Error> cannot_open;
    int fail_generate_after = -1; // the generate call that fails (counting from 0); -1: none
    int generate_calls = 0;
    int locators = 0;

    Result<void> open() override
    {
        if (cannot_open)
            return fail(*cannot_open);
        return {};
    }
    Result<std::string> new_locator() override { return fmt::format("{:040x}", ++locators); }
    Result<KeyPair> generate(crypto::Algorithm, unsigned, std::string_view, std::string_view locator) override
    {
        if (generate_calls++ == fail_generate_after)
            return fail(ErrorCode::Pkcs11, "CKR_DEVICE_MEMORY");
        objects.insert(std::string(locator));
        // An Ed25519-sized public key, different for every pair.
        dns::Bytes public_key(32, '\0');
        for (size_t i = 0; i < public_key.size(); ++i)
            public_key[i] = static_cast<char>((locators * 131 + static_cast<int>(i) * 7) & 0xff);
        return KeyPair { std::string(locator), public_key };
    }
    Result<void> destroy(std::string_view locator) override
    {
        SIGNET_TRY(open());
        if (objects.erase(std::string(locator)) == 0)
            return fail(ErrorCode::NotFound, fmt::format("no object {}", locator));
        return {};
    }
};

ZoneEntry test_zone()
{
    ZoneEntry zone;
    zone.id = 7;
    zone.name = "example.nl.";
    zone.policy = "default";
    return zone;
}

Policy test_policy()
{
    Policy policy;
    policy.algorithm = crypto::Algorithm::ED25519;
    policy.zsk_lifetime = std::chrono::days(30);
    policy.ksk_lifetime = std::chrono::days(90);
    return policy;
}

// One signing as `signet sign` does it: step, keys made, stored with the
// zone's TTLs in one transaction, then the removed keys destroyed and the
// parent told.
struct Signing {
    ZoneStep step;
    std::vector<std::string> warnings;
};

Result<Signing> sign(MemoryStore& store, MemoryToken& token, ZoneEntry& zone, const Policy& policy, TimePoint now,
                     const HandToParent& hand = {})
{
    Signing out;
    out.step = SIGNET_TRY(plan_step(store, zone, policy, now, true));
    SIGNET_TRY(make_keys(store, token, out.step, now));
    SIGNET_TRY(store.transaction([&]() -> Result<void> {
        SIGNET_TRY(store_step(store, out.step, now));
        remember_published_ttls(zone, out.step, now);
        return {};
    }));
    zone.signed_at = now;
    out.step.zone = zone;
    auto no_hook = [](const KeyEntry&, ParentRequest) -> Result<std::string> { return std::string("none"); };
    out.warnings = finish_step(store, token, out.step, now, hand ? hand : HandToParent(no_hook));
    return out;
}

TEST(ZoneStep, FirstSigningRecordsThenStoresTheNewKeys)
{
    MemoryStore store;
    MemoryToken token;
    ZoneEntry zone = test_zone();
    auto plan = plan_step(store, zone, test_policy(), t0, true);
    ASSERT_TRUE(plan) << plan.error().to_string();
    ASSERT_EQ(plan->step.to_generate.size(), 2u) << "a KSK and a ZSK";

    ASSERT_TRUE(make_keys(store, token, *plan, t0));
    ASSERT_EQ(plan->generated.size(), 2u);
    EXPECT_EQ(token.objects.size(), 2u);
    EXPECT_EQ(store.state.intents.size(), 2u) << "each object is recorded before it is made";
    EXPECT_TRUE(store.state.keys.empty()) << "nothing is stored before store_step";
    for (size_t index : plan->generated) {
        const KeyEntry& key = plan->step.keys[index];
        EXPECT_EQ(key.zone_id, zone.id);
        EXPECT_EQ(key.goal, KeyGoal::Present);
        EXPECT_TRUE(token.objects.contains(key.locator));
        EXPECT_EQ(key.flags, key.role == KeyRole::ZSK ? 256 : 257);
        EXPECT_EQ(key.ds.state == S::NotApplicable, key.role == KeyRole::ZSK);
        EXPECT_EQ(key.zrrsig.state == S::NotApplicable, key.role == KeyRole::KSK);
        // The second advance() sets the new keys moving: a new zone
        // publishes and signs with them at once.
        EXPECT_EQ(key.dnskey.state, S::Rumoured);
    }

    ASSERT_TRUE(store.transaction([&] { return store_step(store, *plan, t0); }));
    EXPECT_EQ(store.state.keys.size(), 2u);
    EXPECT_TRUE(store.state.intents.empty()) << "a stored key needs no intent";
    EXPECT_EQ(store.events("generate").size(), 2u);
    EXPECT_TRUE(is_valid_dnssec_state(store.state.keys));
}

TEST(ZoneStep, AFailedGenerationLeavesTheTokenAsItWas)
{
    MemoryStore store;
    MemoryToken token;
    token.fail_generate_after = 1;
    ZoneEntry zone = test_zone();
    auto plan = plan_step(store, zone, test_policy(), t0, true);
    ASSERT_TRUE(plan);
    auto made = make_keys(store, token, *plan, t0);
    ASSERT_FALSE(made);
    EXPECT_NE(made.error().to_string().find("zone 'example.nl.'"), std::string::npos) << made.error().to_string();
    EXPECT_TRUE(token.objects.empty()) << "the first key is destroyed again";
    EXPECT_TRUE(plan->generated.empty());
    // The intent of the key that failed stays: the object may exist in a
    // real token, and the next run's collect_unused_keys settles it.
    EXPECT_EQ(store.state.intents.size(), 1u);
    auto collected = collect_unused_keys(store, token, t0);
    ASSERT_TRUE(collected);
    EXPECT_TRUE(collected->empty()) << "nothing was there to destroy";
    EXPECT_TRUE(store.state.intents.empty());
}

TEST(ZoneStep, ATokenThatCannotBeOpenedRecordsNothing)
{
    MemoryStore store;
    MemoryToken token;
    token.cannot_open = Error(ErrorCode::Pkcs11, "CKR_PIN_INCORRECT");
    ZoneEntry zone = test_zone();
    auto plan = plan_step(store, zone, test_policy(), t0, true);
    ASSERT_TRUE(plan);
    auto made = make_keys(store, token, *plan, t0);
    ASSERT_FALSE(made);
    EXPECT_EQ(made.error().message(), "CKR_PIN_INCORRECT");
    EXPECT_TRUE(store.state.intents.empty());
    EXPECT_EQ(token.generate_calls, 0);
}

TEST(ZoneStep, AFailedStoreUndoesTheStepAndDiscardsTheNewKeys)
{
    MemoryStore store;
    MemoryToken token;
    store.fail_add_event_after = 1;
    ZoneEntry zone = test_zone();
    auto plan = plan_step(store, zone, test_policy(), t0, true);
    ASSERT_TRUE(plan);
    ASSERT_TRUE(make_keys(store, token, *plan, t0));
    ASSERT_FALSE(store.transaction([&] { return store_step(store, *plan, t0); }));
    EXPECT_TRUE(store.state.keys.empty());
    EXPECT_EQ(store.state.intents.size(), 2u);
    discard_generated(store, token, *plan);
    EXPECT_TRUE(token.objects.empty());
    EXPECT_TRUE(store.state.intents.empty());
}

TEST(ZoneStep, TheDsIsHandedToTheParentAndStored)
{
    MemoryStore store;
    MemoryToken token;
    ZoneEntry zone = test_zone();
    Policy policy = test_policy();
    policy.ds_submit_command = { { "submit-ds", "{zone}" }, "submit-ds {zone}" };
    ASSERT_TRUE(sign(store, token, zone, policy, t0));
    // Until the zone's signatures are in every cache, no DS is asked for.
    TimePoint now = t0;
    std::vector<std::pair<uint16_t, ParentRequest>> handed;
    bool hook_fails = true;
    auto hand = [&](const KeyEntry& key, ParentRequest request) -> Result<std::string> {
        handed.emplace_back(key.key_tag, request);
        if (hook_fails)
            return fail(ErrorCode::Io, "zone 'example.nl.': the ds-submit-command failed");
        return std::string("submit-ds example.nl.");
    };
    for (int hour = 0; hour < 24 * 10 && handed.empty(); ++hour) {
        now += 1h;
        auto signed_ = sign(store, token, zone, policy, now, hand);
        ASSERT_TRUE(signed_) << signed_.error().to_string();
        if (!handed.empty()) {
            EXPECT_EQ(signed_->warnings, std::vector<std::string> { "zone 'example.nl.': the ds-submit-command failed" });
        }
    }
    ASSERT_EQ(handed.size(), 1u) << "the KSK's DS is asked for once its signatures are everywhere";
    EXPECT_EQ(handed[0].second, ParentRequest::Submit);
    auto ksk = [&] {
        return *std::find_if(store.state.keys.begin(), store.state.keys.end(),
                             [](const KeyEntry& k) { return k.role == KeyRole::KSK; });
    };
    EXPECT_EQ(ksk().ds_at_parent, DsAtParent::Submit) << "a failed hook leaves the DS to be submitted";
    EXPECT_TRUE(store.events("ds-submitted").empty());

    hook_fails = false;
    auto again = sign(store, token, zone, policy, now + 1min, hand);
    ASSERT_TRUE(again);
    EXPECT_TRUE(again->warnings.empty());
    EXPECT_EQ(ksk().ds_at_parent, DsAtParent::Submitted);
    EXPECT_EQ(store.events("ds-submitted"),
              std::vector<std::string> { fmt::format("{} given to `submit-ds example.nl.`", key_name(ksk())) });

    auto confirmed = confirm_ds(store, zone, ksk().key_tag, DsConfirmation::Seen, now + 2min);
    ASSERT_TRUE(confirmed) << confirmed.error().to_string();
    EXPECT_EQ(ksk().ds_at_parent, DsAtParent::Seen);
    EXPECT_EQ(store.events("ds-seen").size(), 1u);
}

// Two years of signings every six hours, the parent confirming each DS
// change a day after it is asked for: every stored state keeps the rules,
// every removed key's object is destroyed and no intent is left.
TEST(ZoneStep, YearsOfRolloversThroughTheStore)
{
    MemoryStore store;
    MemoryToken token;
    ZoneEntry zone = test_zone();
    Policy policy = test_policy();
    std::map<int64_t, TimePoint> asked; // key id: when its DS change was asked for
    TimePoint now = t0;
    for (; now < t0 + std::chrono::days(730); now += 6h) {
        for (const auto& key : store.state.keys) {
            if (key.removed)
                continue;
            bool waiting = key.ds_at_parent == DsAtParent::Submit || key.ds_at_parent == DsAtParent::Retract;
            if (!waiting) {
                asked.erase(key.id);
                continue;
            }
            auto when = asked.try_emplace(key.id, now).first;
            if (now - when->second >= std::chrono::days(1)) {
                auto confirmation = key.ds_at_parent == DsAtParent::Submit ? DsConfirmation::Seen : DsConfirmation::Gone;
                ASSERT_TRUE(confirm_ds(store, zone, key.key_tag, confirmation, now));
            }
        }
        auto signed_ = sign(store, token, zone, policy, now);
        ASSERT_TRUE(signed_) << signed_.error().to_string();
        EXPECT_TRUE(signed_->warnings.empty());
        ASSERT_TRUE(is_valid_dnssec_state(store.state.keys)) << "at " << format_time(now);
        EXPECT_TRUE(store.state.intents.empty()) << "at " << format_time(now);
    }
    size_t removed = 0;
    for (const auto& key : store.state.keys) {
        EXPECT_EQ(token.objects.contains(key.locator), !key.removed) << key_name(key);
        removed += key.removed ? 1 : 0;
    }
    EXPECT_GE(removed, 20u) << "about 24 ZSKs and 8 KSKs have come and gone";
    EXPECT_EQ(store.events("remove").size(), removed);
    EXPECT_EQ(store.events("generate").size(), store.state.keys.size());
}

TEST(KeyActions, ALostKeyIsReplacedAtOnce)
{
    MemoryStore store;
    MemoryToken token;
    ZoneEntry zone = test_zone();
    Policy policy = test_policy();
    ASSERT_TRUE(sign(store, token, zone, policy, t0));
    ASSERT_TRUE(sign(store, token, zone, policy, t0 + std::chrono::days(3)));
    auto zsk = *std::find_if(store.state.keys.begin(), store.state.keys.end(),
                             [](const KeyEntry& k) { return k.role == KeyRole::ZSK; });
    auto replaced = replace_lost_key(store, token, zone, zsk.key_tag, t0 + std::chrono::days(3));
    ASSERT_TRUE(replaced) << replaced.error().to_string();
    EXPECT_EQ(replaced->lost.goal, KeyGoal::Absent);
    EXPECT_EQ(replaced->lost.zrrsig.state, S::Unretentive);
    EXPECT_EQ(replaced->replacement.zrrsig.state, S::Rumoured);
    EXPECT_EQ(replaced->replacement.dnskey.state, S::Rumoured);
    EXPECT_FALSE(replaced->ds_at_parent);
    EXPECT_EQ(store.state.keys.size(), 3u);
    EXPECT_TRUE(store.state.intents.empty());
    EXPECT_EQ(store.events("lost").size(), 1u);

    auto none = replace_lost_key(store, token, zone, zsk.key_tag, t0 + std::chrono::days(3));
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code(), ErrorCode::NotFound) << "the lost key no longer signs";
}

TEST(KeyActions, RolloverByHand)
{
    MemoryStore store;
    MemoryToken token;
    ZoneEntry zone = test_zone();
    Policy policy = test_policy();
    ASSERT_TRUE(sign(store, token, zone, policy, t0));
    auto report = request_rollover(store, zone, policy, KeyRole::ZSK, Urgency::Emergency, t0 + 1h);
    ASSERT_TRUE(report);
    ASSERT_EQ(report->keys.size(), 1u);
    EXPECT_TRUE(report->keys[0].emergency);
    EXPECT_EQ(report->expected, zsk_rollover_time(policy));
    EXPECT_EQ(store.events("emergency").size(), 1u);
    auto csk = request_rollover(store, zone, policy, KeyRole::CSK, Urgency::Planned, t0 + 1h);
    ASSERT_FALSE(csk);
    EXPECT_EQ(csk.error().code(), ErrorCode::NotFound);
    // The next signing starts the successor.
    auto next = sign(store, token, zone, policy, t0 + 2h);
    ASSERT_TRUE(next);
    EXPECT_EQ(next->step.generated.size(), 1u);
}

} // namespace
} // namespace signet::enforcer::zone_step_test
