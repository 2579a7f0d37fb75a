#include <gtest/gtest.h>

#include <sys/stat.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <thread>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <signet/crypto/dnssec.h>
#include <signet/crypto/p11.h>

#include "../fixtures/softhsm.h"

namespace signet::crypto::p11_test {
namespace {

using signet::testing::test_token;
using p11::KeyStore;
using p11::PrivateKeyParts;

struct Case {
    Algorithm algorithm;
    unsigned bits;
    size_t public_key_size; // DNSKEY public key field
    size_t signature_size;
};

class SignEveryAlgorithm : public ::testing::TestWithParam<Case> { };

// Sign in the token, verify with OpenSSL from the DNSKEY alone: the two code
// paths the signer and its self-check use.
TEST_P(SignEveryAlgorithm, TokenSignatureVerifiesWithOpenSsl)
{
    const Case& c = GetParam();
    auto& store = *test_token().store;
    if (!store.supports(c.algorithm)) {
        auto failed = store.generate(c.algorithm, c.bits, "unsupported");
        ASSERT_FALSE(failed);
        EXPECT_NE(failed.error().message().find("does not support"), std::string::npos);
        GTEST_SKIP() << "SoftHSM2 here lacks " << algorithm_to_text(c.algorithm);
    }
    auto generated = store.generate(c.algorithm, c.bits, "test");
    ASSERT_TRUE(generated) << generated.error().to_string();
    const std::string& locator = generated->locator;
    EXPECT_EQ(locator.size(), 40u); // 20 random octets in hex
    EXPECT_EQ(generated->public_key.size(), c.public_key_size);
    // Found again by its locator, the same key.
    auto public_key = store.public_key(locator, c.algorithm);
    ASSERT_TRUE(public_key) << public_key.error().to_string();
    EXPECT_EQ(*public_key, generated->public_key);

    Bytes dnskey = make_dnskey_rdata(dnskey_flag_zone, c.algorithm, *public_key);
    auto key = PublicKey::from_dnskey(dnskey);
    ASSERT_TRUE(key) << key.error().to_string();
    std::string data = "RRSIG RDATA and canonical RRs would be here";
    auto signature = store.sign(locator, c.algorithm, data);
    ASSERT_TRUE(signature) << signature.error().to_string();
    EXPECT_EQ(signature->size(), c.signature_size);
    EXPECT_EQ(key->signature_size(), c.signature_size); // known from the DNSKEY alone
    EXPECT_TRUE(key->verify(data, *signature));
    EXPECT_FALSE(key->verify(data + ".", *signature));
    std::string bad = *signature;
    bad[bad.size() / 2] ^= 0x01;
    EXPECT_FALSE(key->verify(data, bad));

    ASSERT_TRUE(store.destroy(locator));
    auto gone = store.sign(locator, c.algorithm, data);
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().code(), ErrorCode::NotFound);
    EXPECT_NE(gone.error().message().find(locator), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, SignEveryAlgorithm,
                         ::testing::Values(Case { Algorithm::RSASHA256, 2048, 4 + 256, 256 },
                                           Case { Algorithm::RSASHA512, 3072, 4 + 384, 384 },
                                           Case { Algorithm::ECDSAP256SHA256, 0, 64, 64 },
                                           Case { Algorithm::ECDSAP384SHA384, 0, 96, 96 },
                                           Case { Algorithm::ED25519, 0, 32, 64 },
                                           Case { Algorithm::ED448, 0, 57, 114 }),
                         [](const auto& info) { return std::string(algorithm_to_text(info.param.algorithm)); });

TEST(KeyStore, PrivateKeysAreSensitiveAndListed)
{
    auto& store = *test_token().store;
    auto generated = store.generate(Algorithm::ECDSAP256SHA256, 0, "listed");
    ASSERT_TRUE(generated);
    const std::string& locator = generated->locator;
    auto all = store.list();
    ASSERT_TRUE(all);
    EXPECT_NE(std::find(all->begin(), all->end(), locator), all->end());
    ASSERT_TRUE(store.destroy(locator));
    all = store.list();
    ASSERT_TRUE(all);
    EXPECT_EQ(std::find(all->begin(), all->end(), locator), all->end());
}

TEST(KeyStore, RsaSizeOutsidePolicyRefused)
{
    auto result = test_token().store->generate(Algorithm::RSASHA256, 1024, "small");
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message().find("2048 to 4096"), std::string::npos);
}

TEST(KeyStore, UnknownLocatorNamesIt)
{
    auto result = test_token().store->sign("00112233", Algorithm::ECDSAP256SHA256, "x");
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code(), ErrorCode::NotFound);
    EXPECT_NE(result.error().message().find("00112233"), std::string::npos);
    EXPECT_FALSE(test_token().store->sign("not hex", Algorithm::ECDSAP256SHA256, "x"));
}

