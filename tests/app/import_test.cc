// Reading BIND's key files for `signet import bind`: the states of
// dnssec-policy's .state files as Signet's key-state model holds them, the
// states that timing metadata alone implies, and every broken file named
// by file and line. The import itself, into a real token and store, is
// tested end to end in tests/integration/import_bind.sh.
#include <gtest/gtest.h>

#include <fstream>

#include <signet/app/import.h>
#include <signet/crypto/dnssec.h>

#include "../fixtures/temp_dir.h"

namespace signet::app::import_test {
namespace {

namespace fs = std::filesystem;
using enforcer::DsAtParent;
using enforcer::KeyGoal;
using enforcer::KeyRole;
using enforcer::RecordState;

// A KSK that dnssec-keygen made (a test key, used nowhere else).
constexpr std::string_view key_name = "Kexample.test.+013+58082";
constexpr std::string_view dnskey_line
    = "example.test. 3600 IN DNSKEY 257 3 13 ENye/Hk4qOj4EoERio36W8qofXwrYbjetoROy7PUbzLBiHVDTsBSEVZr "
      "Jq7nAAofpJczIRWG4NM/ge7LlrjhIA==\n";
constexpr std::string_view private_text = "Private-key-format: v1.3\n"
                                          "Algorithm: 13 (ECDSAP256SHA256)\n"
                                          "PrivateKey: ssF3ih/cPXhcHmctZnW2QNZut+VMCrfU9ruREGmF2P4=\n"
                                          "Created: 20261201000000\n";

TimePoint at(int day, int hour = 0)
{
    return std::chrono::sys_days(std::chrono::year(2026) / 12 / day) + std::chrono::hours(hour);
}

class ReadBindKey : public signet::testing::TempDirTest {
protected:
    // Writes the .key (timing comments first), .private and, when given, .state.
    fs::path write(std::string_view timing, std::string_view state = {}, std::string_view record = dnskey_line)
    {
        // Not replace_extension: in "Kexample.test.+013+58082" that is "+013+58082".
        const std::string base = (dir_ / key_name).string();
        std::ofstream(base + ".key") << "; This is a key-signing key, keyid 58082\n" << timing << record;
        std::ofstream(base + ".private") << private_text;
        fs::remove(base + ".state");
        if (!state.empty())
            std::ofstream(base + ".state") << state;
        return base + ".key";
    }
    enforcer::Policy policy_;
};

TEST_F(ReadBindKey, StateFileGivesRoleStatesAndTheParent)
{
    fs::path file = write("", "; This is the state of key 58082, for example.test.\n"
                              "Algorithm: 13\nLength: 256\nLifetime: 0\nKSK: yes\nZSK: no\n"
                              "Generated: 20261101000000 (Sun Nov  1 00:00:00 2026)\n"
                              "Published: 20261101000000\nActive: 20261101000000\n"
                              "DSPublish: 20261103000000\n"
                              "DNSKEYChange: 20261102000000\nKRRSIGChange: 20261102000000\nDSChange: 20261102000000\n"
                              "DNSKEYState: omnipresent\nKRRSIGState: omnipresent\nDSState: rumoured\n"
                              "GoalState: omnipresent\n");
    auto key = read_bind_key(file, policy_, at(7));
    ASSERT_TRUE(key) << key.error().to_string();
    EXPECT_EQ(key->zone, "example.test.");
    EXPECT_EQ(key->ttl, 3600u);
    EXPECT_TRUE(key->has_state);
    EXPECT_FALSE(key->removed);
    const auto& k = key->key;
    EXPECT_EQ(k.role, KeyRole::KSK);
    EXPECT_EQ(k.algorithm, crypto::Algorithm::ECDSAP256SHA256);
    EXPECT_EQ(k.key_tag, 58082);
    EXPECT_EQ(k.flags, 257);
    EXPECT_EQ(k.bits, 256u);
    EXPECT_EQ(k.goal, KeyGoal::Present);
    EXPECT_EQ(k.dnskey.state, RecordState::Omnipresent);
    EXPECT_EQ(k.dnskey.since, at(2) - std::chrono::days(30)); // 2026-11-02
    EXPECT_EQ(k.krrsig.state, RecordState::Omnipresent);
    EXPECT_EQ(k.zrrsig.state, RecordState::NotApplicable);
    // BIND was told the parent publishes the DS: Signet's clock for the DS
    // starts there, as at `signet key ds-seen`.
    EXPECT_EQ(k.ds.state, RecordState::Rumoured);
    EXPECT_EQ(k.ds_at_parent, DsAtParent::Seen);
    EXPECT_EQ(k.ds.since, at(3) - std::chrono::days(30));
    EXPECT_EQ(k.created, at(1) - std::chrono::days(30));
    EXPECT_EQ(k.published, at(1) - std::chrono::days(30));
    EXPECT_EQ(k.active, at(1) - std::chrono::days(30));
    EXPECT_FALSE(k.retired);
    EXPECT_EQ(crypto::key_tag(k.dnskey_rdata), 58082);
}

TEST_F(ReadBindKey, DsNotConfirmedToBindIsAskedForAgain)
{
    fs::path file = write("", "KSK: yes\nZSK: yes\nDNSKEYState: omnipresent\nKRRSIGState: omnipresent\n"
                              "ZRRSIGState: rumoured\nDSState: rumoured\nGoalState: omnipresent\nFutureField: 1\n");
    auto key = read_bind_key(file, policy_, at(7));
    ASSERT_TRUE(key) << key.error().to_string();
    EXPECT_EQ(key->key.role, KeyRole::CSK);
    EXPECT_EQ(key->key.zrrsig.state, RecordState::Rumoured);
    EXPECT_EQ(key->key.ds_at_parent, DsAtParent::Submit);
    // What is not carried is said, not dropped silently.
    auto said = [&](std::string_view text) {
        return std::ranges::any_of(key->notes, [&](const std::string& n) { return n.find(text) != n.npos; });
    };
    EXPECT_TRUE(said("not been confirmed"));
    EXPECT_TRUE(said("FutureField"));
}

TEST_F(ReadBindKey, TimingMetadataAloneGivesStatesByThePolicysTimes)
{
    fs::path file = write("; Created: 20261201000000\n; Publish: 20261201000000\n; Activate: 20261201000000\n");
    // Two hours later the DNSKEY (TTL 1 h + 5 min propagation) is in every
    // cache; the signatures over the zone wait for the 1-day zone TTL.
    auto key = read_bind_key(file, policy_, at(1, 2), KeyRole::CSK);
    ASSERT_TRUE(key) << key.error().to_string();
    EXPECT_FALSE(key->has_state);
    EXPECT_EQ(key->key.role, KeyRole::CSK);
    EXPECT_EQ(key->key.dnskey.state, RecordState::Omnipresent);
    EXPECT_EQ(key->key.krrsig.state, RecordState::Omnipresent);
    EXPECT_EQ(key->key.zrrsig.state, RecordState::Rumoured);
    // BIND brought its signatures in gradually; Signet's first signing
    // makes them all, so their wait starts at the import.
    EXPECT_EQ(key->key.zrrsig.since, at(1, 2));
    EXPECT_EQ(key->key.ds.state, RecordState::Omnipresent);
    EXPECT_EQ(key->key.ds_at_parent, DsAtParent::Seen);
    // Before its publication time nothing of it is out.
    auto early = read_bind_key(file, policy_, at(1) - std::chrono::hours(1));
    ASSERT_TRUE(early);
    EXPECT_EQ(early->key.role, KeyRole::KSK);
    EXPECT_EQ(early->key.dnskey.state, RecordState::Hidden);
    EXPECT_EQ(early->key.ds.state, RecordState::Hidden);
    // Past its deletion time BIND is done with it.
    file = write("; Publish: 20261101000000\n; Activate: 20261101000000\n; Inactive: 20261120000000\n"
                 "; Delete: 20261201000000\n");
    auto gone = read_bind_key(file, policy_, at(7));
    ASSERT_TRUE(gone);
    EXPECT_TRUE(gone->removed);
}

TEST_F(ReadBindKey, BrokenFilesAreNamedByFileAndLine)
{
    auto error_of = [&](const fs::path& file) {
        auto key = read_bind_key(file, policy_, at(7));
        return key ? std::string("read") : key.error().to_string();
    };
    const std::string key_file = (dir_ / key_name).string() + ".key";
    EXPECT_EQ(error_of(write("", {}, std::string(dnskey_line) + std::string(dnskey_line))),
              key_file + ":3: a key file holds one DNSKEY record, and this is a second");
    EXPECT_EQ(error_of(write("", {}, "example.test. IN DS 1 13 2 00\n")),
              key_file + ":2: not a DNSKEY record (owner [TTL] [IN] DNSKEY flags 3 algorithm key)");
    EXPECT_EQ(error_of(write("", {}, "example.test. IN DNSKEY 257 3 13 !!!\n")),
              key_file + ":2: the public key is not base64");
    // The name promises another key than the file holds.
    std::string other(dnskey_line);
    other[other.find("ENye") + 1] = 'X';
    EXPECT_NE(error_of(write("", {}, other)).find("its DNSKEY is algorithm 13 key"), std::string::npos);
    EXPECT_EQ(error_of(write("", "KSK: yes\nZSK: no\nDNSKEYState: everywhere\nGoalState: omnipresent\n")),
              key_file.substr(0, key_file.size() - 4)
                  + ".state:3: DNSKEYState: 'everywhere' is not hidden, rumoured, omnipresent or unretentive");
    EXPECT_EQ(error_of(write("", "KSK: yes\nZSK: no\nZRRSIGState: omnipresent\nGoalState: omnipresent\n")),
              key_file.substr(0, key_file.size() - 4)
                  + ".state:3: ZRRSIGState is omnipresent for a key that has no such record");
    EXPECT_EQ(error_of(write("; Publish: 2026120100000\n")),
              key_file + ":2: Publish: '2026120100000' is not a time (YYYYMMDDHHMMSS)");
}

TEST_F(ReadBindKey, PrivateKeyIsReadAndCheckedAgainstTheDnskey)
{
    fs::path file = write("; Publish: 20261101000000\n; Activate: 20261101000000\n");
    auto key = read_bind_key(file, policy_, at(7));
    ASSERT_TRUE(key);
    auto parts = read_bind_private_key(*key);
    ASSERT_TRUE(parts) << parts.error().to_string();
    EXPECT_EQ(parts->algorithm, crypto::Algorithm::ECDSAP256SHA256);
    EXPECT_EQ(parts->private_value.size(), 32u);
    EXPECT_EQ(parts->public_key, crypto::parse_dnskey(key->key.dnskey_rdata)->public_key);

    const fs::path private_file = (dir_ / key_name).string() + ".private";
    std::ofstream(private_file) << "Private-key-format: v1.3\nAlgorithm: 8 (RSASHA256)\nModulus: AQAB\n";
    auto wrong = read_bind_private_key(*key);
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().to_string(),
              private_file.string() + ":2: the algorithm is not the DNSKEY's (ECDSAP256SHA256)");
    std::ofstream(private_file) << "Private-key-format: v1.3\nAlgorithm: 13 (ECDSAP256SHA256)\n"
                                   "Label: pkcs11:token=bind;object=ksk\n";
    auto in_hsm = read_bind_private_key(*key);
    ASSERT_FALSE(in_hsm);
    EXPECT_NE(in_hsm.error().to_string().find(":3: the private key is kept in an HSM"), std::string::npos);
    std::ofstream(private_file) << "Private-key-format: v1.3\nAlgorithm: 13 (ECDSAP256SHA256)\n";
    auto missing = read_bind_private_key(*key);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().to_string(), private_file.string() + ": no PrivateKey");
}

} // namespace
} // namespace signet::app::import_test
