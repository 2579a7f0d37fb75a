#include <gtest/gtest.h>

#include <unistd.h>

#include <fmt/format.h>

#include <signet/tlsa/derive.h>
#include <signet/tlsa/match.h>

#include "../fixtures/certs.h"

namespace signet::tlsa::match_test {
namespace {

using std::chrono::days;

const TimePoint now = TimePoint(std::chrono::seconds(1790000000));

crypto::CertificateChain chain_of(std::initializer_list<X509*> certs)
{
    crypto::CertificateChain chain;
    for (X509* cert : certs)
        chain.push_back(crypto::Certificate::share(cert));
    return chain;
}

Record record_for(X509* cert, CertUsage usage, Selector selector = Selector::Spki,
                  MatchingType matching = MatchingType::Sha256)
{
    return { { usage, selector, matching }, association_data(crypto::Certificate::share(cert), selector, matching) };
}

MatchOptions options(std::string host = "mail.example.nl")
{
    MatchOptions o;
    o.host = std::move(host);
    o.now = now;
    return o;
}

RecordVerdict only(const ChainCheck& check)
{
    EXPECT_EQ(check.records.size(), 1u);
    return check.records.empty() ? RecordVerdict {} : check.records.front();
}

TEST(TlsaMatch, DaneEeMatchesTheKeyAndIgnoresNamesAndDates)
{
    testing::TestPki pki(now);
    auto leaf = pki.issue("mail.example.nl");
    auto chain = chain_of({ leaf.cert.get(), pki.ca.get() });

    for (auto selector : { Selector::Cert, Selector::Spki }) {
        for (auto matching : { MatchingType::Full, MatchingType::Sha256, MatchingType::Sha512 }) {
            auto verdict = only(check_chain({ record_for(leaf.cert.get(), CertUsage::DaneEe, selector, matching) },
                                            chain, options()));
            EXPECT_EQ(verdict.verdict, Verdict::Match) << verdict.reason;
            EXPECT_EQ(verdict.depth, 0u);
        }
    }
    // Another name, and a certificate that expired: still a match (RFC 7671 §5.1).
    auto expired = pki.issue("elsewhere.example.org", now - days(2), 7, now - days(100));
    auto expired_check = check_chain({ record_for(expired.cert.get(), CertUsage::DaneEe) },
                                     chain_of({ expired.cert.get(), pki.ca.get() }), options());
    EXPECT_EQ(only(expired_check).verdict, Verdict::Match) << only(expired_check).reason;
    ASSERT_EQ(expired_check.warnings.size(), 1u);
    EXPECT_NE(expired_check.warnings[0].find("expired"), std::string::npos) << expired_check.warnings[0];
    EXPECT_TRUE(expired_check.matched());

    // Another key does not match; a record of the CA hints at the usage.
    auto other = pki.issue("mail.example.nl");
    auto mismatch = only(check_chain({ record_for(other.cert.get(), CertUsage::DaneEe) }, chain, options()));
    EXPECT_EQ(mismatch.verdict, Verdict::Mismatch);
    auto ca_as_ee = only(check_chain({ record_for(pki.ca.get(), CertUsage::DaneEe) }, chain, options()));
    EXPECT_EQ(ca_as_ee.verdict, Verdict::Mismatch);
    EXPECT_NE(ca_as_ee.reason.find("DANE-TA(2) record?"), std::string::npos) << ca_as_ee.reason;
}

TEST(TlsaMatch, DaneTaNeedsTheAnchorInTheChainAndAValidPath)
{
    testing::TestPki pki(now);
    auto leaf = pki.issue("mail.example.nl");
    auto chain = chain_of({ leaf.cert.get(), pki.ca.get() });
    const Record ta = record_for(pki.ca.get(), CertUsage::DaneTa);

    auto good = only(check_chain({ ta }, chain, options()));
    EXPECT_EQ(good.verdict, Verdict::Match) << good.reason;
    EXPECT_EQ(good.depth, 1u);
    auto full = only(check_chain({ record_for(pki.ca.get(), CertUsage::DaneTa, Selector::Cert, MatchingType::Full) },
                                 chain, options()));
    EXPECT_EQ(full.verdict, Verdict::Match) << full.reason;

    // DANE-TA checks the name (RFC 7672 §3.2.3) ...
    auto wrong_name = only(check_chain({ ta }, chain, options("mx.example.org")));
    EXPECT_EQ(wrong_name.verdict, Verdict::Mismatch);
    EXPECT_NE(wrong_name.reason.find("mismatch"), std::string::npos) << wrong_name.reason;
    // ... and the dates.
    auto expired = pki.issue("mail.example.nl", now - days(1), 9, now - days(100));
    auto old = only(check_chain({ ta }, chain_of({ expired.cert.get(), pki.ca.get() }), options()));
    EXPECT_EQ(old.verdict, Verdict::Mismatch);
    EXPECT_NE(old.reason.find("expired"), std::string::npos) << old.reason;

    // The anchor must be in the presented chain.
    auto missing = only(check_chain({ ta }, chain_of({ leaf.cert.get() }), options()));
    EXPECT_EQ(missing.verdict, Verdict::Mismatch);
    EXPECT_NE(missing.reason.find("must send its chain"), std::string::npos) << missing.reason;

    // Another CA's record does not match, even if that CA signed nothing here.
    testing::TestPki other(now, "Another CA");
    EXPECT_EQ(only(check_chain({ record_for(other.ca.get(), CertUsage::DaneTa) }, chain, options())).verdict,
              Verdict::Mismatch);
    // A CA that presents itself in the chain without having issued the leaf.
    auto forged = only(check_chain({ record_for(other.ca.get(), CertUsage::DaneTa) },
                                   chain_of({ leaf.cert.get(), other.ca.get() }), options()));
    EXPECT_EQ(forged.verdict, Verdict::Mismatch);
    EXPECT_NE(forged.reason.find("does not verify"), std::string::npos) << forged.reason;
}

TEST(TlsaMatch, DaneTaAtAnyDepthOfALongerChain)
{
    testing::TestPki pki(now, "Root");
    auto intermediate_key = testing::make_key();
    auto intermediate = testing::make_cert({ "Intermediate", {}, true, now - days(1), now + days(900), 5 },
                                           intermediate_key.get(), pki.ca.get(), pki.ca_key.get());
    auto leaf_key = testing::make_key();
    auto leaf = testing::make_cert({ "www.example.nl", { "www.example.nl" }, false, now - days(1), now + days(20), 6 },
                                   leaf_key.get(), intermediate.get(), intermediate_key.get());
    auto chain = chain_of({ leaf.get(), intermediate.get(), pki.ca.get() });

    auto check = check_chain({ record_for(intermediate.get(), CertUsage::DaneTa),
                               record_for(pki.ca.get(), CertUsage::DaneTa, Selector::Cert, MatchingType::Sha512) },
                             chain, options("www.example.nl"));
    ASSERT_EQ(check.records.size(), 2u);
    EXPECT_EQ(check.records[0].verdict, Verdict::Match) << check.records[0].reason;
    EXPECT_EQ(check.records[0].depth, 1u);
    EXPECT_EQ(check.records[1].verdict, Verdict::Match) << check.records[1].reason;
    EXPECT_EQ(check.records[1].depth, 2u);
    // The leaf expires in 20 days: a warning.
    ASSERT_EQ(check.warnings.size(), 1u);
    EXPECT_NE(check.warnings[0].find("depth 0"), std::string::npos);
    EXPECT_NE(check.warnings[0].find("in 20 days"), std::string::npos) << check.warnings[0];
}

class TlsaMatchPkix : public ::testing::Test {
protected:
    void SetUp() override
    {
        dir_ = std::filesystem::temp_directory_path() / fmt::format("signet-match-{}", ::getpid());
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::filesystem::path dir_;
};

TEST_F(TlsaMatchPkix, PkixUsagesNeedATrustedRootAndAreUnusableForSmtp)
{
    testing::TestPki pki(now);
    auto leaf = pki.issue("mail.example.nl");
    auto chain = chain_of({ leaf.cert.get(), pki.ca.get() });
    const Record pkix_ta = record_for(pki.ca.get(), CertUsage::PkixTa);
    const Record pkix_ee = record_for(leaf.cert.get(), CertUsage::PkixEe);

    MatchOptions smtp = options();
    smtp.smtp = true;
    auto unusable = check_chain({ pkix_ta, pkix_ee }, chain, smtp);
    for (const auto& verdict : unusable.records) {
        EXPECT_EQ(verdict.verdict, Verdict::Unusable);
        EXPECT_NE(verdict.reason.find("RFC 7672"), std::string::npos);
    }
    EXPECT_FALSE(unusable.matched());

    // Our test CA is in no system store.
    auto untrusted = check_chain({ pkix_ta, pkix_ee }, chain, options());
    for (const auto& verdict : untrusted.records) {
        EXPECT_EQ(verdict.verdict, Verdict::Mismatch);
        EXPECT_NE(verdict.reason.find("PKIX validation"), std::string::npos) << verdict.reason;
    }

    testing::write_file(dir_ / "roots.pem", testing::to_pem(pki.ca.get()));
    MatchOptions trusted = options();
    trusted.pkix_ca_file = dir_ / "roots.pem";
    auto valid = check_chain({ pkix_ta, pkix_ee }, chain, trusted);
    ASSERT_EQ(valid.records.size(), 2u);
    EXPECT_EQ(valid.records[0].verdict, Verdict::Match) << valid.records[0].reason;
    EXPECT_EQ(valid.records[1].verdict, Verdict::Match) << valid.records[1].reason;
    // PKIX-EE checks the name, unlike DANE-EE.
    EXPECT_EQ(only(check_chain({ pkix_ee }, chain, [&] {
                  auto o = trusted;
                  o.host = "other.example.nl";
                  return o;
              }())).verdict,
              Verdict::Mismatch);
}

TEST(TlsaMatch, NothingPresentedMatchesNothing)
{
    testing::TestPki pki(now);
    auto check = check_chain({ record_for(pki.ca.get(), CertUsage::DaneTa) }, {}, options());
    EXPECT_FALSE(check.matched());
    EXPECT_EQ(only(check).reason, "the server presented no certificate");
    EXPECT_FALSE(check_chain({}, chain_of({ pki.ca.get() }), options()).matched());
}

} // namespace
} // namespace signet::tlsa::match_test