// Login state is per token and process, so this uses a token of its own.
TEST(KeyStore, WrongPinIsNamed)
{
    auto config = test_token().config;
    config.token = "signet-test-pin";
    std::string pin = signet::testing::random_pin();
    ASSERT_TRUE(p11::init_token(config, signet::testing::random_pin(), pin));
    auto result = p11::KeyStore::open(config, pin + "0");
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message().find("PIN"), std::string::npos);
    EXPECT_EQ(result.error().message().find(pin), std::string::npos) << "PIN leaked into a message";
    EXPECT_TRUE(p11::KeyStore::open(config, pin));
}

TEST(KeyStore, MissingTokenAndModuleAreNamed)
{
    auto config = test_token().config;
    config.token = "no-such-token";
    auto result = p11::KeyStore::open(config, "1234");
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message().find("no token labelled 'no-such-token'"), std::string::npos);
    EXPECT_NE(result.error().message().find("'signet-test'"), std::string::npos); // lists what is there

    config.module = "/nonexistent/libpkcs11.so";
    result = p11::KeyStore::open(config, "1234");
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message().find("/nonexistent/libpkcs11.so"), std::string::npos);
}

TEST(KeyStore, SecondTokenWithSameLabelRefused)
{
    auto& token = test_token();
    auto result = p11::init_token(token.config, "12345678", "87654321");
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code(), ErrorCode::Conflict);
}

// Threads each take their own session from the pool and sign at once.
TEST(KeyStore, ParallelSigningUsesOneSessionPerThread)
{
    auto& store = *test_token().store;
    auto generated = store.generate(Algorithm::ECDSAP256SHA256, 0, "parallel");
    ASSERT_TRUE(generated);
    const std::string& locator = generated->locator;
    auto key = PublicKey::from_dnskey(
        make_dnskey_rdata(dnskey_flag_zone, Algorithm::ECDSAP256SHA256, generated->public_key));
    ASSERT_TRUE(key);
    std::atomic<int> good = 0;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 50; ++i) {
                std::string data = std::to_string(t) + "/" + std::to_string(i);
                auto signature = store.sign(locator, Algorithm::ECDSAP256SHA256, data);
                if (signature && key->verify(data, *signature))
                    ++good;
            }
        });
    }
    for (auto& thread : threads)
        thread.join();
    EXPECT_EQ(good, 200);
    EXPECT_GE(store.session_count(), 1u);
    EXPECT_LE(store.session_count(), 5u);
    ASSERT_TRUE(store.destroy(locator));
}

