#include <gtest/gtest.h>

#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include <signet/enforcer/keydb.h>

namespace signet::enforcer::keydb_test {
namespace {

TimePoint at(int64_t seconds) { return TimePoint(std::chrono::seconds(seconds)); }

class KeyDbTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = std::filesystem::temp_directory_path()
            / fmt::format("signet-keydb-{}-{}-{}", ::getpid(), test->test_suite_name(), test->name());
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::filesystem::path file() const { return dir_ / "keys.db"; }

    // The store, made by the first call as `signet init` makes it.
    KeyDb open_store()
    {
        auto store = std::filesystem::exists(file()) ? KeyDb::open(file()) : KeyDb::create(file());
        EXPECT_TRUE(store) << store.error().to_string();
        return std::move(store).value();
    }

    std::filesystem::path dir_;
};

ZoneEntry full_zone(std::string name)
{
    ZoneEntry zone;
    zone.name = std::move(name);
    zone.input = "/srv/zones/example.nl.zone";
    zone.output = "/var/lib/signet/signed/example.nl.zone";
    zone.policy = "strict";
    zone.serial = 4294967295u;
    zone.signed_at = at(1700000100);
    zone.nsec3_salt = "aabbccdd";
    zone.nsec3_salt_created = at(1700000050);
    zone.created = at(1700000000);
    zone.expires = at(1701209700);
    zone.output_id = "2049:1234567";
    zone.unsign_started = at(1700000200);
    zone.insecure_since = at(1700000300);
    zone.allow_transfer = { "ns2", "ns3" };
    zone.notify = { "ns3", "ns4" };
    return zone;
}

ZoneEntry bare_zone(std::string name)
{
    ZoneEntry zone;
    zone.name = std::move(name);
    zone.input = "in.zone";
    zone.output = "out.zone";
    zone.policy = "default";
    zone.created = at(1600000000);
    return zone;
}

KeyEntry full_key(int64_t zone_id, std::string locator)
{
    KeyEntry key;
    key.zone_id = zone_id;
    key.locator = std::move(locator);
    key.algorithm = crypto::Algorithm::RSASHA256;
    key.bits = 2048;
    key.role = KeyRole::KSK;
    key.key_tag = 65535;
    key.flags = 257;
    key.dnskey_rdata = std::string("\x01\x01\x03\x08\x00\xff\x00", 7); // embedded NULs survive
    key.goal = KeyGoal::Absent;
    key.ds = { RecordState::Unretentive, at(1700000001) };
    key.dnskey = { RecordState::Omnipresent, at(1700000002) };
    key.krrsig = { RecordState::Rumoured, at(1700000003) };
    key.zrrsig = { RecordState::NotApplicable, at(1700000004) };
    key.ds_at_parent = DsAtParent::Retracted;
    key.created = at(1700000000);
    key.published = at(1700000010);
    key.active = at(1700000020);
    key.retired = at(1700000030);
    key.removed = at(1700000040);
    return key;
}

KeyEntry bare_key(int64_t zone_id, std::string locator)
{
    KeyEntry key;
    key.zone_id = zone_id;
    key.locator = std::move(locator);
    key.algorithm = crypto::Algorithm::ED25519;
    key.role = KeyRole::CSK;
    key.key_tag = 12345;
    key.flags = 257;
    key.dnskey_rdata = "public key";
    key.created = at(1600000000);
    return key;
}

// Every row of every table, as text, to compare a store before and after.
std::vector<std::string> dump(KeyDb& store)
{
    std::vector<std::string> rows;
    for (const char* table : { "zone", "key", "key_event" }) {
        sqlite3_stmt* statement = nullptr;
        std::string sql = fmt::format("SELECT * FROM {} ORDER BY id", table);
        EXPECT_EQ(sqlite3_prepare_v2(store.db().handle(), sql.c_str(), -1, &statement, nullptr), SQLITE_OK);
        while (sqlite3_step(statement) == SQLITE_ROW) {
            std::string row = table;
            for (int i = 0; i < sqlite3_column_count(statement); ++i) {
                const unsigned char* text = sqlite3_column_text(statement, i);
                row += "|";
                row += text ? reinterpret_cast<const char*>(text) : "NULL";
            }
            rows.push_back(row);
        }
        sqlite3_finalize(statement);
    }
    return rows;
}

int64_t count(KeyDb& store, std::string_view sql) { return store.db().query_int(sql).value(); }

TEST_F(KeyDbTest, ZoneRoundTripsEveryField)
{
    KeyDb store = open_store();
    auto id = store.add_zone(full_zone("example.nl."));
    ASSERT_TRUE(id) << id.error().to_string();
    auto bare_id = store.add_zone(bare_zone("bare.example."));
    ASSERT_TRUE(bare_id);

    ZoneEntry expected = full_zone("example.nl.");
    expected.id = *id;
    auto found = store.find_zone("example.nl.");
    ASSERT_TRUE(found && *found);
    EXPECT_EQ(**found, expected);

    ZoneEntry bare = bare_zone("bare.example.");
    bare.id = *bare_id;
    EXPECT_EQ(store.find_zone("bare.example.").value(), bare);
    EXPECT_FALSE(bare.serial || bare.signed_at || bare.nsec3_salt || bare.nsec3_salt_created);

    // Every field changes, from set to unset and back; the empty salt is not
    // the absent salt.
    ZoneEntry changed = bare;
    changed.name = "renamed.example.";
    changed.input = "/a";
    changed.output = "/b";
    changed.policy = "other";
    changed.serial = 0;
    changed.signed_at = at(-5);
    changed.nsec3_salt = "";
    changed.nsec3_salt_created = at(7);
    changed.created = at(8);
    changed.notify = { "ns9" };
    ASSERT_TRUE(store.update_zone(changed));
    EXPECT_EQ(store.find_zone("renamed.example.").value(), changed);
    EXPECT_EQ(store.find_zone("bare.example.").value(), std::nullopt);

    expected.serial.reset();
    expected.signed_at.reset();
    expected.nsec3_salt.reset();
    expected.nsec3_salt_created.reset();
    expected.notify.clear();
    ASSERT_TRUE(store.update_zone(expected));
    EXPECT_EQ(store.find_zone("example.nl").value(), expected);

    auto zones = store.list_zones();
    ASSERT_TRUE(zones);
    ASSERT_EQ(zones->size(), 2u);
    EXPECT_EQ((*zones)[0], expected); // by name
    EXPECT_EQ((*zones)[1], changed);

    // Reopening reads the same.
    KeyDb again = open_store();
    EXPECT_EQ(again.list_zones().value(), *zones);
}

TEST_F(KeyDbTest, KeyRoundTripsEveryField)
{
    KeyDb store = open_store();
    int64_t zone_id = store.add_zone(bare_zone("example.nl")).value();

    KeyEntry full = full_key(zone_id, "00112233445566778899aabbccddeeff00112233");
    auto full_id = store.add_key(full);
    ASSERT_TRUE(full_id) << full_id.error().to_string();
    full.id = *full_id;
    KeyEntry bare = bare_key(zone_id, "ffee");
    bare.id = store.add_key(bare).value();

    auto keys = store.keys_of(zone_id);
    ASSERT_TRUE(keys) << keys.error().to_string();
    ASSERT_EQ(keys->size(), 2u);
    EXPECT_EQ((*keys)[0], full);
    EXPECT_EQ((*keys)[1], bare);
    EXPECT_EQ((*keys)[1].ds, (RecordStatus { RecordState::Hidden, {} }));
    EXPECT_FALSE((*keys)[1].published || (*keys)[1].active || (*keys)[1].retired || (*keys)[1].removed);

    // Every value of every enum goes through the store.
    const RecordState states[] = { RecordState::NotApplicable, RecordState::Hidden, RecordState::Rumoured,
                                   RecordState::Omnipresent, RecordState::Unretentive };
    const DsAtParent ds_states[] = { DsAtParent::Unsubmitted, DsAtParent::Submit, DsAtParent::Submitted,
                                     DsAtParent::Seen, DsAtParent::Retract, DsAtParent::Retracted };
    const KeyRole roles[] = { KeyRole::KSK, KeyRole::ZSK, KeyRole::CSK };
    for (int i = 0; i < 6; ++i) {
        KeyEntry changed = full;
        changed.role = roles[i % 3];
        changed.goal = i % 2 ? KeyGoal::Present : KeyGoal::Absent;
        changed.ds = { states[i % 5], at(100 + i) };
        changed.dnskey = { states[(i + 1) % 5], at(200 + i) };
        changed.krrsig = { states[(i + 2) % 5], at(300 + i) };
        changed.zrrsig = { states[(i + 3) % 5], at(400 + i) };
        changed.ds_at_parent = ds_states[i];
        changed.algorithm = crypto::Algorithm::ED448;
        changed.bits = 456;
        changed.key_tag = static_cast<uint16_t>(i);
        changed.flags = 385;
        changed.dnskey_rdata = std::string(300, static_cast<char>(i));
        changed.created = at(i);
        changed.published.reset();
        changed.removed = at(-1);
        ASSERT_TRUE(store.update_key(changed)) << i;
        EXPECT_EQ(store.keys_of(zone_id).value().at(0), changed) << i;
    }
    EXPECT_EQ(store.keys_of(zone_id).value().at(1), bare);
    EXPECT_TRUE(store.keys_of(zone_id + 100).value().empty());

    ASSERT_TRUE(store.remove_key(full.id));
    ASSERT_EQ(store.keys_of(zone_id).value(), std::vector<KeyEntry> { bare });
}

TEST_F(KeyDbTest, EventsComeInTimeOrderAndOutliveTheirKey)
{
    KeyDb store = open_store();
    int64_t zone_id = store.add_zone(bare_zone("example.nl")).value();
    int64_t key_id = store.add_key(bare_key(zone_id, "aa")).value();

    KeyEvent late { 0, zone_id, key_id, at(300), "dnskey", "rumoured -> omnipresent" };
    KeyEvent early { 0, zone_id, std::nullopt, at(100), "zone-added", "" };
    KeyEvent same_time { 0, zone_id, key_id, at(300), "ds", "hidden -> rumoured" };
    late.id = store.add_event(late).value();
    early.id = store.add_event(early).value();
    same_time.id = store.add_event(same_time).value();

    auto events = store.events_of(zone_id);
    ASSERT_TRUE(events) << events.error().to_string();
    EXPECT_EQ(*events, (std::vector<KeyEvent> { early, late, same_time }));

    ASSERT_TRUE(store.remove_key(key_id));
    late.key_id.reset();
    same_time.key_id.reset();
    EXPECT_EQ(store.events_of(zone_id).value(), (std::vector<KeyEvent> { early, late, same_time }));
}

TEST_F(KeyDbTest, RemovingAZoneRemovesItsKeysAndEvents)
{
    KeyDb store = open_store();
    int64_t gone = store.add_zone(bare_zone("gone.example")).value();
    int64_t kept = store.add_zone(bare_zone("kept.example")).value();
    for (int64_t zone : { gone, kept }) {
        for (const char* locator : { "01", "02" }) {
            int64_t key = store.add_key(bare_key(zone, locator)).value();
            ASSERT_TRUE(store.add_event(KeyEvent { 0, zone, key, at(1), "generate", locator }));
        }
        ASSERT_TRUE(store.add_event(KeyEvent { 0, zone, std::nullopt, at(0), "zone-added", "" }));
    }
    auto kept_keys = store.keys_of(kept).value();
    auto kept_events = store.events_of(kept).value();

    ASSERT_TRUE(store.remove_zone("Gone.Example"));
    EXPECT_EQ(store.find_zone("gone.example.").value(), std::nullopt);
    EXPECT_EQ(count(store, fmt::format("SELECT count(*) FROM key WHERE zone_id = {}", gone)), 0);
    EXPECT_EQ(count(store, fmt::format("SELECT count(*) FROM key_event WHERE zone_id = {}", gone)), 0);
    EXPECT_EQ(count(store, "SELECT count(*) FROM key"), 2);
    EXPECT_EQ(count(store, "SELECT count(*) FROM key_event"), 3);
    EXPECT_EQ(store.keys_of(kept).value(), kept_keys);
    EXPECT_EQ(store.events_of(kept).value(), kept_events);

    auto again = store.remove_zone("gone.example");
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code(), ErrorCode::NotFound);
    EXPECT_NE(again.error().message().find("gone.example."), std::string::npos);
}

