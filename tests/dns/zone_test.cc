#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include <signet/dns/zone.h>
#include <signet/dns/zone_writer.h>

namespace signet::dns::zone_test {
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
    EXPECT_EQ(zone.find(*Name::from_text("www.example."), RRType::A)->ttl(), 3600u);
    EXPECT_EQ(zone.find(*Name::from_text("www.example."), RRType::AAAA)->ttl(), 60u);
    auto txt = zone.find(*Name::from_text("txt.example."), RRType::TXT);
    ASSERT_TRUE(txt);
    EXPECT_EQ(rdata_to_text(RRType::TXT, txt->rdata(0)), R"("a ; not a comment" "b\"c" "plain")");
    auto mx = zone.find(*Name::from_text("mail.example."), RRType::MX);
    ASSERT_TRUE(mx);
    EXPECT_EQ(rdata_to_text(RRType::MX, mx->rdata(0)), "10 www.example.");
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
    // Many large parts must not wrap the sum around to a small TTL: these
    // add up to 2^64 + 100 seconds, which a 64-bit sum would take for 100.
    std::string wrapping;
    for (int i = 0; i < 7101; ++i)
        wrapping += "4294967295w";
    wrapping += "2006143148w25316s";
    auto wrapped = parse_ttl(wrapping);
    ASSERT_FALSE(wrapped);
    EXPECT_NE(wrapped.error().message().find("exceeds 2147483647"), std::string::npos);
    EXPECT_EQ(parse_ttl("").error().message(), "empty TTL");
    EXPECT_EQ(parse_ttl("1h30").error().message(), "bad TTL '1h30': number without a unit after units");
    Zone zone = load(std::string(head) + "a IN 1d A 192.0.2.9\n");
    EXPECT_EQ(zone.find(*Name::from_text("a.example."), RRType::A)->ttl(), 86400u);
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
        auto a = zone.find(*Name::from_text("host" + std::to_string(i) + ".example."), RRType::A);
        ASSERT_TRUE(a) << i;
        EXPECT_EQ(rdata_to_text(RRType::A, a->rdata(0)), "10.0.0." + std::to_string(i));
    }
    EXPECT_FALSE(zone.find(*Name::from_text("host2.example."), RRType::A));
    auto c = zone.find(*Name::from_text("001.d.example."), RRType::CNAME);
    ASSERT_TRUE(c);
    EXPECT_EQ(rdata_to_text(RRType::CNAME, c->rdata(0)), "host0b.example.");
    auto ptr = zone.find(*Name::from_text("f.f.0.0.rev.example."), RRType::PTR);
    ASSERT_TRUE(ptr);
    EXPECT_EQ(rdata_to_text(RRType::PTR, ptr->rdata(0)), "x\\$y.example.");
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
    EXPECT_EQ(zone.soa().ttl(), 600u);
    EXPECT_EQ(zone.find(*Name::from_text("x.example."), RRType::A)->ttl(), 120u);
    ASSERT_EQ(diag.warnings.size(), 1u);
    EXPECT_NE(diag.warnings[0].message().find("no $TTL"), std::string::npos);
    EXPECT_EQ(diag.warnings[0].where()->line, 1u);
}

TEST(Reader, QuotedStringsEndAtTheFirstUnescapedQuote)
{
    Zone zone = load(std::string(head) + R"(a TXT "x\\" "y\"z" "\\\"" plain\;semi "" "tail"
)");
    auto txt = zone.find(*Name::from_text("a.example."), RRType::TXT);
    ASSERT_TRUE(txt);
    EXPECT_EQ(rdata_to_text(RRType::TXT, txt->rdata(0)), R"("x\\" "y\"z" "\\\"" "plain;semi" "" "tail")");
    Diagnostics diag;
    EXPECT_FALSE(load_zone_text(std::string(head) + "b TXT \"open \\\" still open\n", example(), diag));
    ASSERT_FALSE(diag.errors.empty());
    EXPECT_EQ(diag.errors[0].to_string(), "<text>:5:7: quoted string is not closed on this line");
}