// A second KeyStore on the same token stands for another process: it finds
// keys by searching for the first few, then by reading every CKA_ID once;
// keys made after that are still found, and destroyed ones are reported.
TEST(KeyStore, FindsKeysMadeElsewhereBeforeAndAfterIndexing)
{
    auto& token = test_token();
    auto& maker = *token.store;
    std::vector<p11::KeyStore::Generated> made;
    for (int i = 0; i < 12; ++i) {
        auto generated = maker.generate(Algorithm::ECDSAP256SHA256, 0, "elsewhere");
        ASSERT_TRUE(generated) << generated.error().to_string();
        made.push_back(std::move(*generated));
    }
    auto opened = p11::KeyStore::open(token.config, token.user_pin);
    ASSERT_TRUE(opened) << opened.error().to_string();
    auto& other = **opened;
    auto signs_with = [&](const p11::KeyStore::Generated& key) {
        auto verifier = PublicKey::from_dnskey(
            make_dnskey_rdata(dnskey_flag_zone, Algorithm::ECDSAP256SHA256, key.public_key));
        auto signature = other.sign(key.locator, Algorithm::ECDSAP256SHA256, key.locator);
        return verifier && signature && verifier->verify(key.locator, *signature);
    };
    for (const auto& key : made) {
        EXPECT_TRUE(signs_with(key)) << key.locator;
        EXPECT_EQ(*other.public_key(key.locator, Algorithm::ECDSAP256SHA256), key.public_key);
    }
    auto later = maker.generate(Algorithm::ECDSAP256SHA256, 0, "elsewhere, later");
    ASSERT_TRUE(later);
    EXPECT_TRUE(signs_with(*later));

    ASSERT_TRUE(maker.destroy(made.front().locator));
    auto gone = other.sign(made.front().locator, Algorithm::ECDSAP256SHA256, "x");
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().code(), ErrorCode::NotFound);
    EXPECT_EQ(other.destroy(made.front().locator).error().code(), ErrorCode::NotFound);
    for (size_t i = 1; i < made.size(); ++i)
        ASSERT_TRUE(other.destroy(made[i].locator)) << made[i].locator;
    ASSERT_TRUE(other.destroy(later->locator));
    auto listed = maker.list();
    ASSERT_TRUE(listed);
    for (const auto& key : made)
        EXPECT_EQ(std::find(listed->begin(), listed->end(), key.locator), listed->end());
    EXPECT_FALSE(maker.sign(made.back().locator, Algorithm::ECDSAP256SHA256, "x"));
}

// A key pair made by OpenSSL, in the parts a BIND key file holds.
PrivateKeyParts parts_of_new_key(Algorithm algorithm)
{
    PrivateKeyParts parts;
    parts.algorithm = algorithm;
    EVP_PKEY* made = nullptr;
    switch (algorithm) {
    case Algorithm::RSASHA256:
    case Algorithm::RSASHA512: made = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t(2048)); break;
    case Algorithm::ECDSAP256SHA256: made = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"); break;
    case Algorithm::ECDSAP384SHA384: made = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"); break;
    case Algorithm::ED25519: made = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"); break;
    case Algorithm::ED448: made = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED448"); break;
    }
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(made, EVP_PKEY_free);
    if (!key)
        return parts;
    auto number = [&](const char* name) {
        BIGNUM* bn = nullptr;
        Bytes out;
        if (EVP_PKEY_get_bn_param(key.get(), name, &bn) == 1) {
            out.resize(BN_num_bytes(bn));
            BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
        }
        BN_clear_free(bn);
        return out;
    };
    auto raw = [&](auto get) {
        size_t size = 0;
        get(key.get(), nullptr, &size);
        Bytes out(size, '\0');
        get(key.get(), reinterpret_cast<unsigned char*>(out.data()), &size);
        return out;
    };
    if (is_rsa(algorithm)) {
        parts.modulus = number(OSSL_PKEY_PARAM_RSA_N);
        parts.public_exponent = number(OSSL_PKEY_PARAM_RSA_E);
        parts.private_exponent = number(OSSL_PKEY_PARAM_RSA_D);
        parts.prime1 = number(OSSL_PKEY_PARAM_RSA_FACTOR1);
        parts.prime2 = number(OSSL_PKEY_PARAM_RSA_FACTOR2);
        parts.exponent1 = number(OSSL_PKEY_PARAM_RSA_EXPONENT1);
        parts.exponent2 = number(OSSL_PKEY_PARAM_RSA_EXPONENT2);
        parts.coefficient = number(OSSL_PKEY_PARAM_RSA_COEFFICIENT1);
    } else if (algorithm == Algorithm::ED25519 || algorithm == Algorithm::ED448) {
        parts.private_value = raw(EVP_PKEY_get_raw_private_key);
        parts.public_key = raw(EVP_PKEY_get_raw_public_key);
    } else {
        parts.private_value = number(OSSL_PKEY_PARAM_PRIV_KEY);
        unsigned char point[200];
        size_t size = 0;
        EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &size);
        parts.public_key = Bytes(reinterpret_cast<char*>(point) + 1, size - 1); // without the 0x04 prefix
    }
    return parts;
}