TEST_F(KeyDbTest, DuplicateZoneIsRefused)
{
    KeyDb store = open_store();
    ASSERT_TRUE(store.add_zone(bare_zone("example.nl.")));
    for (const char* name : { "example.nl.", "EXAMPLE.nl" }) {
        auto duplicate = store.add_zone(bare_zone(name));
        ASSERT_FALSE(duplicate) << name;
        EXPECT_EQ(duplicate.error().code(), ErrorCode::Conflict);
        EXPECT_NE(duplicate.error().message().find("example.nl."), std::string::npos)
            << duplicate.error().message();
    }
    // Renaming onto a taken name is refused the same way.
    ZoneEntry other = bare_zone("other.nl");
    other.id = store.add_zone(other).value();
    other.name = "Example.NL.";
    auto renamed = store.update_zone(other);
    ASSERT_FALSE(renamed);
    EXPECT_EQ(renamed.error().code(), ErrorCode::Conflict);
    EXPECT_EQ(store.list_zones().value().size(), 2u);
}

TEST_F(KeyDbTest, ZoneNamesAreNormalised)
{
    EXPECT_EQ(normalise_zone_name("Example.NL").value(), "example.nl.");
    EXPECT_EQ(normalise_zone_name("example.nl.").value(), "example.nl.");
    EXPECT_EQ(normalise_zone_name(".").value(), ".");
    EXPECT_EQ(normalise_zone_name("\\065b.nl").value(), "ab.nl.");
    EXPECT_FALSE(normalise_zone_name(""));
    EXPECT_FALSE(normalise_zone_name("a..b"));

    KeyDb store = open_store();
    int64_t id = store.add_zone(bare_zone("Sub.Example.NL")).value();
    for (const char* name : { "sub.example.nl", "sub.example.nl.", "SUB.EXAMPLE.NL.", "sUb.ExAmPlE.nL" }) {
        auto found = store.find_zone(name);
        ASSERT_TRUE(found && *found) << name;
        EXPECT_EQ((*found)->id, id);
        EXPECT_EQ((*found)->name, "sub.example.nl.");
    }
    EXPECT_EQ(store.find_zone("example.nl").value(), std::nullopt);
    EXPECT_FALSE(store.find_zone("a..b"));
    EXPECT_EQ(store.list_zones().value().at(0).name, "sub.example.nl.");
    EXPECT_EQ(count(store, "SELECT count(*) FROM zone WHERE name = 'sub.example.nl.'"), 1);
}

