#include <gtest/gtest.h>

#include <random>

#include <signet/dns/zone.h>
#include <signet/dns/zone_assembler.h>
#include <signet/dns/zone_snapshot.h>
#include <signet/dns/zone_writer.h>

namespace signet::dns {
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

std::string snapshot(const Zone& zone)
{
    std::string out;
    EXPECT_TRUE(ZoneSnapshot::write(zone, [&](std::string_view bytes) -> Result<void> {
        out += bytes;
        return {};
    }));
    return out;
}

Result<Zone> read(std::string_view bytes, const Name& origin = name("example."))
{
    size_t at = 0;
    return ZoneSnapshot::read(
        [&](char* into, size_t size) -> Result<void> {
            if (size > bytes.size() - at)
                return fail(ErrorCode::Parse, "cut short");
            std::copy_n(bytes.data() + at, size, into);
            at += size;
            return {};
        },
        bytes.size(), origin);
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
    // Every single-byte change of the structure is caught or harmless; none
    // crashes (run under the sanitizers) or yields a zone that breaks its
    // invariants (canonical order, counts, names).
    std::mt19937 random(7);
    size_t refused = 0;
    for (size_t i = 0; i < 3000; ++i) {
        std::string bad = good;
        bad[random() % bad.size()] = static_cast<char>(random());
        if (auto zone = read(bad)) {
            std::string text = zone_to_text(*zone);
            EXPECT_EQ(zone->size() > 0, !text.empty());
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
}

} // namespace
} // namespace signet::dns
