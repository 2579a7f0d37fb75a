// Incremental signing: what a signing keeps from the previous version, what
// it makes again, and that the result is always the zone a full signing
// would make, checked by independent validators over long random edit
// sequences.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <signet/base/process.h>
#include <signet/crypto/dnssec.h>
#include <signet/dns/zone.h>
#include <signet/dns/zone_assembler.h>
#include <signet/dns/zone_writer.h>
#include <signet/signer/signer.h>
#include <signet/signer/verify.h>

#include "../fixtures/softhsm.h"

namespace signet::signer::incremental_test {
namespace {

using dns::Name;
using dns::RRType;
using namespace std::chrono_literals;

Name name(std::string_view text) { return *Name::from_text(text); }

PlannedKey make_key(bool ksk, crypto::Algorithm algorithm = crypto::Algorithm::ECDSAP256SHA256)
{
    auto& store = *signet::testing::test_token().store;
    auto generated = store.generate(algorithm, 2048, ksk ? "inc-ksk" : "inc-zsk");
    EXPECT_TRUE(generated);
    PlannedKey key;
    key.algorithm = algorithm;
    key.locator = generated->locator;
    key.dnskey = crypto::make_dnskey_rdata(ksk ? 257 : 256, algorithm, generated->public_key);
    key.signs_keyset = ksk;
    key.signs_zone = !ksk;
    return key;
}

dns::Zone load(std::string_view text, const Name& origin)
{
    dns::Diagnostics diag;
    auto zone = dns::load_zone_text(text, origin, diag);
    EXPECT_TRUE(zone) << (zone ? "" : zone.error().to_string());
    return zone ? std::move(*zone) : dns::Zone();
}

// A token source that counts how often the signer asked for the token.
struct CountingToken {
    int opened = 0;
    TokenSource source()
    {
        return [this]() -> Result<crypto::p11::KeyStore*> {
            ++opened;
            return signet::testing::test_token().store.get();
        };
    }
};

SignedVersion sign_ok(const dns::Zone& input, const dns::Zone* previous, const SigningPlan& plan, TimePoint now,
                      CountingToken* counting = nullptr)
{
    CountingToken own;
    CountingToken& token = counting ? *counting : own;
    auto version = sign(input, previous, plan, token.source(), now);
    EXPECT_TRUE(version) << (version ? "" : version.error().to_string());
    return version ? std::move(*version) : SignedVersion {};
}

std::set<std::string> rrsigs_of(const dns::Zone& zone)
{
    std::set<std::string> out;
    for (dns::RRsetView rrset : zone) {
        if (rrset.type() != RRType::RRSIG)
            continue;
        for (std::string_view rdata : rrset.rdatas())
            out.insert(rrset.owner().lowercased().wire() + std::string(rdata));
    }
    return out;
}

const std::string base_zone = R"(
$ORIGIN example.
$TTL 3600
@       IN SOA ns1 hostmaster 1 7200 3600 1209600 300
@       IN NS  ns1
ns1     IN A   192.0.2.1
www     IN A   192.0.2.10
www     IN AAAA 2001:db8::10
mail    IN A   192.0.2.20
@       IN MX  10 mail
sub     IN NS  ns.sub
ns.sub  IN A   192.0.2.30
)";

const TimePoint t0 = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());

SigningPlan base_plan(const PlannedKey& ksk, const PlannedKey& zsk)
{
    SigningPlan plan;
    plan.keys = { ksk, zsk };
    plan.serial = SerialMode::Counter;
    plan.validity = 14 * 24h;
    plan.refresh = 5 * 24h;
    plan.jitter = 12h;
    plan.refresh_window = 2h;
    return plan;
}

