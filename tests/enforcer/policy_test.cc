#include <gtest/gtest.h>

#include <signet/enforcer/policy.h>

namespace signet::enforcer::policy_test {
namespace {

using namespace std::chrono_literals;
using std::chrono::days;

// The key find_policy_problem blames, or "" when the policy is fine.
std::string blamed(const Policy& policy)
{
    auto problem = find_policy_problem(policy);
    return problem ? problem->key : "";
}

// Every key in `keys` appears in the message of the policy's problem.
void expect_message_names(const Policy& policy, std::initializer_list<std::string_view> keys)
{
    auto problem = find_policy_problem(policy);
    ASSERT_TRUE(problem);
    for (auto key : keys)
        EXPECT_NE(problem->message.find(key), std::string::npos) << key << " not in: " << problem->message;
}

TEST(Policy, DefaultsAreTheDesignDefaults)
{
    Policy p;
    EXPECT_EQ(p.name, "default");
    EXPECT_EQ(p.algorithm, crypto::Algorithm::ECDSAP256SHA256);
    EXPECT_EQ(p.rsa_bits, 2048u);
    EXPECT_EQ(p.keys, KeyLayout::KskZsk);
    EXPECT_FALSE(p.ksk_lifetime);
    EXPECT_EQ(p.zsk_lifetime, Duration(days(90)));
    EXPECT_FALSE(p.csk_lifetime);
    EXPECT_EQ(p.dnskey_ttl, 1h);
    EXPECT_EQ(p.max_zone_ttl, days(1));
    EXPECT_EQ(p.zone_propagation_delay, 5min);
    EXPECT_EQ(p.parent_ds_ttl, days(1));
    EXPECT_EQ(p.parent_propagation_delay, 1h);
    EXPECT_EQ(p.parent_registration_delay, days(1));
    EXPECT_EQ(p.publish_safety, 1h);
    EXPECT_EQ(p.retire_safety, 1h);
    EXPECT_EQ(p.signature_validity, days(14));
    EXPECT_EQ(p.signature_refresh, days(5));
    EXPECT_EQ(p.signature_jitter, 12h);
    EXPECT_EQ(p.signature_inception_offset, 1h);
    EXPECT_EQ(p.signature_resign_interval, 2h);
    EXPECT_EQ(p.denial, Denial::Nsec3);
    EXPECT_EQ(p.nsec3_iterations, 0u);
    EXPECT_EQ(p.nsec3_salt_length, 0u);
    EXPECT_FALSE(p.nsec3_opt_out);
    EXPECT_FALSE(p.nsec3_resalt);
    EXPECT_EQ(p.serial, SerialPolicy::Unixtime);
    EXPECT_FALSE(p.soa_ttl);
    EXPECT_FALSE(p.soa_minimum);
    EXPECT_TRUE(p.cds);
    EXPECT_EQ(p.cds_digest, crypto::DigestType::SHA256);
    EXPECT_TRUE(p.ds_submit_command.empty());
    EXPECT_TRUE(p.ds_retract_command.empty());
    EXPECT_TRUE(p.notify_command.empty());
    EXPECT_TRUE(check_policy(p));
}

TEST(Policy, CheckPolicyNamesThePolicyAndTheKey)
{
    Policy p;
    p.name = "strict";
    p.signature_refresh = days(14);
    auto checked = check_policy(p);
    ASSERT_FALSE(checked);
    EXPECT_EQ(checked.error().code(), ErrorCode::Policy);
    EXPECT_EQ(checked.error().to_string().rfind("policy 'strict': signature-refresh (14d)", 0), 0u)
        << checked.error().to_string();
}

TEST(Policy, RefreshMustBeShorterThanValidity)
{
    Policy p;
    p.signature_refresh = p.signature_validity;
    EXPECT_EQ(blamed(p), "signature-refresh");
    expect_message_names(p, { "signature-refresh", "signature-validity" });
    p.signature_refresh = days(20);
    EXPECT_EQ(blamed(p), "signature-refresh");
}

TEST(Policy, JitterMustLeaveRoomBeforeRefresh)
{
    Policy p;
    p.signature_jitter = p.signature_validity - p.signature_refresh; // 9d
    EXPECT_EQ(blamed(p), "signature-jitter");
    expect_message_names(p, { "signature-jitter", "signature-validity", "signature-refresh" });
    p.signature_jitter -= 1s;
    EXPECT_EQ(blamed(p), "");
}

TEST(Policy, InceptionOffsetMustNotExceedValidity)
{
    Policy p;
    p.signature_validity = days(2);
    p.signature_refresh = days(1);
    p.signature_jitter = 1h;
    p.signature_inception_offset = days(2);
    EXPECT_EQ(blamed(p), "");
    p.signature_inception_offset = days(2) + 1s;
    EXPECT_EQ(blamed(p), "signature-inception-offset");
    expect_message_names(p, { "signature-inception-offset", "signature-validity" });
}

TEST(Policy, RefreshMustOutlastTheResignIntervalAndPropagation)
{
    Policy p;
    p.signature_resign_interval = days(5);
    EXPECT_EQ(blamed(p), "signature-refresh");
    expect_message_names(p, { "signature-refresh", "signature-resign-interval", "zone-propagation-delay" });
    p.signature_resign_interval = 0s;
    EXPECT_EQ(blamed(p), "signature-resign-interval");
}

TEST(Policy, ValidityMustBePositiveAndBelowTwoToTheThirtyOne)
{
    Policy p;
    p.signature_validity = 0s;
    EXPECT_EQ(blamed(p), "signature-validity");
    p = Policy {};
    p.signature_validity = days(30000);
    EXPECT_EQ(blamed(p), "signature-validity");
}

TEST(Policy, RsaBitsAreCheckedForRsaOnly)
{
    Policy p;
    p.rsa_bits = 1024;
    EXPECT_EQ(blamed(p), ""); // ECDSA ignores it
    p.algorithm = crypto::Algorithm::RSASHA256;
    EXPECT_EQ(blamed(p), "rsa-bits");
    expect_message_names(p, { "rsa-bits", "2048..4096" });
    p.rsa_bits = 8192;
    EXPECT_EQ(blamed(p), "rsa-bits");
    p.rsa_bits = 3000; // 8 * 375
    EXPECT_EQ(blamed(p), "");
    p.rsa_bits = 3001;
    EXPECT_EQ(blamed(p), "rsa-bits");
    expect_message_names(p, { "multiple of 8" });
    for (unsigned bits : { 2048u, 3072u, 4096u }) {
        p.rsa_bits = bits;
        EXPECT_EQ(blamed(p), "") << bits;
    }
    p.algorithm = crypto::Algorithm::RSASHA512;
    p.rsa_bits = 2040;
    EXPECT_EQ(blamed(p), "rsa-bits");
}

TEST(Policy, AlgorithmMustBeOneOfOurs)
{
    Policy p;
    p.algorithm = static_cast<crypto::Algorithm>(5); // RSASHA1
    EXPECT_EQ(blamed(p), "algorithm");
    for (auto algorithm : { crypto::Algorithm::RSASHA256, crypto::Algorithm::RSASHA512,
                            crypto::Algorithm::ECDSAP256SHA256, crypto::Algorithm::ECDSAP384SHA384,
                            crypto::Algorithm::ED25519, crypto::Algorithm::ED448 }) {
        p.algorithm = algorithm;
        EXPECT_EQ(blamed(p), "") << static_cast<int>(algorithm);
    }
}

TEST(Policy, Nsec3IterationsAboveOneHundredAreRefusedCitingRfc9276)
{
    Policy p;
    p.nsec3_iterations = 100;
    EXPECT_EQ(blamed(p), ""); // unwise, but possible
    p.nsec3_iterations = 101;
    EXPECT_EQ(blamed(p), "nsec3-iterations");
    expect_message_names(p, { "nsec3-iterations", "RFC 9276" });
}

TEST(Policy, SaltLengthAndResalt)
{
    Policy p;
    p.nsec3_salt_length = 255;
    EXPECT_EQ(blamed(p), "");
    p.nsec3_salt_length = 256;
    EXPECT_EQ(blamed(p), "nsec3-salt-length");
    p.nsec3_salt_length = 0;
    p.nsec3_resalt = days(30);
    EXPECT_EQ(blamed(p), "nsec3-resalt");
    p.nsec3_salt_length = 8;
    EXPECT_EQ(blamed(p), "");
    p.nsec3_resalt = 0s;
    EXPECT_EQ(blamed(p), "nsec3-resalt");
}

TEST(Policy, OptOutNeedsNsec3)
{
    Policy p;
    p.nsec3_opt_out = true;
    EXPECT_EQ(blamed(p), "");
    p.denial = Denial::Nsec;
    EXPECT_EQ(blamed(p), "nsec3-opt-out");
}

TEST(Policy, ZskLifetimeMustCoverAPrePublicationRollover)
{
    Policy p;
    // 5m + 1h + 1h + 5m + 1d + 1h = 1d3h10m
    EXPECT_EQ(zsk_rollover_time(p), days(1) + 3h + 10min);
    p.zsk_lifetime = zsk_rollover_time(p);
    EXPECT_EQ(blamed(p), "");
    p.zsk_lifetime = zsk_rollover_time(p) - 1s;
    EXPECT_EQ(blamed(p), "zsk-lifetime");
    expect_message_names(p, { "zsk-lifetime", "dnskey-ttl", "zone-propagation-delay", "publish-safety",
                              "max-zone-ttl", "retire-safety", "1d3h10m", "RFC 7583" });
    p.zsk_lifetime = std::nullopt;
    EXPECT_EQ(blamed(p), "");
}

TEST(Policy, KskLifetimeMustCoverADoubleKskRollover)
{
    Policy p;
    // 5m + 1h + 1h + 1d + 1h + 1d + 1h = 2d4h5m
    EXPECT_EQ(ksk_rollover_time(p), days(2) + 4h + 5min);
    p.ksk_lifetime = ksk_rollover_time(p);
    EXPECT_EQ(blamed(p), "");
    p.ksk_lifetime = days(2);
    EXPECT_EQ(blamed(p), "ksk-lifetime");
    expect_message_names(p, { "ksk-lifetime", "dnskey-ttl", "parent-registration-delay", "parent-propagation-delay",
                              "parent-ds-ttl", "retire-safety", "2d4h5m" });
}

TEST(Policy, CskLifetimeCountsOnlyForCsk)
{
    Policy p;
    p.csk_lifetime = days(1);
    EXPECT_EQ(blamed(p), ""); // ksk+zsk: unused
    p.keys = KeyLayout::Csk;
    EXPECT_EQ(blamed(p), "csk-lifetime");
    // The DS swap (2d1h) is longer than the signature swap (1d5m).
    EXPECT_EQ(csk_rollover_time(p), 5min + 1h + 1h + days(2) + 1h + 1h);
    p.max_zone_ttl = days(3);
    EXPECT_EQ(csk_rollover_time(p), 5min + 1h + 1h + days(3) + 5min + 1h);
    p.csk_lifetime = days(90);
    p.zsk_lifetime = 1s; // unused with a CSK
    EXPECT_EQ(blamed(p), "");
}

TEST(Policy, TtlsMustFitThirtyOneBits)
{
    Policy p;
    p.soa_ttl = Duration(2147483647);
    EXPECT_EQ(blamed(p), "");
    p.soa_ttl = Duration(2147483648);
    EXPECT_EQ(blamed(p), "soa-ttl");
    p.soa_ttl = std::nullopt;
    p.soa_minimum = Duration(-1);
    EXPECT_EQ(blamed(p), "soa-minimum");
}

TEST(Policy, NegativeDurationsAreRefused)
{
    Policy p;
    p.publish_safety = Duration(-1);
    EXPECT_EQ(blamed(p), "publish-safety");
    p = Policy {};
    p.ksk_lifetime = 0s;
    EXPECT_EQ(blamed(p), "ksk-lifetime");
}

TEST(Policy, CdsDigestMustNotBeSha1)
{
    Policy p;
    p.cds_digest = crypto::DigestType::SHA384;
    EXPECT_EQ(blamed(p), "");
    p.cds_digest = crypto::DigestType::SHA1;
    EXPECT_EQ(blamed(p), "cds-digest");
}

TEST(Policy, EnumTextRoundTrips)
{
    for (auto layout : { KeyLayout::KskZsk, KeyLayout::Csk })
        EXPECT_EQ(key_layout_from_text(key_layout_to_text(layout)), layout);
    for (auto denial : { Denial::Nsec, Denial::Nsec3 })
        EXPECT_EQ(denial_from_text(denial_to_text(denial)), denial);
    for (auto serial : { SerialPolicy::Keep, SerialPolicy::Counter, SerialPolicy::Unixtime, SerialPolicy::Datecounter })
        EXPECT_EQ(serial_policy_from_text(serial_policy_to_text(serial)), serial);
    EXPECT_EQ(key_layout_to_text(KeyLayout::KskZsk), "ksk+zsk");
    EXPECT_EQ(denial_to_text(Denial::Nsec3), "nsec3");
    EXPECT_EQ(serial_policy_to_text(SerialPolicy::Datecounter), "datecounter");
    EXPECT_EQ(denial_from_text("NSEC3"), Denial::Nsec3);
    EXPECT_EQ(key_layout_from_text("KSK+ZSK"), KeyLayout::KskZsk);
    EXPECT_FALSE(denial_from_text("nsec5"));
    EXPECT_FALSE(key_layout_from_text("ksk"));
    EXPECT_FALSE(serial_policy_from_text(""));
}

} // namespace
} // namespace signet::enforcer::policy_test