TEST(Reader, FilesOfAnyLineLengthAndLineEnd)
{
    // The file is read in large blocks: lines cross block boundaries, one
    // line is longer than a block, lines end in CRLF, and the last has no
    // end at all.
    auto path = std::filesystem::temp_directory_path() / fmt::format("signet-lines-{}.zone", ::getpid());
    {
        std::ofstream out(path, std::ios::binary);
        out << head;
        out << "long TXT \"x\" ; " << std::string(3 << 20, 'c') << "\r\n";
        for (int i = 0; i < 40000; ++i)
            out << "host" << i << " A 10.0." << i / 256 % 256 << "." << i % 256 << "\r\n";
        out << "last TXT \"end\"";
    }
    Diagnostics diag;
    // Above the default limit on line length, to cross blocks.
    diag.max_line_length = 4 << 20;
    auto zone = load_zone_file(path, example(), diag);
    std::filesystem::remove(path);
    ASSERT_TRUE(zone) << zone.error().to_string();
    EXPECT_EQ(zone->record_count(), 3u + 1 + 40000 + 1);
    auto last = zone->find(*Name::from_text("last.example."), RRType::TXT);
    ASSERT_TRUE(last);
    EXPECT_EQ(rdata_to_text(RRType::TXT, last->rdata(0)), "\"end\"");
    EXPECT_TRUE(zone->find(*Name::from_text("host39999.example."), RRType::A));
}

TEST(Zone, MergesDuplicatesAndReportsDifferingTtls)
{
    Diagnostics diag;
    Zone zone = load(std::string(head) + "www 100 A 192.0.2.7\nwww 200 A 192.0.2.8\nwww 100 A 192.0.2.7\n"
                                         "WWW 100 A 192.0.2.7\n",
                     diag);
    auto a = zone.find(*Name::from_text("www.example."), RRType::A);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->size(), 2u);
    EXPECT_EQ(a->ttl(), 100u); // the first one in the file, as BIND does
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
    EXPECT_EQ(zone.find(*Name::from_text("m.example."), RRType::MX)->size(), 2u);
    auto nsec = zone.find(*Name::from_text("n.example."), RRType::NSEC);
    ASSERT_EQ(nsec->size(), 2u);
    EXPECT_EQ(rdata_to_text(RRType::NSEC, nsec->rdata(0)), "A.example. A");
}

TEST(Zone, Rfc5155AppendixAStructure)
{
    Diagnostics diag;
    auto zone = load_zone_file(std::filesystem::path(SIGNET_TEST_DATA) / "zones/rfc5155-example.zone", example(), diag);
    ASSERT_TRUE(zone) << zone.error().to_string();
    // Its DS is SHA-1 over an RSASHA1 key, as in 2008; RFC 8624 says no more.
    ASSERT_EQ(diag.warnings.size(), 1u);
    EXPECT_NE(diag.warnings[0].to_string().find(":9: DS 58470 5 1 of a.example. uses digest type 1 (SHA-1)"),
              std::string::npos)
        << diag.warnings[0].to_string();
    std::vector<std::string> cuts;
    for (const auto& cut : zone->cuts())
        cuts.push_back(cut.to_text());
    EXPECT_EQ(cuts, (std::vector<std::string> { "a.example.", "c.example." }));
    std::vector<std::string> ents;
    for (const auto& name : zone->empty_non_terminals())
        ents.push_back(name.to_text());
    EXPECT_EQ(ents, (std::vector<std::string> { "w.example.", "y.w.example." }));
    size_t glue = 0;
    for (RRsetView rrset : *zone) {
        if (rrset.role() == Role::Glue)
            ++glue;
        if (rrset.owner() == *Name::from_text("a.example.") && rrset.type() == RRType::DS) {
            EXPECT_EQ(rrset.role(), Role::Authoritative);
        }
        if (rrset.owner() == *Name::from_text("a.example.") && rrset.type() == RRType::NS) {
            EXPECT_EQ(rrset.role(), Role::Delegation);
        }
    }
    EXPECT_EQ(glue, 4u);
    EXPECT_EQ(zone->serial(), 1u);
    EXPECT_EQ(zone->record_count(), 25u);
}