TEST(Incremental, UnchangedZoneMakesNoSignatureAndKeepsTheVersion)
{
    const PlannedKey ksk = make_key(true), zsk = make_key(false);
    SigningPlan plan = base_plan(ksk, zsk);
    dns::Zone input = load(base_zone, name("example."));
    SignedVersion first = sign_ok(input, nullptr, plan, t0);
    EXPECT_TRUE(first.changed);
    EXPECT_GT(first.stats.signatures, 5u);
    EXPECT_FALSE(first.changes);

    plan.last_serial = first.stats.serial;
    CountingToken token;
    SignedVersion again = sign_ok(input, &first.zone, plan, t0 + 1h, &token);
    EXPECT_FALSE(again.changed);
    EXPECT_EQ(again.stats.signatures, 0u);
    EXPECT_EQ(again.stats.signatures_reused, first.stats.signatures);
    EXPECT_EQ(again.stats.serial, first.stats.serial);
    EXPECT_EQ(token.opened, 0) << "no signature due, so the token is not needed";
    EXPECT_EQ(dns::zone_to_text(again.zone), dns::zone_to_text(first.zone));
    EXPECT_EQ(again.next_work, first.stats.earliest_expiration - plan.refresh);

    // Asked for a new version all the same: only the SOA is signed again.
    plan.new_version = true;
    SignedVersion forced = sign_ok(input, &first.zone, plan, t0 + 1h);
    EXPECT_TRUE(forced.changed);
    EXPECT_EQ(forced.stats.signatures, 1u);
    EXPECT_EQ(forced.stats.serial, first.stats.serial + 1);
}

TEST(Incremental, OneChangedRecordSignsItsRRsetAndTheSoaOnly)
{
    const PlannedKey ksk = make_key(true), zsk = make_key(false);
    for (bool nsec3 : { false, true }) {
        SigningPlan plan = base_plan(ksk, zsk);
        if (nsec3)
            plan.nsec3 = Nsec3Params { 0, "\x01\x02", false };
        dns::Zone input = load(base_zone, name("example."));
        SignedVersion first = sign_ok(input, nullptr, plan, t0);
        plan.last_serial = first.stats.serial;

        std::string edited = base_zone;
        edited.replace(edited.find("192.0.2.10"), 10, "192.0.2.11");
        SignedVersion second = sign_ok(load(edited, name("example.")), &first.zone, plan, t0 + 1h);
        EXPECT_TRUE(second.changed);
        // The A RRset and the SOA: the denial records list the same types.
        EXPECT_EQ(second.stats.signatures, 2u) << (nsec3 ? "NSEC3" : "NSEC");
        EXPECT_EQ(second.stats.signatures_reused + 2, first.stats.signatures);
        EXPECT_EQ(second.stats.serial, first.stats.serial + 1);
        // Every kept signature is the previous one, byte for byte.
        auto before = rrsigs_of(first.zone), after = rrsigs_of(second.zone);
        size_t same = 0;
        for (const auto& sig : after)
            same += before.contains(sig);
        EXPECT_EQ(same, second.stats.signatures_reused);
        // The changeset: the old and new A and its signature, the SOA and its signature.
        ASSERT_TRUE(second.changes);
        EXPECT_EQ(second.changes->removed.record_count(), 4u);
        EXPECT_EQ(second.changes->added.record_count(), 4u);
        EXPECT_TRUE(second.changes->added.find(name("www.example."), RRType::A));
        EXPECT_TRUE(verify_zone(second.zone, t0 + 1h).ok());

        // A new name: its RRset and denial record, the denial record
        // before it (its next name changed), and the SOA.
        edited += "new IN TXT \"x\"\n";
        SignedVersion third = sign_ok(load(edited, name("example.")), &second.zone, plan, t0 + 2h);
        EXPECT_EQ(third.stats.signatures, 4u) << (nsec3 ? "NSEC3" : "NSEC");
        EXPECT_TRUE(verify_zone(third.zone, t0 + 2h).ok());
    }
}

