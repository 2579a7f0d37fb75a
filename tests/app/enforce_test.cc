// The enforcer against a real state dir: SQLite store and SoftHSM2 token.
// What is checked here is the bookkeeping of keys made ahead for many zones
// at once: every key in the token belongs to a key in the store, and none
// is lost or made twice.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include <signet/app/enforce.h>
#include <signet/app/pipeline.h>

#include "../fixtures/certs.h"

namespace signet::app::enforce_test {
namespace {

namespace fs = std::filesystem;
using enforcer::KeyRole;
using enforcer::ZoneEntry;

const TimePoint t0 = TimePoint(std::chrono::seconds(1798761600)); // 2027-01-01

const char* zone_text = R"($TTL 3600
@    SOA ns1 hostmaster 1 3600 600 86400 300
@    NS  ns1
ns1  A   192.0.2.1
)";

// One state dir per test process: a process loads SoftHSM2 once, with the
// configuration of the first state dir it opens.
const fs::path& state_dir()
{
    static const fs::path dir = [] {
        fs::path d = fs::temp_directory_path() / fmt::format("signet-app-enforce-{}", ::getpid());
        fs::remove_all(d);
        auto made = init_state(d / "state");
        EXPECT_TRUE(made) << made.error().to_string();
        std::atexit([] { fs::remove_all(fs::temp_directory_path() / fmt::format("signet-app-enforce-{}", ::getpid())); });
        return d;
    }();
    return dir;
}

Context open_context()
{
    auto context = Context::open(state_dir() / "state", std::nullopt);
    EXPECT_TRUE(context) << context.error().to_string();
    return std::move(*context);
}

// Registers `count` new zones named after `prefix`.
std::vector<ZoneEntry> add_zones(Context& context, std::string_view prefix, int count)
{
    std::vector<ZoneEntry> zones;
    for (int i = 0; i < count; ++i) {
        ZoneEntry zone;
        zone.name = fmt::format("{}{}.test.", prefix, i);
        zone.input = state_dir() / (zone.name + "zone");
        zone.output = state_dir() / (zone.name + "signed");
        zone.policy = "default";
        zone.created = t0;
        testing::write_file(zone.input, zone_text);
        auto id = context.db.add_zone(zone);
        EXPECT_TRUE(id) << id.error().to_string();
        zone.id = id.value_or(0);
        zones.push_back(zone);
    }
    return zones;
}

std::set<std::string> token_keys(Context& context)
{
    auto token = context.token();
    EXPECT_TRUE(token) << token.error().to_string();
    auto listed = (*token)->list();
    EXPECT_TRUE(listed) << listed.error().to_string();
    return { listed->begin(), listed->end() };
}

std::set<std::string> stored_keys(Context& context)
{
    std::set<std::string> out;
    auto zones = context.db.list_zones();
    EXPECT_TRUE(zones);
    for (const auto& zone : zones.value_or(std::vector<ZoneEntry> {})) {
        auto keys = context.db.keys_of(zone.id);
        EXPECT_TRUE(keys);
        for (const auto& key : keys.value_or(std::vector<enforcer::KeyEntry> {})) {
            if (!key.removed)
                out.insert(key.locator);
        }
    }
    return out;
}

TEST(EnforceZones, KeysMadeAheadEndUpInTheStoreOnce)
{
    Context context = open_context();
    auto before = token_keys(context);
    auto zones = add_zones(context, "ahead", 7);
    FixedClock clock(t0);
    auto reports = enforce_zones(context, zones, clock, 2);
    ASSERT_EQ(reports.size(), zones.size());
    const auto* policy = *context.policy("default");
    const bool csk = policy->keys == enforcer::KeyLayout::Csk;
    const std::set<KeyRole> wanted = csk ? std::set { KeyRole::CSK } : std::set { KeyRole::KSK, KeyRole::ZSK };
    for (size_t i = 0; i < zones.size(); ++i) {
        ASSERT_TRUE(reports[i]) << reports[i].error().to_string();
        EXPECT_EQ(reports[i]->zone, zones[i].name);
        auto keys = *context.db.keys_of(zones[i].id);
        std::set<KeyRole> roles;
        for (const auto& key : keys)
            roles.insert(key.role);
        // One key per role the policy asks for, no more.
        EXPECT_EQ(keys.size(), roles.size()) << zones[i].name;
        EXPECT_EQ(roles, wanted);
        EXPECT_TRUE(reports[i]->needs_signing);
    }
    auto after = token_keys(context);
    auto stored = stored_keys(context);
    EXPECT_EQ(after, stored);
    EXPECT_EQ(after.size(), before.size() + zones.size() * wanted.size());

    // A second run has nothing to make: the same keys, none added.
    auto again = enforce_zones(context, zones, clock, 2);
    for (const auto& report : again)
        ASSERT_TRUE(report) << report.error().to_string();
    EXPECT_EQ(token_keys(context), after);
}

TEST(EnforceZones, KeysMadeAheadAndNotTakenAreDestroyed)
{
    std::set<std::string> before;
    {
        Context context = open_context();
        before = token_keys(context);
        auto zones = add_zones(context, "untaken", 3);
        std::vector<Result<ZoneStep>> plans;
        for (const auto& zone : zones)
            plans.push_back(plan_step(context, zone, t0, false));
        size_t made = premake_keys(context, plans, t0, 2);
        EXPECT_GT(made, 0u);
        std::set<std::string> ahead;
        for (const auto& locator : token_keys(context)) {
            if (!before.contains(locator))
                ahead.insert(locator);
        }
        EXPECT_EQ(ahead.size(), made);

        // One zone takes its keys; the other two never run.
        auto step = step_zone(context, zones[0], t0, false);
        ASSERT_TRUE(step) << step.error().to_string();
        ASSERT_FALSE(step->generated.empty());
        for (size_t index : step->generated)
            EXPECT_TRUE(ahead.contains(step->step.keys[index].locator)) << "made again instead of taken";
        ASSERT_TRUE(context.db.transaction([&] { return store_step(context, *step, t0); }));
    }
    Context context = open_context();
    EXPECT_EQ(token_keys(context), stored_keys(context));
}

} // namespace
} // namespace signet::app::enforce_test
