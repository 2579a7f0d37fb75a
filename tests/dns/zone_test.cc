#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <signet/dns/zone.h>
#include <signet/dns/zone_writer.h>

namespace signet::dns {
namespace {

const Name& example()
{
    static const Name origin = *Name::from_text("example.");
    return origin;
}

Zone load(std::string_view text, Diagnostics& diag)
{
    auto zone = load_zone_text(text, example(), diag);
    EXPECT_TRUE(zone) << (zone ? "" : zone.error().to_string());
    return zone ? std::move(*zone) : Zone();
}

Zone load(std::string_view text)
{
    Diagnostics diag;
    return load(text, diag);
}

constexpr std::string_view head = "$TTL 300\n@ SOA ns hostmaster 1 7200 3600 1209600 300\n  NS ns\nns A 192.0.2.1\n";

TEST(Reader, OwnerInheritanceParenthesesCommentsAndQuotes)
{
    Zone zone = load(std::string(head) + R"(
www  3600 IN A 192.0.2.2 ; comment
     IN 60 AAAA 2001:db8::2
txt  TXT ( "a ; not a comment" "b\"c"
           plain ) ; the entry ends here
mail MX ( 10
          www )
)");
    EXPECT_EQ(zone.find(*Name::from_text("www.example."), RRType::A)->ttl, 3600u);
    EXPECT_EQ(zone.find(*Name::from_text("www.example."), RRType::AAAA)->ttl, 60u);
    const RRset* txt = zone.find(*Name::from_text("txt.example."), RRType::TXT);
    ASSERT_TRUE(txt);
    EXPECT_EQ(rdata_to_text(RRType::TXT, txt->rdatas[0]), R"("a ; not a comment" "b\"c" "plain")");
    const RRset* mx = zone.find(*Name::from_text("mail.example."), RRType::MX);
    ASSERT_TRUE(mx);
    EXPECT_EQ(rdata_to_text(RRType::MX, mx->rdatas[0]), "10 www.example.");
}

TEST(Reader, TtlUnitsAndClassBeforeTtl)
{
    EXPECT_EQ(parse_ttl("1w2d3h4m5s").value(), 7u * 86400 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5);
    EXPECT_EQ(parse_ttl("1H").value(), 3600u);
    EXPECT_EQ(parse_ttl("2147483647").value(), 2147483647u);
    EXPECT_FALSE(parse_ttl("2147483648"));
    EXPECT_FALSE(parse_ttl("1h30"));
    EXPECT_FALSE(parse_ttl("h"));
    EXPECT_FALSE(parse_ttl("1y"));
    Zone zone = load(std::string(head) + "a IN 1d A 192.0.2.9\n");
    EXPECT_EQ(zone.find(*Name::from_text("a.example."), RRType::A)->ttl, 86400u);
}

TEST(Reader, OriginDirectiveAndAbsoluteNames)
{
    Zone zone = load(std::string(head) + "$ORIGIN sub\nwww A 192.0.2.5\n$ORIGIN example.\nback A 192.0.2.6\n");
    EXPECT_TRUE(zone.find(*Name::from_text("www.sub.example."), RRType::A));
    EXPECT_TRUE(zone.find(*Name::from_text("back.example."), RRType::A));
}

TEST(Reader, GenerateExpandsRangesAndModifiers)
{
    Zone zone = load(std::string(head) + "$GENERATE 1-10/3 host$ A 10.0.0.$\n"
                                         "$GENERATE 10-11 ${-10,3,d}.d CNAME host${0,2,x}\n"
                                         "$GENERATE 255-255 ${0,4,n}.rev PTR x\\$y\n");
    for (int i : { 1, 4, 7, 10 }) {
        const RRset* a = zone.find(*Name::from_text("host" + std::to_string(i) + ".example."), RRType::A);
        ASSERT_TRUE(a) << i;
        EXPECT_EQ(rdata_to_text(RRType::A, a->rdatas[0]), "10.0.0." + std::to_string(i));
    }
    EXPECT_FALSE(zone.find(*Name::from_text("host2.example."), RRType::A));
    const RRset* c = zone.find(*Name::from_text("001.d.example."), RRType::CNAME);
    ASSERT_TRUE(c);
    EXPECT_EQ(rdata_to_text(RRType::CNAME, c->rdatas[0]), "host0b.example.");
    const RRset* ptr = zone.find(*Name::from_text("f.f.0.0.rev.example."), RRType::PTR);
    ASSERT_TRUE(ptr);
    EXPECT_EQ(rdata_to_text(RRType::PTR, ptr->rdatas[0]), "x\\$y.example.");
}

TEST(Reader, IncludeIsRelativeToTheIncludingFileAndRestoresOrigin)
{
    Diagnostics diag;
    auto zone = load_zone_file(std::filesystem::path(SIGNET_TEST_DATA) / "zones/include/main.zone", example(), diag);
    ASSERT_TRUE(zone) << zone.error().to_string();
    EXPECT_TRUE(zone->find(*Name::from_text("www.sub.example."), RRType::A));
    EXPECT_TRUE(zone->find(*Name::from_text("after.example."), RRType::A));
    EXPECT_EQ(diag.files.size(), 2u);
}

TEST(Reader, MissingTtlFallsBackWithOneWarning)
{
    Diagnostics diag;
    Zone zone = load("@ SOA ns hostmaster 1 7200 3600 1209600 600\n  NS ns\nns 120 A 192.0.2.1\nx A 192.0.2.2\n", diag);
    // RFC 2308 §4: without $TTL the SOA gets its MINIMUM; later records reuse
    // the last explicit TTL (RFC 1035 §5.1).
    EXPECT_EQ(zone.soa().ttl, 600u);
    EXPECT_EQ(zone.find(*Name::from_text("x.example."), RRType::A)->ttl, 120u);
    ASSERT_EQ(diag.warnings.size(), 1u);
    EXPECT_NE(diag.warnings[0].message().find("no $TTL"), std::string::npos);
    EXPECT_EQ(diag.warnings[0].where()->line, 1u);
}

TEST(Zone, MergesDuplicatesAndReportsDifferingTtls)
{
    Diagnostics diag;
    Zone zone = load(std::string(head) + "www 100 A 192.0.2.7\nwww 200 A 192.0.2.8\nwww 100 A 192.0.2.7\n"
                                         "WWW 100 A 192.0.2.7\n",
                     diag);
    const RRset* a = zone.find(*Name::from_text("www.example."), RRType::A);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->rdatas.size(), 2u);
    EXPECT_EQ(a->ttl, 100u); // the first one in the file, as BIND does
    ASSERT_EQ(diag.warnings.size(), 3u); // one TTL, two duplicates
    EXPECT_EQ(diag.warnings[0].where()->line, 6u);
    EXPECT_NE(diag.warnings[0].message().find("RFC 2181"), std::string::npos);
}

TEST(Zone, CanonicalRdataOrderLowercasesOnlyListedTypes)
{
    // RFC 4034 §6.3: MX exchange names compare lower-cased, so "B" and "b"
    // are one record; NSEC's next name is not lower-cased (RFC 6840 §5.1).
    Diagnostics diag;
    Zone zone = load(std::string(head) + "m MX 10 B.example.\nm MX 10 b.example.\nm MX 5 c.example.\n"
                                         "n NSEC A.example. A\nn NSEC a.example. A\n",
                     diag);
    EXPECT_EQ(zone.find(*Name::from_text("m.example."), RRType::MX)->rdatas.size(), 2u);
    const RRset* nsec = zone.find(*Name::from_text("n.example."), RRType::NSEC);
    ASSERT_EQ(nsec->rdatas.size(), 2u);
    EXPECT_EQ(rdata_to_text(RRType::NSEC, nsec->rdatas[0]), "A.example. A");
}

TEST(Zone, Rfc5155AppendixAStructure)
{
    Diagnostics diag;
    auto zone = load_zone_file(std::filesystem::path(SIGNET_TEST_DATA) / "zones/rfc5155-example.zone", example(), diag);
    ASSERT_TRUE(zone) << zone.error().to_string();
    EXPECT_TRUE(diag.warnings.empty());
    std::vector<std::string> cuts;
    for (const auto& cut : zone->cuts())
        cuts.push_back(cut.to_text());
    EXPECT_EQ(cuts, (std::vector<std::string> { "a.example.", "c.example." }));
    std::vector<std::string> ents;
    for (const auto& name : zone->empty_non_terminals())
        ents.push_back(name.to_text());
    EXPECT_EQ(ents, (std::vector<std::string> { "w.example.", "y.w.example." }));
    size_t glue = 0;
    for (size_t i = 0; i < zone->rrsets().size(); ++i) {
        const auto& rrset = zone->rrsets()[i];
        if (zone->role(i) == Role::Glue)
            ++glue;
        if (rrset.owner == *Name::from_text("a.example.") && rrset.type == RRType::DS) {
            EXPECT_EQ(zone->role(i), Role::Authoritative);
        }
        if (rrset.owner == *Name::from_text("a.example.") && rrset.type == RRType::NS) {
            EXPECT_EQ(zone->role(i), Role::Delegation);
        }
    }
    EXPECT_EQ(glue, 4u);
    EXPECT_EQ(zone->serial(), 1u);
    EXPECT_EQ(zone->record_count(), 24u);
}

TEST(Zone, DataBelowCutsAndDnamesIsOccluded)
{
    Diagnostics diag;
    Zone zone = load(std::string(head) + "d NS ns.d\nd MX 10 mx\nns.d A 192.0.2.3\ntxt.d TXT x\n"
                                         "r DNAME elsewhere.net.\nx.r A 192.0.2.4\n",
                     diag);
    auto role_of = [&](std::string_view owner, RRType type) {
        for (size_t i = 0; i < zone.rrsets().size(); ++i) {
            if (zone.rrsets()[i].owner == *Name::from_text(owner) && zone.rrsets()[i].type == type)
                return zone.role(i);
        }
        ADD_FAILURE() << owner;
        return Role::Authoritative;
    };
    EXPECT_EQ(role_of("d.example.", RRType::NS), Role::Delegation);
    EXPECT_EQ(role_of("d.example.", RRType::MX), Role::Occluded);
    EXPECT_EQ(role_of("ns.d.example.", RRType::A), Role::Glue);
    EXPECT_EQ(role_of("txt.d.example.", RRType::TXT), Role::Occluded);
    EXPECT_EQ(role_of("r.example.", RRType::DNAME), Role::Authoritative);
    EXPECT_EQ(role_of("x.r.example.", RRType::A), Role::Occluded);
    EXPECT_EQ(diag.warnings.size(), 3u);
}

TEST(Writer, CanonicalOrderAbsoluteNamesOneRecordPerLine)
{
    Zone zone = load("$TTL 300\n@ SOA ns hostmaster 1 7200 3600 1209600 300\n  NS ns\nZ.a A 192.0.2.3\n"
                     "b A 192.0.2.2\na A 192.0.2.1\n*.z A 192.0.2.4\nns A 192.0.2.5\n\\001.z TXT x\n");
    EXPECT_EQ(zone_to_text(zone),
              "example. 300 IN NS ns.example.\n"
              "example. 300 IN SOA ns.example. hostmaster.example. 1 7200 3600 1209600 300\n"
              "a.example. 300 IN A 192.0.2.1\n"
              "Z.a.example. 300 IN A 192.0.2.3\n"
              "b.example. 300 IN A 192.0.2.2\n"
              "ns.example. 300 IN A 192.0.2.5\n"
              "\\001.z.example. 300 IN TXT \"x\"\n"
              "*.z.example. 300 IN A 192.0.2.4\n");
}

TEST(Writer, OutputReadsBackIdentically)
{
    Diagnostics diag;
    auto zone = load_zone_file(std::filesystem::path(SIGNET_TEST_DATA) / "zones/rfc5155-example.zone", example(), diag);
    ASSERT_TRUE(zone);
    std::string first = zone_to_text(*zone);
    Zone again = load(first);
    EXPECT_EQ(zone_to_text(again), first);
}

// The malformed corpus: every file names the line, column and message of
// the first error it must produce.
TEST(Reader, MalformedCorpusFailsAtThePinnedPlace)
{
    auto dir = std::filesystem::path(SIGNET_TEST_DATA) / "zones/bad";
    size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        ++files;
        std::ifstream in(entry.path());
        std::string first_line;
        std::getline(in, first_line);
        unsigned line = 0, column = 0;
        int consumed = 0;
        ASSERT_EQ(std::sscanf(first_line.c_str(), "; expect %u:%u %n", &line, &column, &consumed), 2)
            << entry.path();
        std::string message = first_line.substr(static_cast<size_t>(consumed));
        Diagnostics diag;
        auto zone = load_zone_file(entry.path(), example(), diag);
        ASSERT_FALSE(zone) << entry.path() << " was accepted";
        const Error& error = diag.errors.front();
        SCOPED_TRACE(entry.path().filename().string() + ": " + error.to_string());
        ASSERT_TRUE(error.where());
        EXPECT_EQ(error.where()->line, line);
        if (column != 0) {
            EXPECT_EQ(error.where()->column, column);
        }
        EXPECT_NE(error.to_string().find(message), std::string::npos);
        if (line != 0) {
            EXPECT_EQ(error.where()->file, entry.path().string());
        }
    }
    EXPECT_GE(files, 20u);
}

TEST(Reader, StopsAfterTheFirstFewErrors)
{
    std::string text(head);
    for (int i = 0; i < 50; ++i)
        text += "bad" + std::to_string(i) + " A 999.0.0.1\n";
    Diagnostics diag;
    EXPECT_FALSE(load_zone_text(text, example(), diag));
    EXPECT_EQ(diag.errors.size(), diag.max_errors);
    EXPECT_EQ(diag.errors[0].where()->line, 5u);
    EXPECT_EQ(diag.errors[1].where()->line, 6u);
}

} // namespace
} // namespace signet::dns