TEST(Incremental, DueSignaturesAreRefreshedTheRestKept)
{
    const PlannedKey ksk = make_key(true), zsk = make_key(false);
    SigningPlan plan = base_plan(ksk, zsk);
    std::string text = base_zone;
    for (int i = 0; i < 200; ++i)
        text += fmt::format("h{} IN A 192.0.2.{}\n", i, i % 250);
    dns::Zone input = load(text, name("example."));
    SignedVersion first = sign_ok(input, nullptr, plan, t0);
    plan.last_serial = first.stats.serial;

    // Just before the first signatures reach their refresh point: nothing.
    const TimePoint before = t0 + plan.validity - plan.jitter - plan.refresh - plan.refresh_window - 1min;
    SignedVersion quiet = sign_ok(input, &first.zone, plan, before);
    EXPECT_FALSE(quiet.changed);

    // Halfway through the jitter window: some are due, the rest kept.
    const TimePoint now = t0 + plan.validity - plan.jitter / 2 - plan.refresh;
    SignedVersion refreshed = sign_ok(input, &first.zone, plan, now);
    EXPECT_TRUE(refreshed.changed);
    EXPECT_GT(refreshed.stats.signatures, first.stats.signatures / 4);
    EXPECT_LT(refreshed.stats.signatures, first.stats.signatures * 3 / 4);
    // Nothing published has less than signature-refresh left.
    for (dns::RRsetView rrset : refreshed.zone) {
        if (rrset.type() != RRType::RRSIG)
            continue;
        for (std::string_view rdata : rrset.rdatas()) {
            const uint32_t expiration = static_cast<uint32_t>((static_cast<uint8_t>(rdata[8]) << 24)
                                                              | (static_cast<uint8_t>(rdata[9]) << 16)
                                                              | (static_cast<uint8_t>(rdata[10]) << 8)
                                                              | static_cast<uint8_t>(rdata[11]));
            EXPECT_GT(TimePoint(std::chrono::seconds(expiration)), now + plan.refresh);
        }
    }
    EXPECT_TRUE(verify_zone(refreshed.zone, now).ok());
    EXPECT_GT(refreshed.next_work, now);
}

TEST(Incremental, ASigningKeyChangeMakesItsSignaturesAgain)
{
    const PlannedKey ksk = make_key(true), zsk = make_key(false), next_zsk = make_key(false);
    SigningPlan plan = base_plan(ksk, zsk);
    dns::Zone input = load(base_zone, name("example."));
    SignedVersion first = sign_ok(input, nullptr, plan, t0);
    plan.last_serial = first.stats.serial;

    // The successor published, not signing yet: the DNSKEY RRset changed.
    PlannedKey published = next_zsk;
    published.signs_zone = false;
    plan.keys = { ksk, zsk, published };
    SignedVersion second = sign_ok(input, &first.zone, plan, t0 + 1h);
    EXPECT_EQ(second.stats.signatures, 2u); // DNSKEY and SOA
    plan.last_serial = second.stats.serial;

    // Both sign for a while (as in an algorithm rollover): each RRset gets
    // a second signature, and the SOA's kept one is made again for the new
    // serial.
    plan.keys = { ksk, zsk, next_zsk };
    SignedVersion both = sign_ok(input, &second.zone, plan, t0 + 90min);
    EXPECT_TRUE(verify_zone(both.zone, t0 + 90min).ok()) << verify_zone(both.zone, t0 + 90min).errors.front();
    EXPECT_EQ(both.stats.signatures_reused + 1, second.stats.signatures_reused + second.stats.signatures);
    EXPECT_EQ(both.stats.signatures, first.stats.signatures);

    // The successor signs, the old key is only published: every zone
    // signature is made again by the new key.
    PlannedKey retired = zsk;
    retired.signs_zone = false;
    plan.keys = { ksk, retired, next_zsk };
    SignedVersion third = sign_ok(input, &second.zone, plan, t0 + 2h);
    EXPECT_EQ(third.stats.signatures_reused, 1u); // the DNSKEY RRset's, by the KSK
    EXPECT_TRUE(verify_zone(third.zone, t0 + 2h).ok());
}

TEST(ZoneDiff, LimitAndContent)
{
    dns::Zone a = load(base_zone, name("example."));
    std::string edited = base_zone;
    edited.replace(edited.find("192.0.2.20"), 10, "192.0.2.21");
    dns::Zone b = load(edited, name("example."));
    auto diff = dns::diff_zones(a, b, 100);
    ASSERT_TRUE(diff);
    EXPECT_EQ(dns::zone_to_text(diff->removed), "mail.example. 3600 IN A 192.0.2.20\n");
    EXPECT_EQ(dns::zone_to_text(diff->added), "mail.example. 3600 IN A 192.0.2.21\n");
    EXPECT_FALSE(dns::diff_zones(a, b, 1));
    EXPECT_EQ(dns::diff_zones(a, a, 0)->records(), 0u);
}