class ImportEveryAlgorithm : public ::testing::TestWithParam<Case> { };

// A key made outside the token is stored in it and signs there; its DNSKEY
// is the one it had.
TEST_P(ImportEveryAlgorithm, ImportedKeySignsAndKeepsItsPublicKey)
{
    const Case& c = GetParam();
    auto& store = *test_token().store;
    if (!store.supports(c.algorithm))
        GTEST_SKIP() << "SoftHSM2 here lacks " << algorithm_to_text(c.algorithm);
    PrivateKeyParts parts = parts_of_new_key(c.algorithm);
    Bytes expected = is_rsa(c.algorithm) ? Bytes("\x03", 1) + parts.public_exponent + parts.modulus : parts.public_key;
    ASSERT_EQ(expected.size(), c.public_key_size);
    std::string locator = *KeyStore::new_locator();
    auto imported = store.import(parts, "imported", locator);
    ASSERT_TRUE(imported) << imported.error().to_string();
    EXPECT_EQ(imported->locator, locator);
    EXPECT_EQ(imported->public_key, expected);
    EXPECT_EQ(*store.public_key(locator, c.algorithm), expected);
    auto key = PublicKey::from_dnskey(make_dnskey_rdata(dnskey_flag_zone, c.algorithm, expected));
    ASSERT_TRUE(key);
    auto signature = store.sign(locator, c.algorithm, "data");
    ASSERT_TRUE(signature);
    EXPECT_TRUE(key->verify("data", *signature));
    ASSERT_TRUE(store.destroy(locator));
}

// A private key paired with another key's public half is refused, and
// leaves nothing in the token.
TEST_P(ImportEveryAlgorithm, MismatchedHalvesAreRefusedAndLeaveNothing)
{
    const Case& c = GetParam();
    auto& store = *test_token().store;
    if (!store.supports(c.algorithm))
        GTEST_SKIP() << "SoftHSM2 here lacks " << algorithm_to_text(c.algorithm);
    PrivateKeyParts parts = parts_of_new_key(c.algorithm);
    PrivateKeyParts other = parts_of_new_key(c.algorithm);
    if (is_rsa(c.algorithm))
        parts.modulus = other.modulus; // the public half of another key
    else
        parts.public_key = other.public_key;
    auto before = store.list();
    ASSERT_TRUE(before);
    auto imported = store.import(parts, "mismatched", *KeyStore::new_locator());
    ASSERT_FALSE(imported);
    auto after = store.list();
    ASSERT_TRUE(after);
    EXPECT_EQ(*after, *before);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, ImportEveryAlgorithm,
                         ::testing::Values(Case { Algorithm::RSASHA256, 2048, 4 + 256, 256 },
                                           Case { Algorithm::ECDSAP256SHA256, 0, 64, 64 },
                                           Case { Algorithm::ECDSAP384SHA384, 0, 96, 96 },
                                           Case { Algorithm::ED25519, 0, 32, 64 },
                                           Case { Algorithm::ED448, 0, 57, 114 }),
                         [](const auto& info) { return std::string(algorithm_to_text(info.param.algorithm)); });

TEST(ReadPin, FileMustBePrivate)
{
    auto dir = test_token().dir;
    auto path = dir / "pin";
    std::ofstream(path) << "123456\n";
    chmod(path.c_str(), 0644);
    unsetenv("SIGNET_TEST_PIN");
    auto result = p11::read_pin(path, "SIGNET_TEST_PIN");
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message().find("0600"), std::string::npos);
    EXPECT_EQ(result.error().message().find("123456"), std::string::npos);
    chmod(path.c_str(), 0600);
    result = p11::read_pin(path, "SIGNET_TEST_PIN");
    ASSERT_TRUE(result);
    EXPECT_EQ(*result, "123456");
    setenv("SIGNET_TEST_PIN", "654321", 1);
    EXPECT_EQ(*p11::read_pin(dir / "absent", "SIGNET_TEST_PIN"), "654321");
    unsetenv("SIGNET_TEST_PIN");
    EXPECT_FALSE(p11::read_pin(dir / "absent", "SIGNET_TEST_PIN"));
}

} // namespace
} // namespace signet::crypto::p11_test
