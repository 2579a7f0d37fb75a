#include <gtest/gtest.h>

#include <random>

#include <signet/dns/zone.h>
#include <signet/dns/zone_assembler.h>
#include <signet/dns/zone_snapshot.h>
#include <signet/dns/zone_writer.h>

namespace signet::dns::zone_snapshot_test {
namespace {

Name name(std::string_view text) { return *Name::from_text(text); }

Zone load(std::string_view text)
{
    Diagnostics diag;
    auto zone = load_zone_text(text, name("example."), diag);
    EXPECT_TRUE(zone) << (zone ? "" : zone.error().to_string());
    return std::move(*zone);
}

const std::string text = R"($ORIGIN example.
$TTL 3600
@ SOA ns1 hostmaster 7 7200 3600 1209600 300
@ NS ns1
ns1 A 192.0.2.1
www A 192.0.2.10
www A 192.0.2.11
www TXT "hello" "world"
*.w MX 10 mail
sub NS ns.sub
ns.sub A 192.0.2.30
)";

std::string snapshot(const Zone& zone) { return *ZoneSnapshot::to_bytes(zone); }

Result<Zone> read(std::string_view bytes, const Name& origin = name("example.")) { return ZoneSnapshot::read(bytes, origin); }

// What the model promises of any zone: RRsets in canonical order, each one
// found where it is, owners counted right.
void expect_invariants(const Zone& zone)
{
    size_t owners = 0, records = 0;
    for (size_t i = 0; i < zone.size(); ++i) {
        if (i > 0) {
            EXPECT_TRUE(compare_rrsets(zone[i - 1], zone[i]) < 0);
        }
        auto found = zone.find(zone[i].owner(), zone[i].type(), zone[i].covers());
        ASSERT_TRUE(found);
        EXPECT_EQ(found->index(), i);
        owners += i == 0 || zone[i - 1].owner() != zone[i].owner();
        records += zone[i].size();
    }
    EXPECT_EQ(zone.owner_count(), owners);
    EXPECT_EQ(zone.record_count(), records);
}

TEST(ZoneSnapshot, RoundTripKeepsEveryRecordRoleAndLookup)
{
    Zone zone = load(text);
    auto back = read(snapshot(zone));
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(zone_to_text(*back), zone_to_text(zone));
    EXPECT_EQ(back->serial(), 7u);
    EXPECT_EQ(back->record_count(), zone.record_count());
    EXPECT_EQ(back->owner_count(), zone.owner_count());
    for (size_t i = 0; i < zone.size(); ++i)
        EXPECT_EQ((*back)[i].role(), zone[i].role());
    EXPECT_TRUE(back->find(name("www.example."), RRType::TXT));
    EXPECT_EQ(back->owner_end(back->lower_bound(name("www.example."))) - back->lower_bound(name("www.example.")), 2u);
}

TEST(ZoneSnapshot, AZoneWithoutSoaRoundTrips)
{
    ZoneAssembler assembler(name("example."));
    assembler.begin_rrset(name("a.example."), RRType::A, 0, 300, Role::Authoritative);
    assembler.add_rdata(std::string("\xc0\x00\x02\x01", 4));
    Zone zone = *std::move(assembler).finish();
    auto back = read(snapshot(zone));
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(zone_to_text(*back), "a.example. 300 IN A 192.0.2.1\n");
}

TEST(ZoneSnapshot, DamageIsAnErrorNeverACrash)
{
    const std::string good = snapshot(load(text));
    EXPECT_FALSE(read(good, name("other.")));
    for (size_t cut : { size_t(0), size_t(10), good.size() / 2, good.size() - 1 })
        EXPECT_FALSE(read(good.substr(0, cut))) << "cut at " << cut;
    // A changed byte is refused or read into a zone that keeps the model's
    // invariants (a changed address or TTL reads fine: the state file's
    // SHA-256 catches that); none crashes (run under the sanitizers).
    std::mt19937 random(7);
    size_t refused = 0;
    for (size_t i = 0; i < 3000; ++i) {
        std::string bad = good;
        bad[random() % bad.size()] = static_cast<char>(random());
        if (auto zone = read(bad)) {
            expect_invariants(*zone);
            (void)zone_to_text(*zone);
        } else {
            ++refused;
        }
    }
    EXPECT_GT(refused, 100u);
}

TEST(ZoneAssembler, RefusesRRsetsOutOfOrder)
{
    ZoneAssembler assembler(name("example."));
    assembler.begin_rrset(name("b.example."), RRType::A, 0, 300, Role::Authoritative);
    assembler.add_rdata(std::string("\xc0\x00\x02\x01", 4));
    assembler.begin_rrset(name("a.example."), RRType::A, 0, 300, Role::Authoritative);
    assembler.add_rdata(std::string("\xc0\x00\x02\x02", 4));
    EXPECT_FALSE(std::move(assembler).finish());

    // One owner: types in order, RRSIGs by the type they cover; an RRset
    // with no record is refused too.
    ZoneAssembler types(name("example."));
    types.begin_rrset(name("a.example."), RRType::TXT, 0, 300, Role::Authoritative);
    types.add_rdata("\x01x");
    types.begin_rrset(name("A.example."), RRType::A, 0, 300, Role::Authoritative);
    types.add_rdata(std::string("\xc0\x00\x02\x01", 4));
    EXPECT_FALSE(std::move(types).finish());
    ZoneAssembler empty(name("example."));
    empty.begin_rrset(name("a.example."), RRType::A, 0, 300, Role::Authoritative);
    EXPECT_FALSE(std::move(empty).finish());
    ZoneAssembler good(name("example."));
    good.begin_rrset(name("a.example."), RRType::A, 0, 300, Role::Authoritative);
    good.add_rdata(std::string("\xc0\x00\x02\x01", 4));
    good.begin_rrset(name("A.example."), RRType::RRSIG, 1, 300, Role::Authoritative);
    good.add_rdata("\x00\x01");
    good.begin_rrset(name("a.example."), RRType::RRSIG, 16, 300, Role::Authoritative);
    good.add_rdata("\x00\x10");
    auto zone = std::move(good).finish();
    ASSERT_TRUE(zone);
    EXPECT_EQ(zone->owner_count(), 1u); // one owner, whatever its case
}

} // namespace
} // namespace signet::dns::zone_snapshot_test