// ---------------------------------------------------------------------------
// The property: random edits over many versions with the clock moving.

// The zone a full signing makes and the incremental one must be the same
// but for signature bytes and timing: RRSIGs compared by what they cover
// and which key made them.
std::string comparable(const dns::Zone& zone, bool mask_serial)
{
    std::string out;
    for (dns::RRsetView rrset : zone) {
        for (std::string_view rdata : rrset.rdatas()) {
            std::string shown(rdata);
            if (rrset.type() == RRType::RRSIG)
                shown = shown.substr(0, 8) + shown.substr(16, 2);
            else if (rrset.type() == RRType::SOA && mask_serial)
                shown.replace(shown.size() - 20, 4, "....");
            out += rrset.owner().lowercased().wire() + fmt::format("/{}/{}/{}/", static_cast<int>(rrset.type()),
                                                                   rrset.covers(), rrset.ttl())
                   + shown + "\n";
        }
    }
    return out;
}

// Runs a validator (no shell: the words as they are); its output when it
// fails, "" when it passes.
std::string validator_failure(const std::vector<std::string>& argv, const std::filesystem::path& dir)
{
    ProcessOptions options;
    options.output = dir / "validator.log";
    auto status = run_process(argv, options);
    if (status && status->success())
        return "";
    std::ifstream in(*options.output);
    std::stringstream text;
    text << in.rdbuf();
    return fmt::format("{}: {}: {}", fmt::join(argv, " "), status ? status->to_string() : status.error().to_string(),
                       text.str());
}

class EditedZone {
public:
    explicit EditedZone(uint32_t seed)
        : random_(seed)
    {
        for (int i = 0; i < 30; ++i)
            add_random();
    }

    std::string text() const
    {
        std::string out = "$ORIGIN example.\n$TTL 3600\n@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
                          "@ IN NS ns1\nns1 IN A 192.0.2.1\n";
        for (const auto& [owner, rrs] : records_) {
            for (const auto& rr : rrs)
                out += owner + " " + rr + "\n";
        }
        return out;
    }

    void edit()
    {
        switch (pick(6)) {
        case 0:
        case 1: add_random(); break;
        case 2: remove_random(); break;
        case 3: change_random(); break;
        case 4: add_delegation(); break;
        case 5: remove_owner(); break;
        }
    }

private:
    size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(random_); }

    std::string new_name()
    {
        static const char* parts[] = { "a", "b", "c", "www", "mail", "x", "sub.deep", "e.n.t" };
        std::string name = fmt::format("n{}", pick(60));
        for (size_t depth = pick(3); depth > 0; --depth)
            name = std::string(parts[pick(std::size(parts))]) + "." + name;
        if (pick(8) == 0)
            name = "*." + name; // a wildcard
        return name;
    }

    bool under_delegation(const std::string& owner) const
    {
        for (const auto& [cut, rrs] : records_) {
            if (cut.starts_with("d") && (owner.size() > cut.size() && owner.ends_with("." + cut)))
                return true;
        }
        return false;
    }

    void add_random()
    {
        std::string owner = new_name();
        if (under_delegation(owner) || owner.starts_with("d"))
            return;
        switch (pick(3)) {
        case 0: records_[owner].insert(fmt::format("{} IN A 192.0.2.{}", 300 + pick(3) * 300, pick(250))); break;
        case 1: records_[owner].insert(fmt::format("IN TXT \"v{}\"", pick(1000))); break;
        case 2: records_[owner].insert(fmt::format("IN AAAA 2001:db8::{:x}", pick(4096))); break;
        }
    }

    void remove_random()
    {
        if (records_.empty())
            return;
        auto it = std::next(records_.begin(), static_cast<long>(pick(records_.size())));
        if (it->first.starts_with("d") || it->first.starts_with("ns.d"))
            return; // delegations and their glue go together (remove_owner)
        it->second.erase(std::next(it->second.begin(), static_cast<long>(pick(it->second.size()))));
        if (it->second.empty())
            records_.erase(it);
    }

    void change_random()
    {
        remove_random();
        add_random();
    }

    void add_delegation()
    {
        std::string cut = fmt::format("d{}", pick(20));
        if (records_.contains(cut))
            return;
        records_[cut].insert("IN NS ns." + cut);
        records_["ns." + cut].insert(fmt::format("IN A 192.0.2.{}", pick(250)));
        if (pick(2) == 0)
            records_[cut].insert(fmt::format("IN DS {} 13 2 {}", 1000 + pick(1000), std::string(64, "0123456789abcdef"[pick(16)])));
    }

    void remove_owner()
    {
        if (records_.empty())
            return;
        auto it = std::next(records_.begin(), static_cast<long>(pick(records_.size())));
        std::string owner = it->first;
        if (owner.starts_with("ns.d"))
            return;
        records_.erase(it);
        if (owner.starts_with("d"))
            records_.erase("ns." + owner);
    }

    std::mt19937 random_;
    std::map<std::string, std::set<std::string>> records_;
};

