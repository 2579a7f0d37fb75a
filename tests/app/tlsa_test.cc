#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include <signet/app/tlsa.h>
#include <signet/tlsa/derive.h>

#include "../fixtures/certs.h"

namespace signet::app::tlsa_test {
namespace {

using enforcer::KeyDb;
using enforcer::TlsaBindingEntry;
using enforcer::ZoneEntry;
using std::chrono::days;
using std::chrono::hours;

const TimePoint now = TimePoint(std::chrono::seconds(1790000000));

const char* zone_text = R"($TTL 3600
@        SOA ns1 hostmaster 1 3600 600 86400 300
@        NS  ns1
ns1      A   192.0.2.1
mail     A   192.0.2.25
www      CNAME mail
sub      NS  ns.sub
ns.sub   A   192.0.2.53
)";

class TlsaApp : public ::testing::Test {
protected:
    void SetUp() override
    {
        const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = std::filesystem::temp_directory_path() / fmt::format("signet-app-tlsa-{}-{}", ::getpid(), test->name());
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
        auto db = KeyDb::create(dir_ / "signet.db");
        ASSERT_TRUE(db) << db.error().to_string();
        db_.emplace(std::move(*db));
        testing::write_file(dir_ / "example.nl.zone", zone_text);
        zone_.name = "example.nl.";
        zone_.input = dir_ / "example.nl.zone";
        zone_.output = dir_ / "example.nl.signed";
        zone_.policy = "default";
        zone_.created = now;
        auto id = db_->add_zone(zone_);
        ASSERT_TRUE(id) << id.error().to_string();
        zone_.id = *id;

        leaf_ = pki_.issue("mail.example.nl");
        testing::write_file(dir_ / "cert.pem", testing::to_pem(leaf_.cert.get()));
        testing::write_file(dir_ / "ca.pem", testing::to_pem(pki_.ca.get()));
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    TlsaRequest request(std::string host = "mail.example.nl", uint16_t port = 25)
    {
        TlsaRequest r;
        r.host = std::move(host);
        r.port = port;
        r.cert = dir_ / "cert.pem";
        r.chain = dir_ / "ca.pem";
        return r;
    }

    dns::Zone load()
    {
        dns::Diagnostics diagnostics;
        auto zone = dns::load_zone_file(zone_.input, *dns::Name::from_text("example.nl."), diagnostics);
        EXPECT_TRUE(zone) << zone.error().to_string();
        return std::move(zone).value_or(dns::Zone());
    }

    std::vector<tlsa::Record> expected(X509* leaf, X509* ca)
    {
        auto chain = crypto::CertificateChain { crypto::Certificate::share(leaf), crypto::Certificate::share(ca) };
        return *tlsa::derive_records(chain, tlsa::default_specs());
    }

    std::filesystem::path dir_;
    std::optional<KeyDb> db_;
    ZoneEntry zone_;
    testing::TestPki pki_ { now };
    testing::TestPki::Leaf leaf_;
};

TEST_F(TlsaApp, StoreKeepsEveryField)
{
    TlsaBindingEntry binding;
    binding.zone_id = zone_.id;
    binding.host = "Mail.Example.NL";
    binding.port = 25;
    binding.proto = "tcp";
    binding.cert = "/etc/ssl/mail.pem";
    binding.chain = "/etc/ssl/chain.pem";
    binding.records = "3 1 1,2 1 1";
    binding.next_cert = "/etc/ssl/next.pem";
    binding.next_chain = "/etc/ssl/next-chain.pem";
    binding.ttl = 300;
    binding.published = { { std::string("\x03\x01\x01\x00\xff", 5), now - hours(5) } };
    binding.pending = { { std::string("\x03\x01\x01\x00\xff", 5), now - hours(5) }, { "\x02\x01\x01zz", now } };
    binding.pending_at = now;
    binding.created = now - days(3);
    auto id = enforcer::add_tlsa_binding(*db_, binding);
    ASSERT_TRUE(id) << id.error().to_string();
    binding.id = *id;
    binding.host = "mail.example.nl."; // normalised
    auto listed = enforcer::tlsa_bindings_of(*db_, zone_.id);
    ASSERT_TRUE(listed) << listed.error().to_string();
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_EQ(listed->front(), binding);

    // Same host, port and proto: a conflict; another port is fine.
    auto again = enforcer::add_tlsa_binding(*db_, binding);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code(), ErrorCode::Conflict);
    TlsaBindingEntry https = binding;
    https.port = 443;
    https.chain.reset();
    https.next_cert.reset();
    https.next_chain.reset();
    https.published.clear();
    https.pending.clear();
    https.pending_at.reset();
    https.id = *enforcer::add_tlsa_binding(*db_, https);
    listed = enforcer::tlsa_bindings_of(*db_, zone_.id);
    ASSERT_EQ(listed->size(), 2u);
    EXPECT_EQ((*listed)[1], https);

