#include <gtest/gtest.h>

#include <unistd.h>

#include <fmt/format.h>
#include <openssl/evp.h>

#include <signet/dns/rdata.h>
#include <signet/tlsa/derive.h>

#include "../fixtures/certs.h"

namespace signet::tlsa::derive_test {
namespace {

const std::filesystem::path data = std::filesystem::path(SIGNET_TEST_DATA) / "tlsa";

Bytes hex(std::string_view text) { return *dns::from_hex(text); }

TimePoint at(int64_t seconds) { return TimePoint(std::chrono::seconds(seconds)); }

const TimePoint now = at(1790000000); // 2026-09-21

// Digests computed with OpenSSL's EVP interface directly.
Bytes openssl_digest(const EVP_MD* md, const std::string& data)
{
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(data.data(), data.size(), out, &length, md, nullptr);
    return Bytes(reinterpret_cast<const char*>(out), length);
}

// Expected values from the openssl command line (tests/data/tlsa/README.md).
struct KnownAnswer {
    const char* file;
    Selector selector;
    MatchingType matching;
    const char* hex;
};

TEST(TlsaDerive, KnownAnswersFromTheOpensslCommandLine)
{
    const KnownAnswer answers[] = {
        { "leaf.pem", Selector::Cert, MatchingType::Sha256,
          "3452192ef1c2d6bb95c3804f7f4d057eedef3df211f6673b5c1f88f360e3f8f0" },
        { "leaf.pem", Selector::Cert, MatchingType::Sha512,
          "4961297c38f8c50b6429e877922300515bd5a2d4945b192bd0272a405c930fe2abafe4c3e64658625d12338d8f26b1361be774a79f10"
          "487514ed691e8547ca26" },
        { "leaf.pem", Selector::Spki, MatchingType::Sha256,
          "5f12c23b271d6eec99912c444f6e7a8e89f0ee69e973bff051b4a1dfe9d0b13c" },
        { "leaf.pem", Selector::Spki, MatchingType::Sha512,
          "f4642d9afa5948e8a3b6c7c623ac6fdfda5c0f15eecce65017d9dd1ad7a581deda678f565e59cd871725816d6621097fa1945cfe89f8"
          "242feec1d3188cfb6c34" },
        { "leaf.pem", Selector::Spki, MatchingType::Full,
          "3059301306072a8648ce3d020106082a8648ce3d030107034200045c3dce84237ef081a3f3789064d6b12640348a0b103f8a4a9af198"
          "56e2a4038ff07a3432b934a849a245d9ee9b69a6ccdcbc23146a0954ff344520c22594f8a8" },
        { "ca.pem", Selector::Cert, MatchingType::Sha256,
          "0d10d9410905ee01d17eea36b97b7d16f04f54bff559f6d127fbdf9bfcbb6a25" },
        { "ca.pem", Selector::Cert, MatchingType::Sha512,
          "418ed4a8bacac1c10a4de600807ec1a8917b0e4f9f330f25aad32931dddb462e68b08723e3d6f59fc9a8b0cf8d6cad0ff50416670cd8"
          "a67e5bd7edbb162949ab" },
        { "ca.pem", Selector::Spki, MatchingType::Sha256,
          "11da742d35e52a63c8b3a68fd00769241c47e6a5eba4af0e2c383d063909e62f" },
        { "ca.pem", Selector::Spki, MatchingType::Sha512,
          "97488fd359441a00f3d9a8098c89f7e278a7a46fcd3c385099898f6a871c30fbce8c11333d5c071dea74c0cfb28cd17e34b98b239fe9"
          "b9ebfac942418361be8b" },
    };
    for (const auto& answer : answers) {
        auto chain = crypto::load_certificates(data / answer.file);
        ASSERT_TRUE(chain) << chain.error().to_string();
        ASSERT_EQ(chain->size(), 1u);
        EXPECT_EQ(association_data(chain->front(), answer.selector, answer.matching), hex(answer.hex))
            << answer.file << " " << static_cast<int>(answer.selector) << " " << static_cast<int>(answer.matching);
    }
    // The DER file is the same certificate.
    auto der = crypto::load_certificates(data / "leaf.der");
    ASSERT_TRUE(der) << der.error().to_string();
    EXPECT_EQ(association_data(der->front(), Selector::Cert, MatchingType::Sha256),
              hex("3452192ef1c2d6bb95c3804f7f4d057eedef3df211f6673b5c1f88f360e3f8f0"));
}

// With the chain file, usages 1 and 3 are about the first certificate and
// usages 0 and 2 about the second (its issuer).
TEST(TlsaDerive, UsagesPickTheirCertificateFromAChainFile)
{
    auto chain = load_chain({ data / "chain.pem", std::nullopt });
    ASSERT_TRUE(chain) << chain.error().to_string();
    ASSERT_EQ(chain->size(), 2u);
    const Bytes leaf_spki = hex("5f12c23b271d6eec99912c444f6e7a8e89f0ee69e973bff051b4a1dfe9d0b13c");
    const Bytes ca_spki = hex("11da742d35e52a63c8b3a68fd00769241c47e6a5eba4af0e2c383d063909e62f");
    for (auto usage : { CertUsage::PkixTa, CertUsage::PkixEe, CertUsage::DaneTa, CertUsage::DaneEe }) {
        auto record = derive_record(*chain, { usage, Selector::Spki, MatchingType::Sha256 });
        ASSERT_TRUE(record) << record.error().to_string();
        const bool ta = usage == CertUsage::PkixTa || usage == CertUsage::DaneTa;
        EXPECT_EQ(record->data, ta ? ca_spki : leaf_spki) << static_cast<int>(usage);
        EXPECT_EQ(record->spec.usage, usage);
    }
    // The same from a certificate file and a separate chain file.
    auto split = load_chain({ data / "leaf.pem", data / "ca.pem" });
    ASSERT_TRUE(split);
    EXPECT_EQ(derive_record(*split, { CertUsage::DaneTa, Selector::Spki, MatchingType::Sha256 })->data, ca_spki);
    auto records = derive_records(*split, default_specs());
    ASSERT_TRUE(records);
    ASSERT_EQ(records->size(), 2u);
    EXPECT_EQ((*records)[0].data, leaf_spki);
    EXPECT_EQ((*records)[1].data, ca_spki);
}

TEST(TlsaDerive, TaUsagesNeedTheIssuer)
{
    auto alone = load_chain({ data / "leaf.pem", std::nullopt });
    ASSERT_TRUE(alone);
    auto no_issuer = derive_record(*alone, { CertUsage::DaneTa, Selector::Spki, MatchingType::Sha256 });
    ASSERT_FALSE(no_issuer);
    EXPECT_NE(no_issuer.error().message().find("--chain"), std::string::npos) << no_issuer.error().message();
    EXPECT_TRUE(derive_record(*alone, { CertUsage::DaneEe, Selector::Spki, MatchingType::Sha256 }));

    // The CA first, then the leaf: the second did not issue the first.
    auto reversed = load_chain({ data / "ca.pem", data / "leaf.pem" });
    ASSERT_TRUE(reversed);
    auto wrong = derive_record(*reversed, { CertUsage::PkixTa, Selector::Cert, MatchingType::Sha256 });
    ASSERT_FALSE(wrong);
    EXPECT_NE(wrong.error().message().find("did not issue"), std::string::npos) << wrong.error().message();
}

class TlsaDeriveFiles : public ::testing::Test {
protected:
    void SetUp() override
    {
        const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = std::filesystem::temp_directory_path() / fmt::format("signet-tlsa-{}-{}", ::getpid(), test->name());
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::filesystem::path dir_;
};

// Every selector and matching type, for the end-entity certificate and its
// CA, against values OpenSSL computes from the DER certificate and from the
// key itself (i2d_PUBKEY, not the certificate's copy of it).
TEST_F(TlsaDeriveFiles, EverySelectorAndMatchingTypeAgainstOpenssl)
{
    testing::TestPki pki(now);
    auto leaf = pki.issue("mail.example.nl");
    testing::write_file(dir_ / "leaf.pem", testing::to_pem(leaf.cert.get()));
    testing::write_file(dir_ / "ca.pem", testing::to_pem(pki.ca.get()));
    struct Subject {
        CertUsage usage;
        X509* cert;
        EVP_PKEY* key;
    };
    for (const Subject subject : { Subject { CertUsage::DaneEe, leaf.cert.get(), leaf.key.get() },
                                   Subject { CertUsage::PkixEe, leaf.cert.get(), leaf.key.get() },
                                   Subject { CertUsage::DaneTa, pki.ca.get(), pki.ca_key.get() },
                                   Subject { CertUsage::PkixTa, pki.ca.get(), pki.ca_key.get() } }) {
        const std::string der = testing::to_der(subject.cert);
        const std::string spki = testing::spki_of_key(subject.key);
        for (auto selector : { Selector::Cert, Selector::Spki }) {
            const std::string& content = selector == Selector::Cert ? der : spki;
            for (auto matching : { MatchingType::Full, MatchingType::Sha256, MatchingType::Sha512 }) {
                Bytes expected = matching == MatchingType::Full ? content
                    : matching == MatchingType::Sha256          ? openssl_digest(EVP_sha256(), content)
                                                                : openssl_digest(EVP_sha512(), content);
                RecordSpec spec { subject.usage, selector, matching };
                auto records = derive_from_files({ dir_ / "leaf.pem", dir_ / "ca.pem" }, { spec }, now);
                ASSERT_TRUE(records) << records.error().to_string();
                ASSERT_EQ(records->size(), 1u);
                EXPECT_EQ(records->front().data, expected) << spec_to_text(spec);
                EXPECT_EQ(records->front().spec, spec);
            }
        }
    }
}

TEST_F(TlsaDeriveFiles, ErrorsNameTheFile)
{
    testing::TestPki pki(now);
    auto leaf = pki.issue("mail.example.nl");
    auto expired = pki.issue("old.example.nl", now - std::chrono::hours(1), 3, now - std::chrono::days(90));
    testing::write_file(dir_ / "leaf.pem", testing::to_pem(leaf.cert.get()));
    testing::write_file(dir_ / "expired.pem", testing::to_pem(expired.cert.get()));
    testing::write_file(dir_ / "ca.pem", testing::to_pem(pki.ca.get()));

    auto missing = derive_from_files({ dir_ / "nope.pem", std::nullopt }, default_specs(), now);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().to_string(), (dir_ / "nope.pem").string() + ": no such file");