TEST_F(KeyDbTest, MissingRowsAreNotFound)
{
    KeyDb store = open_store();
    ZoneEntry ghost = bare_zone("ghost.example");
    ghost.id = 42;
    EXPECT_EQ(store.update_zone(ghost).error().code(), ErrorCode::NotFound);
    EXPECT_EQ(store.remove_zone("ghost.example").error().code(), ErrorCode::NotFound);
    KeyEntry key = bare_key(42, "aa");
    EXPECT_EQ(store.add_key(key).error().code(), ErrorCode::NotFound);
    key.id = 7;
    EXPECT_EQ(store.update_key(key).error().code(), ErrorCode::NotFound);
    EXPECT_EQ(store.remove_key(7).error().code(), ErrorCode::NotFound);
    EXPECT_EQ(store.add_event(KeyEvent { 0, 42, std::nullopt, at(0), "x", "" }).error().code(), ErrorCode::NotFound);

    int64_t zone_id = store.add_zone(bare_zone("example.nl")).value();
    ASSERT_TRUE(store.add_key(bare_key(zone_id, "aa")));
    auto twice = store.add_key(bare_key(zone_id, "aa"));
    ASSERT_FALSE(twice);
    EXPECT_EQ(twice.error().code(), ErrorCode::Conflict);
}

