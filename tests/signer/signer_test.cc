#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include <fmt/format.h>

#include <signet/crypto/dnssec.h>
#include <signet/dns/rdata.h>
#include <signet/dns/zone.h>
#include <signet/dns/zone_writer.h>
#include <signet/signer/signer.h>
#include <signet/signer/verify.h>

#include "../fixtures/softhsm.h"

namespace signet::signer::signer_test {
namespace {

using dns::Name;
using dns::RRType;

Name name(std::string_view text) { return *Name::from_text(text); }

TEST(Serial, Rfc1982Arithmetic)
{
    EXPECT_TRUE(serial_greater(2, 1));
    EXPECT_FALSE(serial_greater(1, 1));
    EXPECT_TRUE(serial_greater(0, 0xffffffffu)); // wraps
    EXPECT_FALSE(serial_greater(0x80000001u, 1)); // 2^31 apart: undefined, not greater
    EXPECT_TRUE(serial_greater(0x7fffffffu, 0));
}

TEST(Serial, Policies)
{
    const int64_t now = 1795435200; // 2026-11-23T00:00:00Z... as Unix time
    EXPECT_EQ(next_serial(SerialMode::Keep, 7, std::nullopt, now), 7u);
    EXPECT_EQ(next_serial(SerialMode::Keep, 7, 9u, now), 10u); // never backwards
    EXPECT_EQ(next_serial(SerialMode::Counter, 7, 41u, now), 42u);
    EXPECT_EQ(next_serial(SerialMode::Counter, 7, std::nullopt, now), 7u);
    EXPECT_EQ(next_serial(SerialMode::Unixtime, 7, std::nullopt, now), static_cast<uint32_t>(now));
    EXPECT_EQ(next_serial(SerialMode::Unixtime, 7, static_cast<uint32_t>(now), now), static_cast<uint32_t>(now) + 1);
    auto date = next_serial(SerialMode::Datecounter, 7, std::nullopt, now);
    EXPECT_EQ(date / 100, 20261120u + (date / 100) % 100 - 20); // YYYYMMDD00
    EXPECT_EQ(date % 100, 0u);
    EXPECT_EQ(next_serial(SerialMode::Datecounter, 7, date, now), date + 1);
    EXPECT_EQ(next_serial(SerialMode::Counter, 0, 0xffffffffu, now), 0u); // RFC 1982 wrap
    // The clock is behind a YYYYMMDDnn input serial: never go below it.
    EXPECT_EQ(next_serial(SerialMode::Unixtime, 2026112301, std::nullopt, now), 2026112301u);
    EXPECT_EQ(next_serial(SerialMode::Unixtime, 2026112301, 2026112301u, now), 2026112302u);
}

struct Signed {
    std::string text;
    SigningStats stats;
};

struct Keys {
    PlannedKey ksk, zsk;
};

Keys make_keys(crypto::Algorithm algorithm)
{
    auto& store = *signet::testing::test_token().store;
    Keys keys;
    for (auto* key : { &keys.ksk, &keys.zsk }) {
        bool ksk = key == &keys.ksk;
        key->algorithm = algorithm;
        auto generated = store.generate(algorithm, 2048, ksk ? "ksk" : "zsk");
        key->locator = generated->locator;
        key->dnskey = crypto::make_dnskey_rdata(ksk ? 257 : 256, algorithm, generated->public_key);
        key->signs_keyset = ksk;
        key->signs_zone = !ksk;
    }
    return keys;
}

const TimePoint now = TimePoint(std::chrono::seconds(1795435200));

Signed sign_text(std::string_view zone_text, const Name& origin, const SigningPlan& plan)
{
    dns::Diagnostics diag;
    auto zone = dns::load_zone_text(zone_text, origin, diag);
    EXPECT_TRUE(zone) << (zone ? "" : zone.error().to_string());
    Signed out;
    auto version = sign(*zone, nullptr, plan, *signet::testing::test_token().store, now);
    EXPECT_TRUE(version) << (version ? "" : version.error().to_string());
    if (version) {
        out.text = dns::zone_to_text(version->zone);
        out.stats = version->stats;
    }
    return out;
}

dns::Zone reload(const Signed& result, const Name& origin)
{
    dns::Diagnostics diag;
    auto zone = dns::load_zone_text(result.text, origin, diag);
    EXPECT_TRUE(zone) << (zone ? "" : zone.error().to_string());
    return std::move(*zone);
}

std::string rfc5155_zone()
{
    std::ifstream in(std::string(SIGNET_TEST_DATA) + "/zones/rfc5155-example.zone");
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

// The RFC 5155 Appendix A zone with its own parameters (opt-out, salt
// AABBCCDD, 12 iterations) gets the NSEC3 owners the RFC's signed zone has.
TEST(Signer, Rfc5155ZoneGetsTheRfcNsec3Chain)
{
    Keys keys = make_keys(crypto::Algorithm::ECDSAP256SHA256);
    SigningPlan plan;
    plan.keys = { keys.ksk, keys.zsk };
    plan.nsec3 = Nsec3Params { 12, "\xaa\xbb\xcc\xdd", true };
    plan.serial = SerialMode::Keep;
    Signed result = sign_text(rfc5155_zone(), name("example."), plan);
    dns::Zone zone = reload(result, name("example."));

    std::set<std::string> owners;
    for (dns::RRsetView rrset : zone) {
        if (rrset.type() == RRType::NSEC3)
            owners.insert(std::string(rrset.owner().first_label()));
    }
    std::set<std::string> expected { "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom", "2t7b4g4vsa5smi47k61mv5bv1a22bojr",
                                     "2vptu5timamqttgl4luu9kg21e0aor3s", "35mthgpgcu1qg68fab165klnsnk3dpvl",
                                     "b4um86eghhds6nea196smvmlo4ors995", "gjeqe526plbf1g8mklp59enfd789njgi",
                                     "ji6neoaepv8b5o6k4ev33abha8ht9fgc", "k8udemvp1j2f7eg6jebps17vp3n8i58h",
                                     "kohar7mbb8dc2ce8a9qvl8hon4k53uhi", "q04jkcevqvmu85r014c7dkba38o0ji5r",
                                     "r53bq7cc2uvmubfu5ocmm6pers9tk9en", "t644ebqk9bibcna874givr6joj62mlhv" };
    EXPECT_EQ(owners, expected);
    EXPECT_EQ(result.stats.denial_records, expected.size());
    EXPECT_EQ(result.stats.serial, 1u);

    auto report = verify_zone(zone, now);
    EXPECT_TRUE(report.ok()) << (report.errors.empty() ? "" : report.errors.front());
    EXPECT_EQ(report.denial, "NSEC3");
    EXPECT_GT(report.signatures_checked, 20u);
}

TEST(Signer, NsecZoneVerifiesAndNothingIsSignedThatMustNotBe)
{
    Keys keys = make_keys(crypto::Algorithm::ED25519);
    SigningPlan plan;
    plan.keys = { keys.ksk, keys.zsk };
    plan.last_serial = 100;
    plan.serial = SerialMode::Counter;
    Signed result = sign_text(rfc5155_zone(), name("example."), plan);
    EXPECT_EQ(result.stats.serial, 101u);
    dns::Zone zone = reload(result, name("example."));
    auto report = verify_zone(zone, now);
    EXPECT_TRUE(report.ok()) << (report.errors.empty() ? "" : report.errors.front());
    EXPECT_EQ(report.denial, "NSEC");
    // Glue and delegation NS are not signed; the DS at a.example is.
    EXPECT_FALSE(zone.find(name("ns1.a.example."), RRType::RRSIG, static_cast<uint16_t>(RRType::A)));
    EXPECT_FALSE(zone.find(name("c.example."), RRType::RRSIG, static_cast<uint16_t>(RRType::NS)));
    EXPECT_TRUE(zone.find(name("a.example."), RRType::RRSIG, static_cast<uint16_t>(RRType::DS)));
    // The DNSKEY RRset is signed by the KSK only, the rest by the ZSK only.
    auto tag_of = [](std::optional<dns::RRsetView> rrsigs) {
        std::set<uint16_t> tags;
        for (std::string_view rdata : rrsigs->rdatas())
            tags.insert(static_cast<uint16_t>((static_cast<uint8_t>(rdata[16]) << 8) | static_cast<uint8_t>(rdata[17])));
        return tags;
    };
    EXPECT_EQ(tag_of(zone.find(name("example."), RRType::RRSIG, static_cast<uint16_t>(RRType::DNSKEY))),
              std::set<uint16_t> { crypto::key_tag(keys.ksk.dnskey) });
    EXPECT_EQ(tag_of(zone.find(name("example."), RRType::RRSIG, static_cast<uint16_t>(RRType::SOA))),
              std::set<uint16_t> { crypto::key_tag(keys.zsk.dnskey) });
}

TEST(Verify, FindsTamperingAndGaps)
{
    Keys keys = make_keys(crypto::Algorithm::ECDSAP256SHA256);
    SigningPlan plan;
    plan.keys = { keys.ksk, keys.zsk };
    plan.nsec3 = Nsec3Params {};
    Signed result = sign_text(rfc5155_zone(), name("example."), plan);
    // Change one address after signing: its signature no longer verifies.
    std::string tampered = result.text;
    size_t at = tampered.find("192.0.2.10");
    ASSERT_NE(at, std::string::npos);
    tampered.replace(at, 10, "192.0.2.99");
    auto report = verify_zone(reload(Signed { tampered, {} }, name("example.")), now);
    EXPECT_FALSE(report.ok());
    ASSERT_FALSE(report.errors.empty());
    EXPECT_NE(report.errors.front().find("xx.example. A"), std::string::npos) << report.errors.front();
    // Structural checks alone do not see it, but see expiry.
    EXPECT_TRUE(verify_zone(reload(Signed { tampered, {} }, name("example.")), now, { .signatures = false }).ok());
    auto later = verify_zone(reload(result, name("example.")), now + std::chrono::days(30), { .signatures = false });
    EXPECT_FALSE(later.ok());
    // A name added after signing has no NSEC3 record and no signature.
    std::string added = result.text + "new.example. 3600 IN A 192.0.2.77\n";
    auto gap = verify_zone(reload(Signed { added, {} }, name("example.")), now);
    EXPECT_GE(gap.error_count, 2u);
}

// RFC 4035 §2.2: only authoritative RRsets are signed, RRSIGs are not, and
// no signature is by a key outside the DNSKEY RRset. Each defect is one
// line added to a correctly signed zone.
TEST(Verify, RefusesSignaturesWhereNoneMayBe)
{
    Keys keys = make_keys(crypto::Algorithm::ECDSAP256SHA256);
    SigningPlan plan;
    plan.keys = { keys.ksk, keys.zsk };
    Signed result = sign_text(rfc5155_zone(), name("example."), plan);
    ASSERT_TRUE(verify_zone(reload(result, name("example.")), now).ok());
    // The signature of xx.example. A, to be copied elsewhere.
    std::string line;
    std::istringstream lines(result.text);
    while (std::getline(lines, line) && !line.starts_with("xx.example. 3600 IN RRSIG A ")) { }
    ASSERT_TRUE(line.starts_with("xx.example. 3600 IN RRSIG A ")) << "no RRSIG over xx.example. A";
    auto with = [&](std::string_view owner, std::string_view covered) {
        std::string copy = line;
        copy.replace(0, std::string_view("xx.example.").size(), owner);
        size_t type_at = copy.find("RRSIG A ") + 6;
        copy.replace(type_at, 1, covered);
        return copy + "\n";
    };
    std::string other_key = line;
    const std::string tag = " " + std::to_string(crypto::key_tag(keys.zsk.dnskey)) + " example. ";
    ASSERT_NE(other_key.find(tag), std::string::npos);
    other_key.replace(other_key.find(tag), tag.size(), std::string(" ") + (tag == " 1 example. " ? "2" : "1") + " example. ");
    struct Case {
        std::string added;
        std::string_view said;
    };
    for (const Case& c : { Case { with("c.example.", "NS"), "c.example. RRSIG(NS): the NS of a delegation is the child's" },
                           Case { with("ns1.a.example.", "A"), "ns1.a.example. RRSIG(A): glue is not signed" },
                           Case { with("xx.example.", "RRSIG"), "xx.example. RRSIG(RRSIG): RRSIGs are not signed" },
                           Case { with("xx.example.", "MX"), "xx.example. RRSIG(MX) covers no RRset there" },
                           Case { other_key + "\n", "xx.example. A has an RRSIG by key" } }) {
        for (bool signatures : { true, false }) {
            auto report = verify_zone(reload(Signed { result.text + c.added, {} }, name("example.")), now,
                                      { .signatures = signatures });
            EXPECT_FALSE(report.ok()) << c.added;
            EXPECT_TRUE(std::ranges::any_of(report.errors, [&](const std::string& e) { return e.find(c.said) != e.npos; }))
                << c.said << " not in: " << (report.errors.empty() ? "" : report.errors.front());
        }
    }
    // A signature of an algorithm the DNSKEY RRset does not have yet is how
    // an algorithm rollover starts (RFC 6781 §4.1.4): accepted.
    std::string new_algorithm = other_key;
    new_algorithm.replace(new_algorithm.find("RRSIG A 13 "), 11, "RRSIG A 15 ");
    auto rollover = verify_zone(reload(Signed { result.text + new_algorithm + "\n", {} }, name("example.")), now);
    EXPECT_TRUE(rollover.ok()) << (rollover.errors.empty() ? "" : rollover.errors.front());
}

// The self-check's NSEC3 checks, each on one defect made in the text of a
// correctly signed zone (structure only: the edits break signatures too).
TEST(Verify, FindsEachDefectOfAnNsec3Chain)
{
    Keys keys = make_keys(crypto::Algorithm::ECDSAP256SHA256);
    SigningPlan plan;
    plan.keys = { keys.ksk, keys.zsk };
    plan.nsec3 = Nsec3Params {};
    const Signed result = sign_text(rfc5155_zone(), name("example."), plan);
    ASSERT_TRUE(verify_zone(reload(result, name("example.")), now, { .signatures = false }).ok());
    std::vector<std::string> lines;
    std::istringstream in(result.text);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    auto nsec3_line = [&](size_t nth) {
        for (size_t i = 0; i < lines.size(); ++i) {
            if (lines[i].find(" IN NSEC3 ") != std::string::npos && nth-- == 0)
                return i;
        }
        ADD_FAILURE() << "fewer NSEC3 records than expected";
        return size_t { 0 };
    };
    auto check = [&](const std::vector<std::string>& edited) {
        std::string text;
        for (const auto& line : edited)
            text += line + "\n";
        auto report = verify_zone(reload(Signed { text, {} }, name("example.")), now, { .signatures = false });
        std::string all;
        for (const auto& error : report.errors)
            all += error + "\n";
        return all;
    };
    auto contains = [](const std::string& text, std::string_view what) { return text.find(what) != std::string::npos; };

    // One record gone: the chain is broken and a name has no NSEC3.
    auto removed = lines;
    removed.erase(removed.begin() + static_cast<std::ptrdiff_t>(nsec3_line(3)));
    std::string errors = check(removed);
    EXPECT_TRUE(contains(errors, "NSEC3 chain broken at")) << errors;
    EXPECT_TRUE(contains(errors, "has no NSEC3 record")) << errors;

    // A type added to one bitmap.
    auto bitmap = lines;
    bitmap[nsec3_line(2)] += " TXT";
    errors = check(bitmap);
    EXPECT_TRUE(contains(errors, "NSEC3 type bitmap for")) << errors;
    EXPECT_FALSE(contains(errors, "chain broken")) << errors;

    // A record for a hash that no name has, linked into the chain.
    auto extra = lines;
    const std::string first = extra[nsec3_line(0)];
    std::string stray = "00000000000000000000000000000000" + first.substr(first.find('.'));
    extra.push_back(stray);
    errors = check(extra);
    EXPECT_TRUE(contains(errors, "NSEC3 record 00000000000000000000000000000000 matches no name")) << errors;

    // The salt of one record differs from the NSEC3PARAM.
    auto salted = lines;
    std::string& line = salted[nsec3_line(1)];
    line.replace(line.find(" IN NSEC3 1 0 0 - "), 18, " IN NSEC3 1 0 0 AB ");
    errors = check(salted);
    EXPECT_TRUE(contains(errors, "does not match the NSEC3PARAM")) << errors;
}

std::vector<std::string> split_lines(const std::string& text)
{
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

std::vector<std::string> fields(const std::string& line)
{
    std::vector<std::string> out;
    std::istringstream in(line);
    for (std::string field; in >> field;)
        out.push_back(field);
    return out;
}

std::string lower(std::string text)
{
    std::ranges::transform(text, text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

std::string all_errors(const VerifyReport& report)
{
    std::string all;
    for (const auto& error : report.errors)
        all += error + "\n";
    return all;
}

bool mentions(const VerifyReport& report, std::string_view what)
{
    return std::ranges::any_of(report.errors, [&](const std::string& e) { return e.find(what) != e.npos; });
}

// The text of a signed zone without the NSEC3 record of `name` and its
// signature, and with its predecessor linked to its successor: a whole
// chain that lacks that one name.
std::string without_nsec3_of(const std::string& text, const Name& name, const Nsec3Params& params)
{
    crypto::Nsec3Hasher hasher(params.salt, params.iterations);
    const std::string hash = lower(dns::to_base32hex(hasher.hash(name).view()));
    auto lines = split_lines(text);
    std::string next;
    for (const auto& line : lines) {
        auto f = fields(line);
        if (f.size() > 8 && f[3] == "NSEC3" && lower(f[0]).starts_with(hash + "."))
            next = f[8];
    }
    EXPECT_FALSE(next.empty()) << name.to_text() << " has no NSEC3 record to take away";
    std::string out;
    for (const auto& line : lines) {
        auto f = fields(line);
        if (f.size() > 4 && lower(f[0]).starts_with(hash + ".")
            && (f[3] == "NSEC3" || (f[3] == "RRSIG" && f[4] == "NSEC3")))
            continue;
        if (f.size() > 8 && f[3] == "NSEC3" && lower(f[8]) == hash) {
            f[8] = next;
            std::string joined;
            for (const auto& field : f)
                joined += (joined.empty() ? "" : " ") + field;
            out += joined + "\n";
            continue;
        }
        out += line + "\n";
    }
    return out;
}

// RFC 5155 §7.1: opt-out lets an insecure delegation go without an NSEC3
// record, and an empty non-terminal that leads to nothing else; an empty
// non-terminal above a name with its own NSEC3 has one, opt-out or not.
TEST(Verify, OptOutLeavesOutOnlyEmptyNonTerminalsAboveInsecureDelegations)
{
    Keys keys = make_keys(crypto::Algorithm::ECDSAP256SHA256);
    SigningPlan plan;
    plan.keys = { keys.ksk, keys.zsk };
    plan.nsec3 = Nsec3Params { 0, "", true };
    // b: above signed data only; e: above an insecure delegation only; f:
    // above an insecure delegation (first in canonical order) and signed data.
    const Signed result = sign_text("@ 3600 SOA ns hostmaster 1 7200 3600 1209600 300\n"
                                    "@ 3600 NS ns\n"
                                    "ns 3600 A 192.0.2.1\n"
                                    "a.b 3600 A 192.0.2.2\n"
                                    "x.e 3600 NS ns.other.test.\n"
                                    "a.f 3600 NS ns.other.test.\n"
                                    "c.f 3600 A 192.0.2.3\n",
                                    name("example."), plan);
    auto report = verify_zone(reload(result, name("example.")), now);
    EXPECT_TRUE(report.ok()) << all_errors(report);
    crypto::Nsec3Hasher hasher("", 0);
    auto has_nsec3 = [&](std::string_view owner) {
        return lower(result.text).find(lower(dns::to_base32hex(hasher.hash(name(owner)).view())) + ".example. ")
               != std::string::npos;
    };
    EXPECT_FALSE(has_nsec3("e.example.")) << "opt-out leaves it out";
    EXPECT_TRUE(has_nsec3("b.example."));
    EXPECT_TRUE(has_nsec3("f.example."));

    for (std::string_view ent : { "b.example.", "f.example." }) {
        const std::string text = without_nsec3_of(result.text, name(ent), *plan.nsec3);
        // Only that rule is broken: the chain is whole.
        auto structural = verify_zone(reload(Signed { text, {} }, name("example.")), now, { .signatures = false });
        EXPECT_EQ(structural.error_count, 1u) << ent << "\n" << all_errors(structural);
        const std::string said = fmt::format("empty non-terminal {} has no NSEC3 record; opt-out cannot leave it out",
                                             ent);
        EXPECT_TRUE(mentions(structural, said)) << all_errors(structural);
        // With signatures: the relinked predecessor's signature is broken too.
        auto full = verify_zone(reload(Signed { text, {} }, name("example.")), now);
        EXPECT_FALSE(full.ok());
        EXPECT_TRUE(mentions(full, said)) << all_errors(full);
    }

    // The same on the RFC 5155 zone, whose w.example is an empty
    // non-terminal above signed names.
    plan.nsec3 = Nsec3Params { 12, "\xaa\xbb\xcc\xdd", true };
    const Signed rfc = sign_text(rfc5155_zone(), name("example."), plan);
    ASSERT_TRUE(verify_zone(reload(rfc, name("example.")), now).ok());
    const std::string text = without_nsec3_of(rfc.text, name("w.example."), *plan.nsec3);
    auto structural = verify_zone(reload(Signed { text, {} }, name("example.")), now, { .signatures = false });
    EXPECT_EQ(structural.error_count, 1u) << all_errors(structural);
    EXPECT_TRUE(mentions(structural, "empty non-terminal w.example. has no NSEC3 record; opt-out cannot leave it out"))
        << all_errors(structural);
}

// An insecure delegation that has an NSEC3 of its own is not "covered by an
// Opt-Out NSEC3" (RFC 5155 §7.1): the empty non-terminal above it needs an
// NSEC3 too (as in Knot's nsec3_optout_ent.invalid).
TEST(Verify, AnInsecureDelegationWithItsOwnNsec3NeedsItsEmptyNonTerminals)
{
    Keys keys = make_keys(crypto::Algorithm::ECDSAP256SHA256);
    SigningPlan plan;
    plan.keys = { keys.ksk, keys.zsk };
    plan.nsec3 = Nsec3Params { 0, "", false }; // every delegation gets its NSEC3
    const Signed result = sign_text("@ 3600 SOA ns hostmaster 1 7200 3600 1209600 300\n"
                                    "@ 3600 NS ns\n"
                                    "ns 3600 A 192.0.2.1\n"
                                    "x.e 3600 NS ns.other.test.\n",
                                    name("example."), plan);
    ASSERT_TRUE(verify_zone(reload(result, name("example.")), now).ok());
    // Every NSEC3 marked opt-out, and the one of e.example. taken away.
    std::string text;
    for (const auto& line : split_lines(without_nsec3_of(result.text, name("e.example."), *plan.nsec3))) {
        auto f = fields(line);
        if (f.size() > 5 && f[3] == "NSEC3") {
            f[5] = "1";
            std::string joined;
            for (const auto& field : f)
                joined += (joined.empty() ? "" : " ") + field;
            text += joined + "\n";
        } else {
            text += line + "\n";
        }
    }
    auto structural = verify_zone(reload(Signed { text, {} }, name("example.")), now, { .signatures = false });
    EXPECT_EQ(structural.error_count, 1u) << all_errors(structural);
    EXPECT_TRUE(mentions(structural, "empty non-terminal e.example. has no NSEC3 record; opt-out cannot leave it out"))
        << all_errors(structural);
}

// RFC 7344, RFC 8078 §4: CDS and CDNSKEY are at the apex, both, each naming
// a key of the DNSKEY RRset, and a delete request is exactly that and alone.
// Each case is a zone the signer signed correctly with CDS/CDNSKEY that
// break one rule; then the same break made in the text of a signed zone.
TEST(Verify, RefusesCdsAndCdnskeyAParentCouldNotAct)
{
    Keys keys = make_keys(crypto::Algorithm::ECDSAP256SHA256);
    const Name apex = name("example.");
    const dns::Bytes ds = *crypto::make_ds_rdata(apex, keys.ksk.dnskey, crypto::DigestType::SHA256);
    const dns::Bytes cds_delete { '\0', '\0', '\0', '\0', '\0' };
    const dns::Bytes cdnskey_delete { '\0', '\0', '\3', '\0', '\0' };
    dns::Bytes wrong_digest = ds;
    wrong_digest.back() ^= 1;
    dns::Bytes other_key = keys.ksk.dnskey;
    other_key.back() ^= 1;
    const std::string small = "@ 3600 SOA ns hostmaster 1 7200 3600 1209600 300\n@ 3600 NS ns\nns 3600 A 192.0.2.1\n";
    const std::string ds_text = dns::rdata_to_text(RRType::CDS, ds);
    struct Case {
        std::vector<dns::Bytes> cds, cdnskey;
        std::string extra; // zone text
        std::string_view said; // empty: accepted
    };
    const Case cases[] = {
        { { ds }, { keys.ksk.dnskey }, "", "" },
        { { cds_delete }, { cdnskey_delete }, "", "" },
        { {}, {}, "_dsboot.child.test._signal.ns 3600 CDS " + ds_text + "\n", "" },
        { { wrong_digest }, { keys.ksk.dnskey }, "", "matches no key of the DNSKEY RRset" },
        { { ds }, { other_key }, "", "CDNSKEY of key" },
        { { ds }, {}, "", "has a CDS RRset but no CDNSKEY RRset" },
        { {}, { keys.ksk.dnskey }, "", "has a CDNSKEY RRset but no CDS RRset" },
        { { cds_delete, ds }, { keys.ksk.dnskey }, "", "CDS holds the delete request '0 0 0 00' beside other records" },
        { { ds }, { keys.ksk.dnskey, cdnskey_delete }, "", "CDNSKEY holds the delete request '0 3 0 AA==' beside" },
        { { { '\0', '\0', '\0', '\0', '\1' } }, { cdnskey_delete }, "", "has algorithm 0 but is not the delete request" },
        { { cds_delete }, { { '\1', '\1', '\3', '\0', '\0' } }, "", "has algorithm 0 but is not the delete request" },
        { { ds }, { keys.ksk.dnskey }, "www 3600 CDS " + ds_text + "\n", "www.example. CDS: CDS and CDNSKEY belong at" },
        { { ds }, { keys.ksk.dnskey }, "www 3600 CDNSKEY 0 3 0 AA==\n", "www.example. CDNSKEY: CDS and CDNSKEY belong" },
    };
    for (const Case& c : cases) {
        SigningPlan plan;
        plan.keys = { keys.ksk, keys.zsk };
        plan.cds = c.cds;
        plan.cdnskey = c.cdnskey;
        const Signed result = sign_text(small + c.extra, apex, plan);
        auto report = verify_zone(reload(result, apex), now);
        if (c.said.empty()) {
            EXPECT_TRUE(report.ok()) << result.text << all_errors(report);
            continue;
        }
        EXPECT_EQ(report.error_count, 1u) << c.said << "\n" << all_errors(report);
        EXPECT_TRUE(mentions(report, c.said)) << c.said << " not in:\n" << all_errors(report);
    }

    // The same breaks in the text of the RFC 5155 zone signed with CDS and
    // CDNSKEY: an edit after signing, so only the structure is checked.
    SigningPlan plan;
    plan.keys = { keys.ksk, keys.zsk };
    plan.cds = { ds };
    plan.cdnskey = { keys.ksk.dnskey };
    const Signed rfc = sign_text(rfc5155_zone(), apex, plan);
    ASSERT_TRUE(verify_zone(reload(rfc, apex), now).ok());
    std::string without_cdnskey;
    for (const auto& line : split_lines(rfc.text)) {
        auto f = fields(line);
        if (f[3] != "CDNSKEY" && !(f[3] == "RRSIG" && f[4] == "CDNSKEY"))
            without_cdnskey += line + "\n";
    }
    std::string wrong = rfc.text;
    const std::string digest_text = ds_text.substr(ds_text.rfind(' ') + 1);
    ASSERT_NE(wrong.find(digest_text), std::string::npos);
    wrong.replace(wrong.find(digest_text), 1, digest_text[0] == '0' ? "1" : "0");
    struct Edit {
        std::string text;
        std::string_view said;
    };
    for (const Edit& e : { Edit { without_cdnskey, "has a CDS RRset but no CDNSKEY RRset" },
                           Edit { wrong, "matches no key of the DNSKEY RRset" },
                           Edit { rfc.text + "example. 3600 IN CDS 0 0 0 00\n", "CDS holds the delete request" },
                           Edit { rfc.text + "example. 3600 IN CDNSKEY 0 3 0 AQ==\n", "is not the delete request" },
                           Edit { rfc.text + "xx.example. 3600 IN CDS " + ds_text + "\n", "CDS and CDNSKEY belong at" } }) {
        for (bool signatures : { false, true }) {
            auto report = verify_zone(reload(Signed { e.text, {} }, apex), now, { .signatures = signatures });
            EXPECT_FALSE(report.ok());
            EXPECT_TRUE(mentions(report, e.said)) << e.said << " not in:\n" << all_errors(report);
        }
    }
}

// A signed zone's text with every key of `keys` given another algorithm
// number: the DNSKEY records, and the algorithm and key tag of each RRSIG.
std::string with_algorithm(const std::string& text, const Keys& keys, uint8_t algorithm)
{
    std::map<std::string, std::string> tags;
    for (const auto* key : { &keys.ksk, &keys.zsk }) {
        dns::Bytes renumbered = key->dnskey;
        renumbered[3] = static_cast<char>(algorithm);
        tags[std::to_string(crypto::key_tag(key->dnskey))] = std::to_string(crypto::key_tag(renumbered));
    }
    std::string out;
    for (const auto& line : split_lines(text)) {
        auto f = fields(line);
        if (f.size() > 6 && f[3] == "DNSKEY")
            f[6] = std::to_string(algorithm);
        if (f.size() > 10 && f[3] == "RRSIG" && tags.contains(f[10])) {
            f[5] = std::to_string(algorithm);
            f[10] = tags[f[10]];
        }
        std::string joined;
        for (const auto& field : f)
            joined += (joined.empty() ? "" : " ") + field;
        out += joined + "\n";
    }
    return out;
}

// A zone whose keys are all of algorithms Signet cannot verify is neither
// good nor bad: "cannot judge", with the structure still checked.
TEST(Verify, CannotJudgeAZoneSignedOnlyWithAlgorithmsItCannotVerify)
{
    Keys keys = make_keys(crypto::Algorithm::ECDSAP256SHA256);
    SigningPlan plan;
    plan.keys = { keys.ksk, keys.zsk };
    plan.nsec3 = Nsec3Params {};
    const Signed result = sign_text(rfc5155_zone(), name("example."), plan);
    // RSAMD5, DSA, DSA-NSEC3-SHA1, GOST.
    for (uint8_t algorithm : { 1, 3, 6, 12 }) {
        const std::string text = with_algorithm(result.text, keys, algorithm);
        auto report = verify_zone(reload(Signed { text, {} }, name("example.")), now);
        EXPECT_EQ(report.verdict(), Verdict::CannotJudge) << int(algorithm) << "\n" << all_errors(report);
        EXPECT_FALSE(report.ok());
        EXPECT_TRUE(report.unjudged);
        EXPECT_EQ(report.error_count, 0u);
        EXPECT_EQ(report.signatures_checked, 0u);
        EXPECT_EQ(report.unverified_algorithms, std::vector<uint8_t> { algorithm });
        // Structure only: there is nothing to judge, and so it verifies.
        EXPECT_EQ(verify_zone(reload(Signed { text, {} }, name("example.")), now, { .signatures = false }).verdict(),
                  Verdict::Verifies);
        // What the structure shows is still a definite problem.
        auto expired = verify_zone(reload(Signed { text, {} }, name("example.")), now + std::chrono::days(30));
        EXPECT_EQ(expired.verdict(), Verdict::DoesNotVerify);
        auto gap = verify_zone(reload(Signed { text + "new.example. 3600 IN A 192.0.2.77\n", {} }, name("example.")), now);
        EXPECT_EQ(gap.verdict(), Verdict::DoesNotVerify);
        EXPECT_TRUE(mentions(gap, "new.example. A has no RRSIG")) << all_errors(gap);
    }
}

// Four keys of one tag and algorithm: validators give up before the last
// (CVE-2023-50387), and Knot refuses such a zone; so does verify. Three pass.
TEST(Verify, RefusesMoreThanThreeKeysOfOneTag)
{
    Keys keys = make_keys(crypto::Algorithm::ECDSAP256SHA256);
    SigningPlan plan;
    plan.keys = { keys.ksk, keys.zsk };
    const Signed result = sign_text(rfc5155_zone(), name("example."), plan);
    // Keys of an algorithm (DSA) whose key data is not parsed: the last two
    // 16-bit words moved by the same amount each way keep the tag.
    auto alike = [](int count) {
        std::string text;
        dns::Bytes base { '\x01', '\x00', '\x03', '\x03' };
        for (int i = 0; i < 20; ++i)
            base.push_back(static_cast<char>(0x40 + i));
        const uint16_t tag = crypto::key_tag(base);
        for (int i = 0; i < count; ++i) {
            dns::Bytes rdata = base;
            rdata[21] = static_cast<char>(rdata[21] - i);
            rdata[23] = static_cast<char>(rdata[23] + i);
            EXPECT_EQ(crypto::key_tag(rdata), tag);
            text += "example. 3600 IN DNSKEY " + dns::rdata_to_text(RRType::DNSKEY, rdata) + "\n";
        }
        return text;
    };
    const std::string said = "keys of the DNSKEY RRset have key tag";
    auto four = verify_zone(reload(Signed { result.text + alike(4), {} }, name("example.")), now, { .signatures = false });
    EXPECT_TRUE(mentions(four, said)) << all_errors(four);
    auto three = verify_zone(reload(Signed { result.text + alike(3), {} }, name("example.")), now, { .signatures = false });
    EXPECT_FALSE(mentions(three, said)) << all_errors(three);
}

// Beside an algorithm Signet verifies, signatures of one it cannot are left
// alone (RFC 6840 §5.11), though each RRset must still have one (RFC 4035
// §2.2).
TEST(Verify, SkipsSignaturesOfAnAlgorithmItCannotVerifyBesideOneItCan)
{
    Keys keys = make_keys(crypto::Algorithm::ECDSAP256SHA256);
    PlannedKey dsa = keys.zsk;
    dsa.dnskey[3] = 3;
    dsa.signs_zone = false;
    dsa.publish = true;
    SigningPlan plan;
    plan.keys = { keys.ksk, keys.zsk, dsa };
    const Signed result = sign_text(rfc5155_zone(), name("example."), plan);
    // Every signature of the ZSK or KSK, copied as one of the DSA key
    // (whose signature bytes are not a DSA signature: nobody checks them).
    const std::string zsk_tag = std::to_string(crypto::key_tag(keys.zsk.dnskey));
    const std::string ksk_tag = std::to_string(crypto::key_tag(keys.ksk.dnskey));
    std::string text = result.text;
    for (const auto& line : split_lines(result.text)) {
        auto f = fields(line);
        if (f.size() > 10 && f[3] == "RRSIG" && (f[10] == zsk_tag || (f[10] == ksk_tag && f[4] == "DNSKEY"))) {
            f[5] = "3";
            f[10] = std::to_string(crypto::key_tag(dsa.dnskey));
            std::string joined;
            for (const auto& field : f)
                joined += (joined.empty() ? "" : " ") + field;
            text += joined + "\n";
        }
    }
    auto report = verify_zone(reload(Signed { text, {} }, name("example.")), now);
    EXPECT_EQ(report.verdict(), Verdict::Verifies) << all_errors(report);
    EXPECT_EQ(report.unverified_algorithms, std::vector<uint8_t> { 3 });
    EXPECT_GT(report.signatures_checked, 10u);
    // Without them, the RRsets lack a signature of an algorithm of the
    // DNSKEY RRset.
    auto missing = verify_zone(reload(result, name("example.")), now);
    EXPECT_TRUE(mentions(missing, "has no valid RRSIG with algorithm 3")) << all_errors(missing);
}

// RSA/SHA-1 (5, and 7 with NSEC3) is verified, not judged unknowable: zones
// ldns-signzone signed (tests/data/zones/rsasha1*.signed).
TEST(Verify, VerifiesRsaSha1ZonesOfOtherSigners)
{
    for (std::string_view file : { "rsasha1.signed", "rsasha1-nsec3.signed" }) {
        std::ifstream in(std::string(SIGNET_TEST_DATA) + "/zones/" + std::string(file));
        std::stringstream buffer;
        buffer << in.rdbuf();
        auto report = verify_zone(reload(Signed { buffer.str(), {} }, name("example.")), now);
        EXPECT_EQ(report.verdict(), Verdict::Verifies) << file << "\n" << all_errors(report);
        EXPECT_GT(report.signatures_checked, 5u) << file;
        EXPECT_TRUE(report.unverified_algorithms.empty());
        // A changed address no longer verifies.
        std::string tampered = buffer.str();
        tampered.replace(tampered.find("192.0.2.80"), 10, "192.0.2.81");
        auto bad = verify_zone(reload(Signed { tampered, {} }, name("example.")), now);
        EXPECT_EQ(bad.verdict(), Verdict::DoesNotVerify) << file;
        EXPECT_TRUE(mentions(bad, "www.example. A has no valid RRSIG")) << all_errors(bad);
    }
}

TEST(Signer, InputDnssecRecordsAreReplaced)
{
    Keys keys = make_keys(crypto::Algorithm::ECDSAP256SHA256);
    SigningPlan plan;
    plan.keys = { keys.ksk, keys.zsk };
    Signed first = sign_text(rfc5155_zone(), name("example."), plan);
    // Sign the signed output again with new keys: the old keys, signatures
    // and NSEC records are dropped and nothing of them remains.
    Keys next = make_keys(crypto::Algorithm::ECDSAP256SHA256);
    plan.keys = { next.ksk, next.zsk };
    plan.nsec3 = Nsec3Params {};
    Signed second = sign_text(first.text, name("example."), plan);
    EXPECT_GT(second.stats.replaced_records, 0u);
    ASSERT_FALSE(second.stats.warnings.empty());
    dns::Zone zone = reload(second, name("example."));
    EXPECT_EQ(zone.find(name("example."), RRType::DNSKEY)->size(), 2u);
    EXPECT_FALSE(zone.find(name("example."), RRType::NSEC));
    EXPECT_TRUE(verify_zone(zone, now).ok());
}

TEST(Signer, AZoneNameTooLongForNsec3OwnersIsAClearError)
{
    // 224 octets: a 32-character hash label before it makes 257.
    const std::string apex = std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') + "."
                             + std::string(30, 'd') + ".";
    ASSERT_EQ(name(apex).wire().size(), 224u);
    Keys keys = make_keys(crypto::Algorithm::ECDSAP256SHA256);
    SigningPlan plan;
    plan.keys = { keys.ksk, keys.zsk };
    dns::Diagnostics diag;
    auto zone = dns::load_zone_text("@ 3600 SOA ns hostmaster 1 7200 3600 1209600 300\n@ 3600 NS ns.example.\n"
                                    "www 3600 A 192.0.2.1\n",
                                    name(apex), diag);
    ASSERT_TRUE(zone) << zone.error().to_string();
    // NSEC has no such limit.
    auto nsec = sign(*zone, nullptr, plan, *signet::testing::test_token().store, now);
    ASSERT_TRUE(nsec) << nsec.error().to_string();
    EXPECT_TRUE(verify_zone(nsec->zone, now).ok());
    plan.nsec3 = Nsec3Params {};
    auto nsec3 = sign(*zone, nullptr, plan, *signet::testing::test_token().store, now);
    ASSERT_FALSE(nsec3);
    EXPECT_NE(nsec3.error().to_string().find("too long for NSEC3"), std::string::npos) << nsec3.error().to_string();
}

TEST(Signer, MissingKeyIsAClearErrorNamingIt)
{
    Keys keys = make_keys(crypto::Algorithm::ECDSAP256SHA256);
    SigningPlan plan;
    keys.zsk.locator = "00aa00aa00aa00aa";
    plan.keys = { keys.ksk, keys.zsk };
    dns::Diagnostics diag;
    auto zone = dns::load_zone_text(rfc5155_zone(), name("example."), diag);
    ASSERT_TRUE(zone);
    auto result = sign(*zone, nullptr, plan, *signet::testing::test_token().store, now);
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().to_string().find("00aa00aa00aa00aa"), std::string::npos) << result.error().to_string();
    EXPECT_NE(result.error().to_string().find("example."), std::string::npos);
}

} // namespace
} // namespace signet::signer::signer_test