    binding.cert = "/etc/ssl/other.pem";
    binding.pending.clear();
    ASSERT_TRUE(enforcer::update_tlsa_binding(*db_, binding));
    EXPECT_EQ(enforcer::tlsa_bindings_of(*db_, zone_.id)->front(), binding);
    TlsaBindingEntry clash = https;
    clash.port = 25;
    auto clashed = enforcer::update_tlsa_binding(*db_, clash);
    ASSERT_FALSE(clashed);
    EXPECT_EQ(clashed.error().code(), ErrorCode::Conflict);

    TlsaBindingEntry orphan = https;
    orphan.zone_id = 9999;
    orphan.port = 587;
    EXPECT_EQ(enforcer::add_tlsa_binding(*db_, orphan).error().code(), ErrorCode::NotFound);

    ASSERT_TRUE(enforcer::remove_tlsa_binding(*db_, https.id));
    EXPECT_EQ(enforcer::remove_tlsa_binding(*db_, https.id).error().code(), ErrorCode::NotFound);
    // The zone takes its bindings with it.
    ASSERT_TRUE(db_->remove_zone("example.nl"));
    EXPECT_EQ(db_->db().query_int("SELECT count(*) FROM tlsa_binding").value(), 0);
}

TEST_F(TlsaApp, AddBindingChecksOwnerAndFiles)
{
    auto binding = add_binding(*db_, zone_, request("MAIL.example.nl."), Replace::No, now);
    ASSERT_TRUE(binding) << binding.error().to_string();
    EXPECT_EQ(binding->host, "mail.example.nl.");
    EXPECT_EQ(binding->records, "3 1 1,2 1 1");
    EXPECT_EQ(binding_label(*binding), "mail.example.nl. 25/tcp");
    EXPECT_EQ(binding_owner(*binding)->to_text(), "_25._tcp.mail.example.nl.");

    auto outside = add_binding(*db_, zone_, request("mail.example.org"), Replace::No, now);
    ASSERT_FALSE(outside);
    EXPECT_NE(outside.error().to_string().find("outside the zone example.nl."), std::string::npos);

    TlsaRequest missing = request("smtp.example.nl");
    missing.cert = dir_ / "missing.pem";
    auto no_file = add_binding(*db_, zone_, missing, Replace::No, now);
    ASSERT_FALSE(no_file);
    EXPECT_EQ(no_file.error().to_string(), fmt::format("{}: TLSA binding smtp.example.nl. 25/tcp of zone example.nl.: "
                                                       "no such file",
                                                       (dir_ / "missing.pem").string()));

    TlsaRequest bad_records = request("smtp.example.nl");
    bad_records.records = "3 1 1,5 1 1";
    EXPECT_FALSE(add_binding(*db_, zone_, bad_records, Replace::No, now));

    // The same service again: refused, unless replacing, which keeps the
    // publication history.
    auto twice = add_binding(*db_, zone_, request(), Replace::No, now);
    ASSERT_FALSE(twice);
    EXPECT_NE(twice.error().message().find("--replace"), std::string::npos);
    TlsaBindingEntry stored = enforcer::tlsa_bindings_of(*db_, zone_.id)->front();
    stored.published = { { "\x03\x01\x01x", now - days(1) } };
    ASSERT_TRUE(enforcer::update_tlsa_binding(*db_, stored));
    TlsaRequest with_next = request();
    with_next.next_cert = dir_ / "cert.pem";
    auto replaced = add_binding(*db_, zone_, with_next, Replace::Yes, now + hours(1));
    ASSERT_TRUE(replaced) << replaced.error().to_string();
    auto after = enforcer::tlsa_bindings_of(*db_, zone_.id)->front();
    EXPECT_EQ(after.published, stored.published);
    EXPECT_EQ(after.created, stored.created);
    EXPECT_EQ(after.next_cert, dir_ / "cert.pem");
}

TEST_F(TlsaApp, RecordsAreAddedBeforeSigningAndCountOnceWritten)
{
    auto binding = add_binding(*db_, zone_, request(), Replace::No, now);
    ASSERT_TRUE(binding) << binding.error().to_string();
    TlsaRequest https = request("mail.example.nl", 443);
    https.records = "3 0 2";
    https.ttl = 600;
    ASSERT_TRUE(add_binding(*db_, zone_, https, Replace::No, now));

    dns::Zone zone = load();
    const size_t before = zone.size();
    auto added = add_tlsa_records(*db_, zone_, zone, now, std::chrono::minutes(5));
    ASSERT_TRUE(added) << added.error().to_string();
    EXPECT_EQ(zone.size(), before + 2);
    auto smtp = zone.find(*dns::Name::from_text("_25._tcp.mail.example.nl."), dns::RRType::TLSA);
    ASSERT_TRUE(smtp);
    EXPECT_EQ(smtp->ttl(), 3600u);
    std::vector<tlsa::Record> got;
    for (auto rdata : smtp->rdatas())
        got.push_back(*tlsa::from_rdata(rdata));
    auto want = expected(leaf_.cert.get(), pki_.ca.get());
    std::ranges::sort(got, {}, [](const tlsa::Record& r) { return tlsa::to_rdata(r); });
    std::ranges::sort(want, {}, [](const tlsa::Record& r) { return tlsa::to_rdata(r); });
    EXPECT_EQ(got, want);
    auto web = zone.find(*dns::Name::from_text("_443._tcp.mail.example.nl."), dns::RRType::TLSA);
    ASSERT_TRUE(web);
    EXPECT_EQ(web->ttl(), 600u);
    EXPECT_EQ(web->size(), 1u);
    // The rest of the zone is as it was.
    EXPECT_TRUE(zone.find(*dns::Name::from_text("ns.sub.example.nl."), dns::RRType::A));
    EXPECT_EQ(zone.find(*dns::Name::from_text("sub.example.nl."), dns::RRType::NS)->role(), dns::Role::Delegation);

    // Pending until the zone says this signing was written.
    auto stored = enforcer::tlsa_bindings_of(*db_, zone_.id)->front();
    EXPECT_EQ(stored.pending_at, now);
    EXPECT_EQ(stored.pending.size(), 2u);
    EXPECT_TRUE(published_records(stored, zone_).empty());
    ZoneEntry signed_zone = zone_;
    signed_zone.signed_at = now;
    auto published = published_records(stored, signed_zone);
    ASSERT_EQ(published.size(), 2u);
    EXPECT_EQ(published[0].since, now);

    // The next signing, an hour later, keeps the records' first time.
    dns::Zone again = load();
    ASSERT_TRUE(add_tlsa_records(*db_, signed_zone, again, now + hours(1), std::chrono::minutes(5)));
    stored = enforcer::tlsa_bindings_of(*db_, zone_.id)->front();
    EXPECT_EQ(stored.published.size(), 2u);
    EXPECT_EQ(stored.pending_at, now + hours(1));
    for (const auto& p : stored.pending)
        EXPECT_EQ(p.since, now);
    // If that signing fails (signed_at stays), its pending records never count.
    EXPECT_EQ(published_records(stored, signed_zone)[0].since, now);
}

TEST_F(TlsaApp, RefusalsChangeNothing)
{
    auto check_refused = [&](const TlsaBindingEntry& binding, std::string_view text, const std::string& file) {
        ASSERT_TRUE(enforcer::update_tlsa_binding(*db_, binding));
        auto before = enforcer::tlsa_bindings_of(*db_, zone_.id).value();
        dns::Zone zone = load();
        const size_t size = zone.size();
        auto added = add_tlsa_records(*db_, zone_, zone, now, std::chrono::minutes(5));
        ASSERT_FALSE(added) << text;
        const std::string message = added.error().to_string();
        EXPECT_NE(message.find(text), std::string::npos) << message;
        EXPECT_EQ(message.rfind(file, 0), 0u) << message; // the file to blame comes first
        EXPECT_NE(message.find(binding_label(binding)), std::string::npos) << message;
        EXPECT_EQ(zone.size(), size);
        EXPECT_EQ(enforcer::tlsa_bindings_of(*db_, zone_.id).value(), before);
    };
    auto binding = *add_binding(*db_, zone_, request(), Replace::No, now);

    // A TLSA RRset of the zone file at the owner.
    testing::write_file(
        zone_.input, std::string(zone_text) + "_25._tcp.mail IN TLSA 3 1 1 " + std::string(64, 'a') + "\n");
    check_refused(binding, "has a TLSA RRset at _25._tcp.mail.example.nl. already", zone_.input.string() + ": ");
    testing::write_file(zone_.input, zone_text);

    TlsaBindingEntry below = binding;
    below.host = "mx.sub.example.nl.";
    check_refused(below, "below the delegation sub.example.nl.", zone_.input.string());

    TlsaBindingEntry cname_owner = binding;
    cname_owner.host = "www.example.nl.";
    cname_owner.port = 443;
    testing::write_file(zone_.input, std::string(zone_text) + "_443._tcp.www CNAME mail\n");
    check_refused(cname_owner, "CNAME", zone_.input.string());
    testing::write_file(zone_.input, zone_text);

    TlsaBindingEntry outside = binding;
    outside.host = "mail.example.org.";
    check_refused(outside, "outside the zone", "TLSA binding mail.example.org. 25/tcp");
}

TEST_F(TlsaApp, ACertificateThatCannotBeReadKeepsThePublishedRecords)
{
    auto binding = *add_binding(*db_, zone_, request(), Replace::No, now);
    const dns::Name root;
    const dns::Name owner = *dns::Name::from_text("_25._tcp.mail.example.nl.", &root);
    auto tlsa_of = [&](const dns::Zone& zone) {
        std::vector<std::string> out;
        if (auto rrset = zone.find(owner, dns::RRType::TLSA)) {
            for (std::string_view rdata : rrset->rdatas())
                out.emplace_back(rdata);
        }
        return out;
    };
    dns::Zone first = load();
    ASSERT_TRUE(add_tlsa_records(*db_, zone_, first, now, std::chrono::minutes(5)));
    zone_.signed_at = now; // as the pipeline does once the output is written
    const auto published = tlsa_of(first);
    ASSERT_FALSE(published.empty());
    // The binding as that signing left it: each case starts from it.
    const TlsaBindingEntry settled = enforcer::tlsa_bindings_of(*db_, zone_.id).value().front();

    auto expired = pki_.issue("mail.example.nl", now - days(1), 11, now - days(90));
    testing::write_file(dir_ / "expired.pem", testing::to_pem(expired.cert.get()));
    testing::write_file(dir_ / "unreadable.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    struct Case {
        std::string what;
        std::filesystem::path file;
        bool next;
    };
    const TimePoint later = now + days(2);
    for (const auto& c : { Case { "expired", dir_ / "expired.pem", false },
                           Case { "no such file", dir_ / "gone.pem", false },
                           Case { "not a valid certificate", dir_ / "unreadable.pem", false },
                           Case { "the next certificate", dir_ / "gone.pem", true } }) {
        TlsaBindingEntry broken = settled;
        if (c.next)
            broken.next_cert = c.file;
        else
            broken.cert = c.file;
        ASSERT_TRUE(enforcer::update_tlsa_binding(*db_, broken));
        dns::Zone zone = load();
        auto alarms = add_tlsa_records(*db_, zone_, zone, later, std::chrono::minutes(5));
        ASSERT_TRUE(alarms) << c.what << ": " << alarms.error().to_string();
        ASSERT_EQ(alarms->size(), 1u) << c.what;
        const std::string& alarm = alarms->front();
        EXPECT_EQ(alarm.rfind(c.file.string(), 0), 0u) << alarm; // the file to blame comes first
        EXPECT_NE(alarm.find(c.what), std::string::npos) << alarm;
        EXPECT_NE(alarm.find(binding_label(binding)), std::string::npos) << alarm;
        EXPECT_NE(alarm.find("last published TLSA records are kept"), std::string::npos) << alarm;
        // What clients hold keeps validating the service.
        EXPECT_EQ(tlsa_of(zone), published) << c.what;
        ASSERT_TRUE(enforcer::update_tlsa_binding(*db_, settled)); // repaired for the next case
    }

    // A binding never published has nothing to keep: the zone is signed
    // without its records, and says so.
    TlsaRequest fresh = request();
    fresh.host = "smtp.example.nl";
    fresh.cert = dir_ / "gone-too.pem";
    ASSERT_FALSE(add_binding(*db_, zone_, fresh, Replace::No, now)); // refused at once when added...
    TlsaBindingEntry unpublished = settled;
    unpublished.id = 0;
    unpublished.host = "smtp.example.nl.";
    unpublished.cert = dir_ / "gone-too.pem";
    unpublished.published.clear();
    unpublished.pending.clear();
    unpublished.pending_at.reset();
    ASSERT_TRUE(enforcer::add_tlsa_binding(*db_, unpublished)); // ...but its file may go later
    dns::Zone zone = load();
    auto alarms = add_tlsa_records(*db_, zone_, zone, later, std::chrono::minutes(5));
    ASSERT_TRUE(alarms) << alarms.error().to_string();
    ASSERT_EQ(alarms->size(), 1u);
    EXPECT_NE(alarms->front().find("none are published until its certificate can be read"), std::string::npos)
        << alarms->front();
    EXPECT_FALSE(zone.find(*dns::Name::from_text("_25._tcp.smtp.example.nl.", &root), dns::RRType::TLSA));
    EXPECT_EQ(tlsa_of(zone), published);
}

TEST_F(TlsaApp, StatusFollowsTheRollover)
{
    testing::TestPki new_ca(now, "New CA");
    auto next = new_ca.issue("mail.example.nl");
    testing::write_file(dir_ / "next.pem", testing::to_pem(next.cert.get()));
    testing::write_file(dir_ / "new-ca.pem", testing::to_pem(new_ca.ca.get()));
    ASSERT_TRUE(add_binding(*db_, zone_, request(), Replace::No, now));

    auto sign = [&](TimePoint at) {
        dns::Zone zone = load();
        ASSERT_TRUE(add_tlsa_records(*db_, zone_, zone, at, std::chrono::minutes(5)));
        zone_.signed_at = at; // as the pipeline does once the output is written
    };
    sign(now);
    auto status = tlsa_status(*db_, zone_, std::chrono::minutes(5), now + hours(1));
    ASSERT_TRUE(status) << status.error().to_string();
    ASSERT_EQ(status->size(), 1u);
    EXPECT_EQ(status->front().plan.switch_state, tlsa::SwitchState::NoNext);
    EXPECT_FALSE(status->front().problem);

    TlsaRequest with_next = request();
    with_next.next_cert = dir_ / "next.pem";
    with_next.next_chain = dir_ / "new-ca.pem";
    ASSERT_TRUE(add_binding(*db_, zone_, with_next, Replace::Yes, now + hours(2)));
    status = tlsa_status(*db_, zone_, std::chrono::minutes(5), now + hours(2));
    EXPECT_EQ(status->front().plan.switch_state, tlsa::SwitchState::SignFirst);
    EXPECT_TRUE(status->front().ca_change);
    EXPECT_EQ(status->front().plan.to_publish.size(), 4u);

    sign(now + hours(2));
    status = tlsa_status(*db_, zone_, std::chrono::minutes(5), now + hours(2) + std::chrono::minutes(30));
    EXPECT_EQ(status->front().plan.switch_state, tlsa::SwitchState::Wait);
    EXPECT_EQ(status->front().plan.switch_at, now + hours(3) + std::chrono::minutes(5));

    // Nobody listens on the service here: which certificate it presents
    // cannot be seen, so dropping the old records is refused, before and
    // after the next records are everywhere, unless forced.
    LiveOptions live;
    live.connect = "127.0.0.1:1";
    live.timeout = std::chrono::seconds(5);
    auto binding = enforcer::tlsa_bindings_of(*db_, zone_.id)->front();
    auto early = drop_old_certificate(*db_, zone_, binding, std::chrono::minutes(5), live, Force::No,
                                      now + hours(3));
    ASSERT_FALSE(early);
    EXPECT_NE(early.error().message().find("cannot reach the service"), std::string::npos) << early.error().message();
    EXPECT_EQ(enforcer::tlsa_bindings_of(*db_, zone_.id)->front(), binding);

    auto unchecked = drop_old_certificate(*db_, zone_, binding, std::chrono::minutes(5), live, Force::No,
                                          now + hours(4));
    ASSERT_FALSE(unchecked);
    EXPECT_NE(unchecked.error().message().find("in every cache"), std::string::npos) << unchecked.error().message();
    EXPECT_EQ(enforcer::tlsa_bindings_of(*db_, zone_.id)->front(), binding);
    auto dropped = drop_old_certificate(*db_, zone_, binding, std::chrono::minutes(5), live, Force::Yes,
                                        now + hours(4));
    ASSERT_TRUE(dropped) << dropped.error().to_string();
    EXPECT_EQ(dropped->dropped, expected(leaf_.cert.get(), pki_.ca.get()));
    auto after = enforcer::tlsa_bindings_of(*db_, zone_.id)->front();
    EXPECT_EQ(after.cert, dir_ / "next.pem");
    EXPECT_EQ(after.chain, dir_ / "new-ca.pem");
    EXPECT_FALSE(after.next_cert);

    status = tlsa_status(*db_, zone_, std::chrono::minutes(5), now + hours(4));
    int leaving = 0;
    for (const auto& r : status->front().plan.records)
        leaving += r.role == tlsa::RecordRole::Leaving;
    EXPECT_EQ(leaving, 2);
    sign(now + hours(4));
    status = tlsa_status(*db_, zone_, std::chrono::minutes(5), now + hours(5));
    EXPECT_EQ(status->front().plan.records.size(), 2u);
    EXPECT_EQ(status->front().plan.to_publish, expected(next.cert.get(), new_ca.ca.get()));

    // Without a next certificate there is nothing to drop.
    EXPECT_EQ(drop_old_certificate(*db_, zone_, after, std::chrono::minutes(5), live, Force::No, now + hours(5))
                  .error()
                  .code(),
              ErrorCode::Usage);
    // A binding whose service cannot be reached is removed.
    auto removed = remove_binding(*db_, zone_, after, live, Force::No, now + hours(5));
    ASSERT_TRUE(removed) << removed.error().to_string();
    EXPECT_NE(removed->live.find("could not check"), std::string::npos);
    EXPECT_TRUE(enforcer::tlsa_bindings_of(*db_, zone_.id)->empty());
}

} // namespace
} // namespace signet::app::tlsa_test