TEST(Zone, DataBelowCutsAndDnamesIsOccluded)
{
    Diagnostics diag;
    Zone zone = load(std::string(head) + "d NS ns.d\nd MX 10 mx\nns.d A 192.0.2.3\ntxt.d TXT x\n"
                                         "r DNAME elsewhere.net.\nx.r A 192.0.2.4\n",
                     diag);
    auto role_of = [&](std::string_view owner, RRType type) {
        if (auto rrset = zone.find(*Name::from_text(owner), type))
            return rrset->role();
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

// With a DNAME at the apex every name below it is occluded, but for the
// zone's own NSEC3 chain at its hashed owners (as Knot writes such a zone).
TEST(Zone, AnApexDnameDoesNotOccludeTheNsec3Chain)
{
    Diagnostics diag;
    Zone zone = load(std::string(head) + "@ DNAME elsewhere.net.\nx A 192.0.2.4\n"
                                         "q04jkcevqvmu85r014c7dkba38o0ji5r NSEC3 1 0 0 - Q04JKCEVQVMU85R014C7DKBA38O0JI5R A\n"
                                         "q04jkcevqvmu85r014c7dkba38o0ji5r RRSIG NSEC3 13 2 300 1 0 1 example. AAAA\n",
                     diag);
    auto hashed = *Name::from_text("q04jkcevqvmu85r014c7dkba38o0ji5r.example.");
    ASSERT_TRUE(zone.find(hashed, RRType::NSEC3));
    EXPECT_EQ(zone.find(hashed, RRType::NSEC3)->role(), Role::Authoritative);
    EXPECT_EQ(zone.find(*Name::from_text("x.example."), RRType::A)->role(), Role::Occluded);
    size_t rrsigs = 0;
    for (size_t i = 0; i < zone.size(); ++i) {
        if (zone[i].owner() == hashed.view() && zone[i].type() == RRType::RRSIG) {
            EXPECT_EQ(zone[i].role(), Role::Authoritative);
            ++rrsigs;
        }
    }
    EXPECT_EQ(rrsigs, 1u);
    EXPECT_EQ(diag.warnings.size(), 2u); // the A records of x and ns, occluded
}

TEST(Zone, AnRRsetNoMessageCanCarryIsAnError)
{
    // Each RR of 250 octets of text takes 263 octets in an answer (2 for a
    // compressed owner, 10 for type, class, TTL and length, 1 for the string's
    // length); with the header and the question (29 octets for
    // big.example.), 249 fit in 65535 octets and 250 do not.
    auto rrset = [](std::string_view owner, int count) {
        std::string text;
        for (int i = 0; i < count; ++i)
            text += fmt::format("{} TXT \"{:03}{}\"\n", owner, i, std::string(247, 'x'));
        return text;
    };
    Diagnostics fits;
    load(std::string(head) + rrset("big", 249), fits);
    EXPECT_TRUE(fits.errors.empty());

    Diagnostics diag;
    EXPECT_FALSE(load_zone_text(std::string(head) + rrset("big", 250), example(), diag));
    ASSERT_EQ(diag.errors.size(), 1u);
    EXPECT_EQ(diag.errors[0].where()->line, 5u);
    EXPECT_NE(diag.errors[0].message().find("big.example. TXT (250 records) is too large for a DNS message: "
                                            "answering a query for it takes 65779"),
              std::string::npos)
        << diag.errors[0].message();
}

TEST(Zone, RulesReportEveryDefectOwnerByOwner)
{
    // Errors come owner by owner in canonical order, and within an owner
    // RRset by RRset, whatever the order of the file.
    Diagnostics diag;
    EXPECT_FALSE(load_zone_text("$TTL 300\n@ SOA ns hostmaster 1 2 3 4 5\n@ SOA ns hostmaster 2 2 3 4 5\n"
                                "www CNAME a\nwww CNAME b\nwww A 192.0.2.1\nleaf DS 1 13 2 "
                                "8C9A2C1B2F24AB1E6A9BC4B3A2D8A1E0F7C6B5A4938271605F4E3D2C1B0A9988\n"
                                "sub SOA ns hostmaster 1 2 3 4 5\nd DNAME a.\nd DNAME b.\n",
                                example(), diag));
    std::vector<std::string> errors;
    for (const auto& error : diag.errors)
        errors.push_back(fmt::format("{}: {}", error.where()->line, error.message()));
    EXPECT_EQ(errors, (std::vector<std::string> {
                          "2: more than one SOA record at the zone apex",
                          "9: more than one DNAME record at 'd.example.'",
                          "7: DS record at 'leaf.example.', which is not a delegation (no NS)",
                          "8: SOA record at 'sub.example.', which is not the zone apex 'example.'",
                          "4: more than one CNAME record at 'www.example.'",
                          "4: CNAME at 'www.example.' beside other data (A); RFC 1034 §3.6.2 forbids it",
                          "0: no SOA record at the zone apex 'example.'",
                      }));
}

// Warnings, not errors: the zone still loads and signs.
// An IPSECKEY without a public key is valid (RFC 4025 §2.6) and signs, but
// BIND 9.18 cannot load it: a warning, for each such record only.
TEST(Zone, WarnsOfAnIpseckeyBindCannotLoad)
{
    Diagnostics diag;
    Zone zone = load(std::string(head) + "a IPSECKEY 10 2 0 2001:db8::1\n"
                                         "b IPSECKEY 10 3 0 gw.example.\n"
                                         "c IPSECKEY 10 1 2 192.0.2.1 AQID\n"
                                         "d IPSECKEY 10 0 2 . AQID\n",
                     diag);
    ASSERT_EQ(diag.warnings.size(), 2u);
    EXPECT_NE(diag.warnings[0].message().find("IPSECKEY of a.example. has no public key"), std::string::npos)
        << diag.warnings[0].message();
    EXPECT_NE(diag.warnings[1].message().find("IPSECKEY of b.example. has no public key"), std::string::npos)
        << diag.warnings[1].message();
    EXPECT_EQ(diag.warnings[0].where()->line, 5u);
}

TEST(Zone, WarnsOfDeprecatedDsAndOfNsTargetsWithoutAddresses)
{
    Diagnostics diag;
    Zone zone = load(std::string(head)
                         + "sha1 NS ns.sha1\nns.sha1 A 192.0.2.2\n"
                           "sha1 DS 12345 13 1 0123456789ABCDEF0123456789ABCDEF01234567\n"
                           "sha1 DS 12345 13 2 8C9A2C1B2F24AB1E6A9BC4B3A2D8A1E0F7C6B5A4938271605F4E3D2C1B0A9988\n"
                           "old NS ns.elsewhere.net.\nold DS 555 5 2 8C9A2C1B2F24AB1E6A9BC4B3A2D8A1E0F7C6B5A4938271605F4E3D2C1B0A9988\n"
                           "lame NS ns.lame\nlame NS ns.example.\n@ NS missing\n",
                     diag);
    EXPECT_GT(zone.size(), 0u);
    std::vector<std::string> warnings;
    for (const auto& warning : diag.warnings)
        warnings.push_back(fmt::format("{}: {}", warning.where()->line, warning.message()));
    // The DS as each owner is met, in canonical order; the NS targets once
    // the whole zone is known. Each at the RRset's first record.
    EXPECT_EQ(warnings, (std::vector<std::string> {
                            "10: DS 555 5 2 of old.example. uses a SHA-1 key algorithm, which RFC 8624 §3.1 does not "
                            "recommend",
                            "7: DS 12345 13 1 of sha1.example. uses digest type 1 (SHA-1), which RFC 8624 §3.3 says "
                            "not to use: publish a SHA-256 DS (type 2)",
                            "3: NS missing.example. of example. is inside the zone but has no A or AAAA record in it: "
                            "resolvers cannot reach that server (glue required)",
                            "11: NS ns.lame.example. of lame.example. is inside the zone but has no A or AAAA record "
                            "in it: resolvers cannot reach that server (glue required)",
                        }));
}

Name name(std::string_view text) { return *Name::from_text(text, example()); }

std::string describe(RRsetView rrset)
{
    std::string out = rrset.owner().to_text() + " " + type_to_text(rrset.type());
    if (rrset.type() == RRType::RRSIG)
        out += "(" + type_to_text(static_cast<RRType>(rrset.covers())) + ")";
    return out + " x" + std::to_string(rrset.size());
}

TEST(Zone, RRsetViewsInCanonicalOrder)
{
    Zone zone = load(std::string(head) + "www A 192.0.2.9\nwww A 192.0.2.3\nwww TXT \"t\"\n"
                                         "www RRSIG TXT 13 2 300 20250101000000 20240101000000 1 example. AAAA\n"
                                         "www RRSIG A 13 2 300 20250101000000 20240101000000 1 example. AAAA\n"
                                         "WWW AAAA 2001:db8::1\n");
    std::vector<std::string> seen;
    for (RRsetView rrset : zone)
        seen.push_back(describe(rrset));
    EXPECT_EQ(seen, (std::vector<std::string> {
                        "example. NS x1", "example. SOA x1", "ns.example. A x1", "www.example. A x2",
                        "www.example. TXT x1", "www.example. AAAA x1", "www.example. RRSIG(A) x1",
                        "www.example. RRSIG(TXT) x1" }));
    EXPECT_EQ(zone.size(), 8u);
    EXPECT_EQ(zone.record_count(), 9u);
    EXPECT_EQ(zone.owner_count(), 3u);

    auto a = zone.find(name("www"), RRType::A);
    ASSERT_TRUE(a);
    EXPECT_EQ(zone.rrset(a->index()), *a);
    EXPECT_EQ(zone[a->index()].ttl(), 300u);
    EXPECT_EQ(a->role(), Role::Authoritative);
    // RFC 4034 §6.3 order, whatever the file's order.
    EXPECT_EQ(rdata_to_text(RRType::A, a->rdata(0)), "192.0.2.3");
    EXPECT_EQ(rdata_to_text(RRType::A, a->rdata(1)), "192.0.2.9");
    std::vector<std::string> texts;
    for (std::string_view rdata : a->rdatas())
        texts.push_back(rdata_to_text(RRType::A, rdata));
    EXPECT_EQ(texts, (std::vector<std::string> { "192.0.2.3", "192.0.2.9" }));

    // RRSIGs are one RRset per covered type.
    EXPECT_TRUE(zone.find(name("www"), RRType::RRSIG, static_cast<uint16_t>(RRType::A)));
    EXPECT_TRUE(zone.find(name("www"), RRType::RRSIG, static_cast<uint16_t>(RRType::TXT)));
    EXPECT_FALSE(zone.find(name("www"), RRType::RRSIG));
    EXPECT_FALSE(zone.find(name("www"), RRType::MX));
    EXPECT_EQ(zone.soa().type(), RRType::SOA);
    EXPECT_EQ(zone.serial(), 1u);
}

TEST(Zone, LowerBoundFindAndOwnerRange)
{
    Zone zone = load(std::string(head) + "b A 192.0.2.5\nb TXT x\nd.c A 192.0.2.6\n");
    EXPECT_EQ(zone.lower_bound(example()), 0u);
    EXPECT_EQ(zone.owner_end(0), 2u);
    size_t b = zone.lower_bound(name("B"));
    EXPECT_EQ(describe(zone.rrset(b)), "b.example. A x1");
    EXPECT_EQ(zone.owner_end(b), b + 2);
    EXPECT_EQ(zone.owner_end(b + 1), b + 2);
    EXPECT_EQ(zone.owner_begin(b + 1), b);
    EXPECT_EQ(zone.owner_begin(b), b);
    EXPECT_EQ(zone.owner_begin(1), 0u);
    // "c" owns nothing: its lower bound is where its subtree starts.
    EXPECT_EQ(describe(zone.rrset(zone.lower_bound(name("c")))), "d.c.example. A x1");
    EXPECT_FALSE(zone.find(name("c"), RRType::A));
    EXPECT_EQ(zone.lower_bound(name("zzz")), zone.size());
    EXPECT_TRUE(zone.find(name("B.EXAMPLE."), RRType::TXT));

    std::vector<std::string> owners;
    for (size_t i = 0; i < zone.size(); i = zone.owner_end(i))
        owners.push_back(zone.rrset(i).owner().to_text());
    EXPECT_EQ(owners, (std::vector<std::string> { "example.", "b.example.", "d.c.example.", "ns.example." }));
}

TEST(Zone, EachOwnerIsStoredOnce)
{
    Zone zone = load(std::string(head) + "Mixed A 192.0.2.5\nother A 192.0.2.6\nMIXED TXT x\nmixed AAAA ::1\n");
    auto a = zone.find(name("mixed"), RRType::A);
    auto txt = zone.find(name("mixed"), RRType::TXT);
    auto aaaa = zone.find(name("mixed"), RRType::AAAA);
    ASSERT_TRUE(a && txt && aaaa);
    EXPECT_EQ(a->owner().wire().data(), txt->owner().wire().data());
    EXPECT_EQ(a->owner().wire().data(), aaaa->owner().wire().data());
    // The first spelling in the file names the owner.
    EXPECT_EQ(aaaa->owner().to_text(), "Mixed.example.");
    EXPECT_EQ(zone.owner_count(), 4u);
}

TEST(Zone, NamesAndRdataSurviveMovingTheZone)
{
    Diagnostics diag;
    auto loaded = load_zone_text(std::string(head) + "www A 192.0.2.7\nx.y.z TXT t\n", example(), diag);
    ASSERT_TRUE(loaded);
    NameView owner = loaded->find(name("www"), RRType::A)->owner();
    std::string_view rdata = loaded->find(name("www"), RRType::A)->rdata(0);
    std::vector<NameView> ents = loaded->empty_non_terminals();
    Zone moved = std::move(*loaded);
    *loaded = Zone();
    EXPECT_EQ(owner.to_text(), "www.example.");
    EXPECT_EQ(rdata_to_text(RRType::A, rdata), "192.0.2.7");
    ASSERT_EQ(ents.size(), 2u);
    EXPECT_EQ(ents[0].to_text(), "z.example.");
    EXPECT_EQ(ents[1].to_text(), "y.z.example.");
    EXPECT_EQ(moved.find(owner, RRType::A)->rdata(0), rdata);
}

TEST(Zone, EmptyNonTerminalsAgreeWithWalkingEveryOwnersAncestors)
{
    // Deep and shared ancestors, mixed case, names below a cut and below
    // the apex directly: the one-pass walk must find what the slow way does.
    std::string text(head);
    text += "cut NS ns.elsewhere.\n";
    const char* labels[] = { "a", "B", "c", "cut", "x" };
    uint32_t seed = 12345;
    auto next = [&] { return seed = seed * 1103515245 + 12345, (seed >> 16) & 0x7fff; };
    for (int i = 0; i < 400; ++i) {
        std::string owner = labels[next() % 5];
        for (uint32_t depth = next() % 5; depth > 0; --depth)
            owner += std::string(".") + labels[next() % 5];
        text += owner + " TXT x\n";
    }
    Zone zone = load(text);
    std::vector<Name> owners;
    for (size_t i = 0; i < zone.size(); i = zone.owner_end(i))
        owners.push_back(Name(zone.rrset(i).owner()));
    std::vector<Name> expected;
    for (const Name& owner : owners) {
        for (Name up = owner.parent(); up != example() && up.is_subdomain_of(example()); up = up.parent()) {
            if (!std::binary_search(owners.begin(), owners.end(), up))
                expected.push_back(up);
        }
    }
    std::sort(expected.begin(), expected.end());
    expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
    std::vector<NameView> found = zone.empty_non_terminals();
    ASSERT_EQ(found.size(), expected.size());
    for (size_t i = 0; i < found.size(); ++i)
        EXPECT_EQ(found[i], expected[i]) << found[i].to_text() << " " << expected[i].to_text();
    EXPECT_GT(found.size(), 10u);
}

TEST(Zone, StorageCostsLittleBeyondTheWireBytes)
{
    std::string text(head);
    for (int i = 0; i < 20000; ++i)
        text += fmt::format("host{} A 10.{}.{}.1\nhost{} AAAA 2001:db8::{:x}\n", i, i / 256, i % 256, i, i);
    Zone zone = load(text);
    ASSERT_EQ(zone.size(), 40003u);
    size_t wire = 0;
    for (size_t i = 0; i < zone.size(); i = zone.owner_end(i))
        wire += zone.rrset(i).owner().wire().size();
    for (RRsetView rrset : zone) {
        for (std::string_view rdata : rrset.rdatas())
            wire += rdata.size();
    }
    // A 24-octet slot per RRset, a length octet per owner, two per RR.
    EXPECT_LE(zone.memory_usage(), wire + 24 * zone.size() + zone.owner_count() + 2 * zone.record_count() + 64);
}

TEST(Zone, ObsoleteTypesCompareTheirNamesCanonically)
{
    // AFSDB (RFC 1183) is on the RFC 4034 §6.2 list: records whose host
    // names differ only in case are one record.
    Diagnostics diag;
    Zone zone = load(std::string(head) + "x AFSDB \\# 7 0001 01 41 01 42 00\nx AFSDB \\# 7 0001 01 61 01 62 00\n"
                                         "x AFSDB \\# 7 0002 01 61 01 62 00\n",
                     diag);
    auto afsdb = zone.find(name("x"), static_cast<RRType>(18));
    ASSERT_TRUE(afsdb);
    EXPECT_EQ(afsdb->size(), 2u);
    ASSERT_EQ(diag.warnings.size(), 1u);
    EXPECT_NE(diag.warnings[0].message().find("duplicate record"), std::string::npos);
    EXPECT_EQ(diag.warnings[0].where()->line, 6u);
}

TEST(ZoneBuilder, CopiesRecordsGivenAsViews)
{
    // Records can come from anywhere, as views of buffers that are reused
    // right after add() returns.
    ZoneBuilder builder(example());
    Bytes buffer = *rdata_from_text(RRType::SOA, std::vector<Token> { { "ns" }, { "hostmaster" }, { "7" },
                                                                      { "1" }, { "2" }, { "3" }, { "4" } },
                                    example());
    builder.add(RecordView { example(), RRType::SOA, 300, buffer, 0, 1 });
    buffer = Name::from_text("ns.example.")->wire();
    builder.add(RecordView { example(), RRType::NS, 300, buffer, 0, 2 });
    Bytes owner = name("www").wire();
    buffer = std::string("\xc0\x00\x02\x01", 4);
    builder.add(RecordView { NameView::from_valid_wire(owner), RRType::A, 60, buffer, 0, 3 });
    buffer[3] = 2;
    owner[1] = 'W';
    builder.add(RecordView { NameView::from_valid_wire(owner), RRType::A, 60, buffer, 0, 4 });
    buffer.assign("\xc0\x00\x02\x01", 4);
    builder.add(RecordView { NameView::from_valid_wire(owner), RRType::A, 60, buffer, 0, 5 });
    EXPECT_EQ(builder.size(), 5u);
    Diagnostics diag;
    diag.files.push_back("api");
    auto zone = std::move(builder).build(diag);
    ASSERT_TRUE(zone) << zone.error().to_string();
    EXPECT_EQ(zone->serial(), 7u);
    auto a = zone->find(name("www"), RRType::A);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->owner().to_text(), "www.example.");
    ASSERT_EQ(a->size(), 2u);
    EXPECT_EQ(rdata_to_text(RRType::A, a->rdata(1)), "192.0.2.2");
    ASSERT_EQ(diag.warnings.size(), 2u);
    EXPECT_EQ(diag.warnings[0].to_string(), "api:5: duplicate record in www.example. A ignored");
    EXPECT_EQ(diag.warnings[1].to_string(), "api:2: NS ns.example. of example. is inside the zone but has no A or "
                                            "AAAA record in it: resolvers cannot reach that server (glue required)");
}

// The SOA opens the file (RFC 1035 §5.2), its signatures after it; the
// rest of the apex and every other owner follow in canonical order.
TEST(Writer, SoaFirstThenCanonicalOrderAbsoluteNamesOneRecordPerLine)
{
    Zone zone = load("$TTL 300\n@ SOA ns hostmaster 1 7200 3600 1209600 300\n  NS ns\nZ.a A 192.0.2.3\n"
                     "b A 192.0.2.2\na A 192.0.2.1\n*.z A 192.0.2.4\nns A 192.0.2.5\n\\001.z TXT x\n"
                     "@ RRSIG NS 13 1 300 20300101000000 20200101000000 1 example. AAAA\n"
                     "@ RRSIG SOA 13 1 300 20300101000000 20200101000000 1 example. AAAA\n");
    EXPECT_EQ(zone_to_text(zone),
              "example. 300 IN SOA ns.example. hostmaster.example. 1 7200 3600 1209600 300\n"
              "example. 300 IN RRSIG SOA 13 1 300 20300101000000 20200101000000 1 example. AAAA\n"
              "example. 300 IN NS ns.example.\n"
              "example. 300 IN RRSIG NS 13 1 300 20300101000000 20200101000000 1 example. AAAA\n"
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

TEST(Writer, ManyThreadsWriteTheSameTextInOrder)
{
    // More RRsets than one round of blocks on three threads, of varied
    // length, so that blocks finish out of order.
    std::string text = "$TTL 300\n@ SOA ns hostmaster 1 7200 3600 1209600 300\n  NS ns\nns A 192.0.2.1\n";
    for (int i = 0; i < 20000; ++i) {
        text += fmt::format("h{} A 192.0.2.{}\n", i, i % 250);
        if (i % 7 == 0)
            text += fmt::format("h{} TXT \"{}\"\n", i, std::string(static_cast<size_t>(i % 200), 'x'));
        if (i % 3 == 0)
            text += fmt::format("h{} MX 10 ns\n", i);
    }
    Zone zone = load(text);
    ASSERT_GT(zone.size(), 3u * 4096u * 2u);
    const std::string serial = zone_to_text(zone);
    for (unsigned threads : { 2u, 3u }) {
        std::string parallel;
        size_t chunks = 0;
        ASSERT_TRUE(write_zone_text(
            zone,
            [&](std::string_view chunk) -> Result<void> {
                parallel += chunk;
                ++chunks;
                return {};
            },
            threads));
        EXPECT_EQ(parallel, serial) << threads << " threads";
        EXPECT_GT(chunks, threads);
    }
    // A sink that fails stops the writing with its error.
    size_t calls = 0;
    auto failed = write_zone_text(
        zone,
        [&](std::string_view) -> Result<void> {
            if (++calls == 2)
                return fail(ErrorCode::Io, "disk full");
            return {};
        },
        2);
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().message(), "disk full");
    EXPECT_EQ(calls, 2u);
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
} // namespace signet::dns::zone_test