TEST_F(KeyDbTest, FailedTransactionLeavesTheStoreAsItWas)
{
    KeyDb store = open_store();
    int64_t zone_id = store.add_zone(full_zone("example.nl")).value();
    int64_t other_id = store.add_zone(bare_zone("other.nl")).value();
    int64_t key_id = store.add_key(full_key(zone_id, "aa")).value();
    ASSERT_TRUE(store.add_key(bare_key(other_id, "bb")));
    ASSERT_TRUE(store.add_event(KeyEvent { 0, zone_id, key_id, at(5), "generate", "" }));
    const auto before = dump(store);
    ASSERT_EQ(before.size(), 5u);

    auto result = store.transaction([&]() -> Result<void> {
        SIGNET_TRY(store.add_zone(bare_zone("new.nl")));
        ZoneEntry zone = store.find_zone("example.nl").value().value();
        zone.serial = 1;
        SIGNET_TRY(store.update_zone(zone));
        KeyEntry key = store.keys_of(zone_id).value().at(0);
        key.dnskey.state = RecordState::Unretentive;
        SIGNET_TRY(store.update_key(key));
        SIGNET_TRY(store.add_key(bare_key(zone_id, "cc")));
        SIGNET_TRY(store.add_event(KeyEvent { 0, zone_id, key_id, at(6), "dnskey", "" }));
        SIGNET_TRY(store.remove_zone("other.nl"));
        EXPECT_EQ(dump(store).size(), 6u); // the changes are visible inside
        return fail(ErrorCode::Policy, "the body gives up");
    });
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code(), ErrorCode::Policy);
    EXPECT_EQ(result.error().message(), "the body gives up");
    EXPECT_EQ(dump(store), before);
    EXPECT_FALSE(store.db().in_transaction());

    // A store error inside the body is returned and rolls back too.
    result = store.transaction([&]() -> Result<void> {
        SIGNET_TRY(store.add_zone(bare_zone("new.nl")));
        SIGNET_TRY(store.add_zone(bare_zone("example.nl")));
        return {};
    });
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code(), ErrorCode::Conflict);
    EXPECT_EQ(dump(store), before);

    // And a body that succeeds commits, also for another connection.
    ASSERT_TRUE(store.transaction([&]() -> Result<void> {
        SIGNET_TRY(store.add_zone(bare_zone("new.nl")));
        return {};
    }));
    KeyDb reader = open_store();
    EXPECT_TRUE(reader.find_zone("new.nl").value());
}

