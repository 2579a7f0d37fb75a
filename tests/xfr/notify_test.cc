#include <gtest/gtest.h>

#include <signet/dns/zone.h>
#include <signet/xfr/notify.h>

namespace signet::xfr::notify_test {
namespace {

using namespace std::chrono_literals;

dns::Name name(std::string_view text) { return *dns::Name::from_text(text); }

const TimePoint now = TimePoint(1'700'000'000s);
const TsigKey key(name("notify-key."), TsigAlgorithm::HmacSha256, "0123456789abcdef0123456789abcdef");
const TsigKey other_key(name("notify-key."), TsigAlgorithm::HmacSha256, "fedcba9876543210fedcba9876543210");

dns::Zone zone()
{
    dns::Diagnostics diagnostics;
    auto zone = dns::load_zone_text("$TTL 3600\n"
                                    "@ SOA ns1 hostmaster 2024010107 3600 900 604800 300\n"
                                    "@ NS ns1\n"
                                    "ns1 A 192.0.2.1\n",
                                    name("example."), diagnostics);
    EXPECT_TRUE(zone) << zone.error().to_string();
    return std::move(*zone);
}

// What a secondary answers: the query's header and question, QR set.
std::string response(uint16_t id, uint8_t rcode = 0, Opcode opcode = Opcode::Notify, bool qr = true,
                     std::string_view qname = "example.")
{
    MessageBuilder builder;
    Header header;
    header.id = id;
    header.qr = qr;
    header.opcode = opcode;
    header.aa = true;
    header.rcode = rcode;
    builder.set_header(header);
    builder.add_question({ name(qname), dns::RRType::SOA, class_in });
    return builder.finish();
}

TEST(Notify, IsAnAuthoritativeNotifyForTheApexSoaWithTheNewSoaAsHint)
{
    auto notify = Notify::make(zone(), 0x4242, std::nullopt, now);
    ASSERT_TRUE(notify) << notify.error().to_string();
    EXPECT_EQ(notify->serial(), 2024010107u);
    EXPECT_EQ(notify->zone(), name("example."));
    auto message = parse_message(notify->wire());
    ASSERT_TRUE(message) << message.error().to_string();
    EXPECT_EQ(message->header.id, 0x4242);
    EXPECT_EQ(message->header.opcode, Opcode::Notify);
    EXPECT_TRUE(message->header.aa);
    EXPECT_FALSE(message->header.qr);
    EXPECT_FALSE(message->header.rd);
    ASSERT_EQ(message->questions.size(), 1u);
    EXPECT_EQ(message->questions[0].name, name("example."));
    EXPECT_EQ(message->questions[0].type, dns::RRType::SOA);
    EXPECT_EQ(message->questions[0].qclass, class_in);
    ASSERT_EQ(message->answers.size(), 1u);
    EXPECT_EQ(message->answers[0].type, dns::RRType::SOA);
    EXPECT_EQ(message->answers[0].ttl, 3600u);
    EXPECT_TRUE(message->authority.empty());
    EXPECT_TRUE(message->additional.empty());
    EXPECT_FALSE(message->tsig);
    EXPECT_LE(notify->wire().size(), max_udp_size_plain);
}

TEST(Notify, SignedWithTheKeyAsAServerChecksIt)
{
    auto notify = Notify::make(zone(), 7, key, now);
    ASSERT_TRUE(notify) << notify.error().to_string();
    auto message = parse_message(notify->wire());
    ASSERT_TRUE(message && message->tsig);
    std::vector<TsigKey> keys { key };
    auto check = check_request(*message, notify->wire(), keys, now + 10s);
    EXPECT_EQ(check.outcome, TsigCheck::Outcome::Verified) << check.why;
    std::vector<TsigKey> wrong { other_key };
    EXPECT_EQ(check_request(*message, notify->wire(), wrong, now).outcome, TsigCheck::Outcome::Failed);
}

TEST(Notify, OnlyAResponseWithTheSameIdOpcodeAndQuestionMatches)
{
    auto notify = Notify::make(zone(), 0x1234, std::nullopt, now);
    ASSERT_TRUE(notify);
    EXPECT_EQ(notify->check_reply(response(0x1234), now).outcome, NotifyReply::Outcome::Acknowledged);

    using enum NotifyReply::Outcome;
    EXPECT_EQ(notify->check_reply(response(0x1235), now).outcome, Unrelated);
    EXPECT_EQ(notify->check_reply(response(0x1234, 0, Opcode::Query), now).outcome, Unrelated);
    EXPECT_EQ(notify->check_reply(response(0x1234, 0, Opcode::Notify, false), now).outcome, Unrelated);
    EXPECT_EQ(notify->check_reply(response(0x1234, 0, Opcode::Notify, true, "other."), now).outcome, Unrelated);
    EXPECT_EQ(notify->check_reply("\x12\x34", now).outcome, Unrelated);
    // Our own query, echoed back, is no answer.
    EXPECT_EQ(notify->check_reply(notify->wire(), now).outcome, Unrelated);
    // A damaged answer with our ID keeps the retries going.
    std::string damaged = response(0x1234);
    damaged.pop_back();
    EXPECT_EQ(notify->check_reply(damaged, now).outcome, Unverified);

    auto refused = notify->check_reply(response(0x1234, 5), now);
    EXPECT_EQ(refused.outcome, Error);
    EXPECT_EQ(refused.rcode, 5);
    EXPECT_EQ(refused.why, "REFUSED");
    // Secondaries echo the question; one that leaves it out still answers.
    MessageBuilder bare;
    Header header;
    header.id = 0x1234;
    header.qr = true;
    header.opcode = Opcode::Notify;
    bare.set_header(header);
    EXPECT_EQ(notify->check_reply(bare.finish(), now).outcome, Acknowledged);
}

TEST(Notify, ASignedNotifyTakesOnlyAnAnswerSignedWithItsKey)
{
    auto notify = Notify::make(zone(), 99, key, now);
    ASSERT_TRUE(notify);
    auto request = parse_message(notify->wire());
    ASSERT_TRUE(request);
    std::vector<TsigKey> keys { key };
    auto check = check_request(*request, notify->wire(), keys, now);
    ASSERT_EQ(check.outcome, TsigCheck::Outcome::Verified);

    auto signed_with = [&](const TsigKey& with, uint8_t rcode = 0) {
        std::string message = response(99, rcode);
        TsigSigner signer(with, check.request_mac, 99);
        EXPECT_TRUE(signer.sign(message, now + 1s));
        return message;
    };
    using enum NotifyReply::Outcome;
    EXPECT_EQ(notify->check_reply(signed_with(key), now + 2s).outcome, Acknowledged);
    EXPECT_EQ(notify->check_reply(signed_with(key, 5), now + 2s).outcome, Error);

    auto unsigned_reply = notify->check_reply(response(99), now);
    EXPECT_EQ(unsigned_reply.outcome, Unverified);
    EXPECT_NE(unsigned_reply.why.find("not signed"), std::string::npos) << unsigned_reply.why;
    auto forged = notify->check_reply(signed_with(other_key), now);
    EXPECT_EQ(forged.outcome, Unverified);
    EXPECT_NE(forged.why.find("BADSIG"), std::string::npos) << forged.why;
    // Far outside the fudge: BADTIME, not taken.
    EXPECT_EQ(notify->check_reply(signed_with(key), now + 1h).outcome, Unverified);
    // The secret never reaches a message.
    EXPECT_EQ(forged.why.find(std::string(key.secret())), std::string::npos);
}

} // namespace
} // namespace signet::xfr::notify_test