namespace signet::app::tlsa_test {
namespace {

// The TLSA records of `zone` at the binding's owner, in wire order.
std::vector<tlsa::Record> tlsa_at(const dns::Zone& zone, std::string_view owner)
{
    std::vector<tlsa::Record> out;
    if (auto rrset = zone.find(*dns::Name::from_text(owner), dns::RRType::TLSA)) {
        for (auto rdata : rrset->rdatas())
            out.push_back(*tlsa::from_rdata(rdata));
    }
    std::ranges::sort(out, {}, [](const tlsa::Record& r) { return tlsa::to_rdata(r); });
    return out;
}

std::vector<tlsa::Record> sorted(std::vector<tlsa::Record> records)
{
    std::ranges::sort(records, {}, [](const tlsa::Record& r) { return tlsa::to_rdata(r); });
    return records;
}

TEST_F(TlsaApp, KeyAndIssuerReplacedInPlaceKeepTheOldRecordsAndRaiseAnAlarm)
{
    ASSERT_TRUE(add_binding(*db_, zone_, request(), Replace::No, now));
    auto sign = [&](TimePoint at) {
        dns::Zone zone = load();
        auto alarms = add_tlsa_records(*db_, zone_, zone, at, std::chrono::minutes(5));
        EXPECT_TRUE(alarms) << alarms.error().to_string();
        zone_.signed_at = at;
        return std::pair(std::move(zone), alarms.value_or(std::vector<std::string> {}));
    };
    auto [first, none] = sign(now);
    EXPECT_TRUE(none.empty());
    const auto old_records = expected(leaf_.cert.get(), pki_.ca.get());

    // The same files now hold a new key from a new CA.
    testing::TestPki new_ca(now, "Other CA");
    auto replaced = new_ca.issue("mail.example.nl");
    testing::write_file(dir_ / "cert.pem", testing::to_pem(replaced.cert.get()));
    testing::write_file(dir_ / "ca.pem", testing::to_pem(new_ca.ca.get()));
    const auto new_records = expected(replaced.cert.get(), new_ca.ca.get());

    auto [changed, alarms] = sign(now + hours(1));
    ASSERT_EQ(alarms.size(), 1u);
    EXPECT_NE(alarms[0].find("both changed"), std::string::npos) << alarms[0];
    std::vector<tlsa::Record> both = old_records;
    both.insert(both.end(), new_records.begin(), new_records.end());
    EXPECT_EQ(tlsa_at(changed, "_25._tcp.mail.example.nl."), sorted(both));

    // Still inside one TTL plus the propagation delay: the old ones stay,
    // without a second alarm.
    auto [later, quiet] = sign(now + hours(1) + std::chrono::minutes(30));
    EXPECT_TRUE(quiet.empty());
    EXPECT_EQ(tlsa_at(later, "_25._tcp.mail.example.nl."), sorted(both));
    // Once the new ones are in every cache, the old ones go.
    auto [settled, done] = sign(now + hours(3));
    EXPECT_TRUE(done.empty());
    EXPECT_EQ(tlsa_at(settled, "_25._tcp.mail.example.nl."), sorted(new_records));
}

TEST_F(TlsaApp, FullChainFileStartingWithTheCertificateIsAccepted)
{
    // certbot's fullchain.pem: the end-entity certificate, then its issuer.
    testing::write_file(dir_ / "fullchain.pem",
                        testing::to_pem(leaf_.cert.get()) + testing::to_pem(pki_.ca.get()));
    TlsaRequest r = request();
    r.chain = dir_ / "fullchain.pem";
    ASSERT_TRUE(add_binding(*db_, zone_, r, Replace::No, now));
    dns::Zone zone = load();
    ASSERT_TRUE(add_tlsa_records(*db_, zone_, zone, now, std::chrono::minutes(5)));
    // 2 1 1 is the issuer's, not a second copy of the end-entity's key.
    EXPECT_EQ(tlsa_at(zone, "_25._tcp.mail.example.nl."), sorted(expected(leaf_.cert.get(), pki_.ca.get())));
}

} // namespace
} // namespace signet::app::tlsa_test