TEST_F(KeyDbTest, TransactionsNest)
{
    KeyDb store = open_store();
    auto result = store.transaction([&]() -> Result<void> {
        SIGNET_TRY(store.add_zone(bare_zone("outer.nl")));
        auto inner = store.transaction([&]() -> Result<void> {
            SIGNET_TRY(store.add_zone(bare_zone("inner.nl")));
            return fail(ErrorCode::Policy, "inner gives up");
        });
        EXPECT_FALSE(inner);
        EXPECT_TRUE(store.db().in_transaction());
        EXPECT_EQ(store.find_zone("inner.nl").value(), std::nullopt);
        SIGNET_TRY(store.transaction([&]() -> Result<void> {
            SIGNET_TRY(store.add_zone(bare_zone("kept.nl")));
            return {};
        }));
        return {};
    });
    ASSERT_TRUE(result) << result.error().to_string();
    auto zones = store.list_zones().value();
    ASSERT_EQ(zones.size(), 2u);
    EXPECT_EQ(zones[0].name, "kept.nl.");
    EXPECT_EQ(zones[1].name, "outer.nl.");

    // An outer failure undoes an inner success.
    const auto before = dump(store);
    result = store.transaction([&]() -> Result<void> {
        SIGNET_TRY(store.transaction([&]() -> Result<void> {
            SIGNET_TRY(store.remove_zone("kept.nl"));
            return {};
        }));
        return fail(ErrorCode::Policy, "outer gives up");
    });
    ASSERT_FALSE(result);
    EXPECT_EQ(dump(store), before);
    EXPECT_FALSE(store.db().in_transaction());
}