void check_versions(std::optional<Nsec3Params> nsec3, uint32_t seed)
{
    const PlannedKey ksk = make_key(true), zsk = make_key(false);
    SigningPlan plan = base_plan(ksk, zsk);
    plan.nsec3 = nsec3;
    EditedZone model(seed);
    const Name origin = name("example.");
    const std::filesystem::path dir = std::filesystem::temp_directory_path() / fmt::format("signet-inc-{}", ::getpid());
    std::filesystem::create_directories(dir);
    const std::string file = (dir / "example.signed").string();

    // 60 versions over ten days ending now, so that the validators, which
    // check at the real time, accept every one of them; refreshes happen
    // along the way (signature-refresh 5 days of 14). Under the sanitizers,
    // which look for memory errors rather than for more edits, 24.
#if defined(__SANITIZE_ADDRESS__)
    const int versions = 24;
#else
    const int versions = 60;
#endif
    const TimePoint start = t0 - 10 * 24h;
    std::optional<SignedVersion> previous;
    size_t reused = 0, unchanged = 0;
    for (int v = 0; v < versions; ++v) {
        const TimePoint now = start + (10 * 24h) * v / (versions - 1);
        if (v > 0 && v % 7 != 0) // now and then a version with no edit
            model.edit();
        dns::Zone input = load(model.text(), origin);
        SignedVersion version = sign_ok(input, previous ? &previous->zone : nullptr, plan, now);
        SignedVersion full = sign_ok(input, nullptr, plan, now);
        const std::string label = fmt::format("{} version {}", nsec3 ? "NSEC3" : "NSEC", v);
        ASSERT_EQ(comparable(version.zone, !version.changed), comparable(full.zone, !version.changed)) << label;
        auto report = verify_zone(version.zone, now);
        ASSERT_TRUE(report.ok()) << label << ": " << report.errors.front();
        if (previous) {
            // Kept signatures are the previous ones byte for byte; the rest are new.
            auto before = rrsigs_of(previous->zone);
            size_t kept = 0;
            for (const auto& sig : rrsigs_of(version.zone))
                kept += before.contains(sig);
            EXPECT_EQ(kept, version.stats.signatures_reused) << label;
            reused += kept;
            unchanged += !version.changed;
            if (!version.changed) {
                EXPECT_EQ(version.stats.serial, previous->stats.serial) << label;
            }
        }
        {
            std::ofstream out(file);
            out << dns::zone_to_text(version.zone);
        }
        for (const auto& validator : { std::vector<std::string> { "dnssec-verify", "-q", "-o", "example.", file },
                                       std::vector<std::string> { "ldns-verify-zone", file },
                                       std::vector<std::string> { "kzonecheck", "--dnssec", "on", "-o", "example.", file } })
            ASSERT_EQ(validator_failure(validator, dir), "") << label;
        plan.last_serial = version.stats.serial;
        previous = std::move(version);
    }
    EXPECT_GT(reused, 0u);
    EXPECT_GT(unchanged, 0u);
    std::filesystem::remove_all(dir);
}

TEST(IncrementalProperty, NsecOverSixtyVersions) { check_versions(std::nullopt, 11); }
TEST(IncrementalProperty, Nsec3OptOutOverSixtyVersions) { check_versions(Nsec3Params { 0, "\xab\xcd", true }, 12); }

} // namespace
} // namespace signet::signer::incremental_test