    auto missing_chain = derive_from_files({ dir_ / "leaf.pem", dir_ / "nochain.pem" }, default_specs(), now);
    ASSERT_FALSE(missing_chain);
    EXPECT_EQ(missing_chain.error().where()->file, (dir_ / "nochain.pem").string());

    auto old = derive_from_files({ dir_ / "expired.pem", dir_ / "ca.pem" }, default_specs(), now);
    ASSERT_FALSE(old);
    EXPECT_EQ(old.error().where()->file, (dir_ / "expired.pem").string());
    EXPECT_NE(old.error().message().find("expired"), std::string::npos) << old.error().to_string();
    EXPECT_NE(old.error().message().find("CN=old.example.nl"), std::string::npos) << old.error().to_string();

    // Only the certificates records are made from count: the expired one
    // makes no 2 1 1 record (that is about the CA).
    EXPECT_TRUE(derive_from_files({ dir_ / "expired.pem", dir_ / "ca.pem" },
                                  { { CertUsage::DaneTa, Selector::Spki, MatchingType::Sha256 } }, now));
    // Not yet valid is fine: records go out before a certificate is used.
    auto future = pki.issue("new.example.nl", now + std::chrono::days(400), 4, now + std::chrono::days(10));
    testing::write_file(dir_ / "future.pem", testing::to_pem(future.cert.get()));
    EXPECT_TRUE(derive_from_files({ dir_ / "future.pem", dir_ / "ca.pem" }, default_specs(), now));

    // Without the CA, the 2 1 1 record blames the certificate file (where
    // the chain would have to be).
    auto no_ca = derive_from_files({ dir_ / "leaf.pem", std::nullopt }, default_specs(), now);
    ASSERT_FALSE(no_ca);
    EXPECT_EQ(no_ca.error().where()->file, (dir_ / "leaf.pem").string());
    EXPECT_NE(no_ca.error().message().find("DANE-TA(2)"), std::string::npos) << no_ca.error().to_string();

    testing::write_file(dir_ / "garbage.pem", "not a certificate at all\n");
    auto garbage = derive_from_files({ dir_ / "garbage.pem", std::nullopt }, default_specs(), now);
    ASSERT_FALSE(garbage);
    EXPECT_EQ(garbage.error().where()->file, (dir_ / "garbage.pem").string());
}

} // namespace
} // namespace signet::tlsa::derive_test