TEST_F(KeyDbTest, OnlyCreateMakesAStore)
{
    // A lost store is an error that says what to restore, never a new empty
    // store that signs nothing and orphans every key.
    auto missing = KeyDb::open(file());
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code(), ErrorCode::Database);
    EXPECT_NE(missing.error().message().find("missing"), std::string::npos) << missing.error().message();
    EXPECT_NE(missing.error().message().find("backup"), std::string::npos) << missing.error().message();
    EXPECT_FALSE(std::filesystem::exists(file()));

    { std::ofstream(file()).flush(); }
    auto empty = KeyDb::open(file());
    ASSERT_FALSE(empty);
    EXPECT_NE(empty.error().message().find("empty"), std::string::npos) << empty.error().message();
    EXPECT_EQ(std::filesystem::file_size(file()), 0u);

    // An SQLite file that never had Signet's schema.
    std::filesystem::remove(file());
    {
        auto raw = sqlite::Db::open(file());
        ASSERT_TRUE(raw) << raw.error().to_string();
        ASSERT_TRUE(raw->exec("CREATE TABLE other (x INTEGER)"));
    }
    auto foreign = KeyDb::open(file());
    ASSERT_FALSE(foreign);
    EXPECT_NE(foreign.error().message().find("not a Signet key store"), std::string::npos)
        << foreign.error().message();

    EXPECT_FALSE(KeyDb::open(dir_));

    // Opening again finds the current version and changes nothing.
    std::filesystem::remove(file());
    KeyDb store = open_store();
    EXPECT_EQ(count(store, "PRAGMA user_version"), KeyDb::schema_version());
    const auto before = dump(store);
    KeyDb again = open_store();
    EXPECT_EQ(dump(again), before);
}

TEST_F(KeyDbTest, FailedMigrationChangesNothing)
{
    {
        auto raw = sqlite::Db::open(file());
        ASSERT_TRUE(raw) << raw.error().to_string();
        // A version-2 file that already has the table migration 3 would
        // create (and lacks the tables of 1 and 2).
        ASSERT_TRUE(raw->exec("CREATE TABLE tlsa_binding (x INTEGER); PRAGMA user_version = 2"));
    }
    auto store = KeyDb::open(file());
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().code(), ErrorCode::Database);
    EXPECT_NE(store.error().to_string().find("schema version 3"), std::string::npos) << store.error().to_string();
    EXPECT_NE(store.error().to_string().find(file().string()), std::string::npos);

    auto raw = sqlite::Db::open(file());
    ASSERT_TRUE(raw);
    EXPECT_EQ(raw->query_int("PRAGMA user_version").value(), 2);
    EXPECT_EQ(raw->query_int("SELECT count(*) FROM sqlite_schema WHERE name IN ('zone', 'key')").value(), 0);
}

// The connection's statements: how many it holds, and how many are between
// rows (holding a read transaction).
std::pair<int, int> statements_of(sqlite3* db)
{
    int held = 0, busy = 0;
    for (sqlite3_stmt* s = sqlite3_next_stmt(db, nullptr); s; s = sqlite3_next_stmt(db, s)) {
        ++held;
        busy += sqlite3_stmt_busy(s) ? 1 : 0;
    }
    return { held, busy };
}

TEST_F(KeyDbTest, StatementsAreCompiledOnceAndReturnedReset)
{
    auto db = sqlite::Db::open(file());
    ASSERT_TRUE(db) << db.error().to_string();
    ASSERT_TRUE(db->exec("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1), (2), (3)"));
    const std::string_view select = "SELECT v FROM t WHERE v >= ?1 ORDER BY v";
    const int before = statements_of(db->handle()).first; // opening the connection's own
    for (int i = 0; i < 100; ++i) {
        auto statement = db->prepare(select);
        ASSERT_TRUE(statement);
        statement->bind_int(1, 2);
        ASSERT_TRUE(statement->step().value());
        EXPECT_EQ(statement->column_int(0), 2); // left between rows
    }
    EXPECT_EQ(statements_of(db->handle()), std::pair(before + 1, 0));

    // The same SQL twice at once: two statements, each with its own
    // parameters; then both kept, reset, their parameters cleared.
    {
        auto outer = db->prepare(select).value();
        outer.bind_int(1, 1);
        ASSERT_TRUE(outer.step().value());
        auto inner = db->prepare(select).value();
        inner.bind_int(1, 3);
        ASSERT_TRUE(inner.step().value());
        EXPECT_EQ(inner.column_int(0), 3);
        ASSERT_TRUE(outer.step().value());
        EXPECT_EQ(outer.column_int(0), 2);
    }
    EXPECT_EQ(statements_of(db->handle()), std::pair(before + 2, 0));
    auto again = db->prepare(select).value();
    EXPECT_FALSE(again.step().value()); // v >= NULL: no row
    // A statement that outlives its connection finalizes itself.
    auto late = db->prepare("SELECT count(*) FROM t").value();
    *db = std::move(sqlite::Db::open(dir_ / "other.db").value());
    ASSERT_TRUE(late.step().value());
}

TEST_F(KeyDbTest, NewerSchemaIsRefused)
{
    {
        KeyDb store = open_store();
        ASSERT_TRUE(store.add_zone(bare_zone("example.nl")));
        ASSERT_TRUE(store.db().exec(fmt::format("PRAGMA user_version = {}", KeyDb::schema_version() + 1)));
    }
    auto store = KeyDb::open(file());
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().code(), ErrorCode::Database);
    const std::string message = store.error().to_string();
    EXPECT_NE(message.find(file().string()), std::string::npos) << message;
    EXPECT_NE(message.find("newer"), std::string::npos) << message;
    EXPECT_NE(message.find(fmt::format("version {}", KeyDb::schema_version() + 1)), std::string::npos) << message;

    auto raw = sqlite::Db::open(file());
    ASSERT_TRUE(raw);
    EXPECT_EQ(raw->query_int("PRAGMA user_version").value(), KeyDb::schema_version() + 1);
    EXPECT_EQ(raw->query_int("SELECT count(*) FROM zone").value(), 1);
}

TEST_F(KeyDbTest, CreateRefusesAnExistingFile)
{
    {
        auto created = KeyDb::create(file());
        ASSERT_TRUE(created) << created.error().to_string();
        EXPECT_EQ(created->db().query_int("PRAGMA user_version").value(), KeyDb::schema_version());
        ASSERT_TRUE(created->add_zone(bare_zone("example.nl")));
    }
    auto again = KeyDb::create(file());
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code(), ErrorCode::Conflict);
    EXPECT_NE(again.error().message().find(file().string()), std::string::npos);
    EXPECT_EQ(open_store().list_zones().value().size(), 1u);

    // Also an empty file, and anything else that is there.
    std::filesystem::path empty = dir_ / "empty.db";
    { std::ofstream(empty).flush(); }
    EXPECT_FALSE(KeyDb::create(empty));
    EXPECT_EQ(std::filesystem::file_size(empty), 0u);
    EXPECT_FALSE(KeyDb::create(dir_));

    auto nowhere = KeyDb::create(dir_ / "no" / "such" / "dir.db");
    ASSERT_FALSE(nowhere);
    EXPECT_EQ(nowhere.error().code(), ErrorCode::Io);
}

TEST_F(KeyDbTest, NotADatabaseIsAnError)
{
    { std::ofstream(file()) << "this is not an SQLite file, not at all, it is far too long to be one\n"; }
    auto store = KeyDb::open(file());
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().code(), ErrorCode::Database);
    EXPECT_NE(store.error().message().find(file().string()), std::string::npos);
}

TEST_F(KeyDbTest, JournalIsWal)
{
    { open_store(); }
    // WAL is a property of the file: a plain connection sees it.
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open_v2(file().c_str(), &raw, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* statement = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &statement, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(statement), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(statement, 0)), "wal");
    sqlite3_finalize(statement);
    sqlite3_close(raw);

    KeyDb store = open_store();
    EXPECT_EQ(store.db().query_int("PRAGMA foreign_keys").value(), 1);
    EXPECT_EQ(store.db().query_int("PRAGMA synchronous").value(), 1); // NORMAL
    EXPECT_GE(store.db().query_int("PRAGMA busy_timeout").value(), 5000);
}

TEST_F(KeyDbTest, ReaderIsNotBlockedByAWriterAndAWriterWaits)
{
    KeyDb writer = open_store();
    ASSERT_TRUE(writer.add_zone(bare_zone("first.nl")));

    std::atomic<bool> started = false;
    std::atomic<bool> release = false;
    Result<void> written;
    std::thread thread([&] {
        written = writer.transaction([&]() -> Result<void> {
            SIGNET_TRY(writer.add_zone(bare_zone("second.nl")));
            started = true;
            while (!release)
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            // Held a little longer, so the other writer has to wait.
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            return {};
        });
    });
    while (!started)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));

    // Opened and read while the writer holds its transaction: no wait, and
    // the last committed state.
    auto start = std::chrono::steady_clock::now();
    auto reader = KeyDb::open(file());
    ASSERT_TRUE(reader) << reader.error().to_string();
    auto zones = reader->list_zones();
    ASSERT_TRUE(zones) << zones.error().to_string();
    ASSERT_EQ(zones->size(), 1u);
    EXPECT_EQ(zones->at(0).name, "first.nl.");
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(250));

    // A second writer waits for the first (busy timeout) instead of failing.
    release = true;
    start = std::chrono::steady_clock::now();
    auto third = reader->add_zone(bare_zone("third.nl"));
    auto waited = std::chrono::steady_clock::now() - start;
    thread.join();
    ASSERT_TRUE(written) << written.error().to_string();
    ASSERT_TRUE(third) << third.error().to_string();
    EXPECT_GE(waited, std::chrono::milliseconds(100));

    auto all = reader->list_zones().value();
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[1].name, "second.nl.");
    EXPECT_EQ(writer.list_zones().value(), all);
}

TEST(KeyText, EveryValueRoundTrips)
{
    for (KeyRole role : { KeyRole::KSK, KeyRole::ZSK, KeyRole::CSK })
        EXPECT_EQ(key_role_from_text(key_role_to_text(role)), role);
    for (KeyGoal goal : { KeyGoal::Present, KeyGoal::Absent })
        EXPECT_EQ(key_goal_from_text(key_goal_to_text(goal)), goal);
    for (RecordState state : { RecordState::NotApplicable, RecordState::Hidden, RecordState::Rumoured,
                                RecordState::Omnipresent, RecordState::Unretentive })
        EXPECT_EQ(record_state_from_text(record_state_to_text(state)), state);
    for (DsAtParent ds : { DsAtParent::Unsubmitted, DsAtParent::Submit, DsAtParent::Submitted, DsAtParent::Seen,
                           DsAtParent::Retract, DsAtParent::Retracted })
        EXPECT_EQ(ds_at_parent_from_text(ds_at_parent_to_text(ds)), ds);

    EXPECT_EQ(key_role_to_text(KeyRole::KSK), "ksk");
    EXPECT_EQ(record_state_to_text(RecordState::NotApplicable), "na");
    EXPECT_EQ(ds_at_parent_to_text(DsAtParent::Seen), "seen");
    EXPECT_EQ(key_role_from_text("CSK"), KeyRole::CSK);
    EXPECT_EQ(record_state_from_text("Omnipresent"), RecordState::Omnipresent);
    EXPECT_EQ(key_role_from_text("ks"), std::nullopt);
    EXPECT_EQ(key_goal_from_text(""), std::nullopt);
    EXPECT_EQ(ds_at_parent_from_text("submittedx"), std::nullopt);
}

} // namespace
} // namespace signet::enforcer::keydb_test
