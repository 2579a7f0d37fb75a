#include <gtest/gtest.h>

#include <string>

#include <signet/xfr/tsig.h>

namespace signet::xfr::tsig_test {
namespace {

using namespace std::chrono_literals;

dns::Name name(std::string_view text) { return *dns::Name::from_text(text); }

const TimePoint now = TimePoint(1'700'000'000s);

TsigKey key(std::string_view key_name = "xfr-key.", TsigAlgorithm algorithm = TsigAlgorithm::HmacSha256,
            std::string secret = "0123456789abcdef0123456789abcdef")
{
    return TsigKey(name(key_name), algorithm, std::move(secret));
}

std::string query(uint16_t id = 0x4242)
{
    MessageBuilder builder;
    Header header;
    header.id = id;
    builder.set_header(header);
    builder.add_question({ name("example."), type_axfr, class_in });
    return builder.finish();
}

std::string signed_query(const TsigKey& with, TimePoint at = now)
{
    std::string wire = query();
    TsigSigner signer(with, {}, 0x4242);
    EXPECT_TRUE(signer.sign(wire, at));
    return wire;
}

TsigCheck check(std::string_view wire, const std::vector<TsigKey>& keys, TimePoint at = now)
{
    auto message = parse_message(wire);
    EXPECT_TRUE(message) << message.error().to_string();
    return check_request(*message, wire, keys, at);
}

// The request with its MAC cut to `size` octets (RDLENGTH and MAC size
// rewritten).
std::string with_mac_size(const std::string& wire, size_t size)
{
    auto message = *parse_message(wire);
    auto record = *parse_tsig_rdata(message.tsig->rdata);
    std::string rdata = record.algorithm.wire();
    for (int shift = 40; shift >= 0; shift -= 8)
        rdata += static_cast<char>((record.time_signed >> shift) & 0xff);
    rdata += static_cast<char>(record.fudge >> 8);
    rdata += static_cast<char>(record.fudge & 0xff);
    std::string mac = record.mac.substr(0, std::min(size, record.mac.size()));
    mac.resize(size, 'x');
    rdata += static_cast<char>(size >> 8);
    rdata += static_cast<char>(size & 0xff);
    rdata += mac;
    rdata += std::string("\x42\x42\0\0\0\0", 6);
    std::string out = wire.substr(0, message.tsig_offset);
    out += message.tsig->owner.wire();
    out += std::string("\0\xfa\0\xff\0\0\0\0", 8);
    out += static_cast<char>(rdata.size() >> 8);
    out += static_cast<char>(rdata.size() & 0xff);
    out += rdata;
    return out;
}

TEST(Tsig, AlgorithmNames)
{
    EXPECT_EQ(tsig_algorithm_from_text("hmac-sha256"), TsigAlgorithm::HmacSha256);
    EXPECT_EQ(tsig_algorithm_from_text("HMAC-SHA512."), TsigAlgorithm::HmacSha512);
    EXPECT_EQ(tsig_algorithm_from_text("hmac-sha1"), TsigAlgorithm::HmacSha1);
    EXPECT_EQ(tsig_algorithm_from_text("hmac-sha384"), TsigAlgorithm::HmacSha384);
    EXPECT_FALSE(tsig_algorithm_from_text("hmac-md5.sig-alg.reg.int"));
    EXPECT_FALSE(tsig_algorithm_from_text("hmac-sha224"));
    EXPECT_EQ(tsig_algorithm_name(TsigAlgorithm::HmacSha256).to_text(), "hmac-sha256.");
    EXPECT_EQ(tsig_mac_size(TsigAlgorithm::HmacSha384), 48u);
}

TEST(Tsig, SignedRequestVerifies)
{
    for (auto algorithm : { TsigAlgorithm::HmacSha1, TsigAlgorithm::HmacSha256, TsigAlgorithm::HmacSha384,
                            TsigAlgorithm::HmacSha512 }) {
        std::vector<TsigKey> keys { key("other.", algorithm, "zz"), key("xfr-key.", algorithm) };
        std::string wire = signed_query(keys[1]);
        auto result = check(wire, keys);
        EXPECT_EQ(result.outcome, TsigCheck::Outcome::Verified) << result.why;
        EXPECT_EQ(result.key, &keys[1]);
        EXPECT_EQ(result.request_mac.size(), tsig_mac_size(algorithm));
    }
    // Key names compare without case.
    std::vector<TsigKey> keys { key("XFR-Key.") };
    EXPECT_EQ(check(signed_query(key()), keys).outcome, TsigCheck::Outcome::Verified);
}

TEST(Tsig, UnsignedIsUnsigned)
{
    std::vector<TsigKey> keys { key() };
    EXPECT_EQ(check(query(), keys).outcome, TsigCheck::Outcome::Unsigned);
}

TEST(Tsig, BadKeyBadSigBadTime)
{
    std::vector<TsigKey> keys { key() };
    auto unknown = check(signed_query(key("stranger.")), keys);
    EXPECT_EQ(unknown.outcome, TsigCheck::Outcome::Failed);
    EXPECT_EQ(unknown.error, TsigError::BadKey);
    EXPECT_EQ(unknown.key, nullptr);
    EXPECT_EQ(unknown.key_name, name("stranger."));

    // The right name with another algorithm is another key (§5.2.1).
    auto algorithm = check(signed_query(key("xfr-key.", TsigAlgorithm::HmacSha512)), keys);
    EXPECT_EQ(algorithm.error, TsigError::BadKey);

    auto wrong_secret = check(signed_query(key("xfr-key.", TsigAlgorithm::HmacSha256, "not the secret")), keys);
    EXPECT_EQ(wrong_secret.outcome, TsigCheck::Outcome::Failed);
    EXPECT_EQ(wrong_secret.error, TsigError::BadSig);
    EXPECT_EQ(wrong_secret.why.find("0123456789abcdef"), std::string::npos);

    // A changed message.
    std::string tampered = signed_query(key());
    tampered[13] ^= 0x20; // a letter of the question's name
    EXPECT_EQ(check(tampered, keys).error, TsigError::BadSig);

    // The time: within the fudge (300 s) either way, else BADTIME with the
    // key known, so that the answer can be signed.
    EXPECT_EQ(check(signed_query(key(), now - 300s), keys).outcome, TsigCheck::Outcome::Verified);
    EXPECT_EQ(check(signed_query(key(), now + 300s), keys).outcome, TsigCheck::Outcome::Verified);
    auto late = check(signed_query(key(), now - 301s), keys);
    EXPECT_EQ(late.outcome, TsigCheck::Outcome::Failed);
    EXPECT_EQ(late.error, TsigError::BadTime);
    EXPECT_NE(late.key, nullptr);
    EXPECT_EQ(check(signed_query(key(), now + 301s), keys).error, TsigError::BadTime);
}

TEST(Tsig, TruncatedMacs)
{
    // RFC 8945 §5.2.2.1: no shorter than max(10, half the hash), no longer
    // than the hash; a truncated MAC is compared on its length.
    std::vector<TsigKey> keys { key() };
    const std::string wire = signed_query(key());
    EXPECT_EQ(check(with_mac_size(wire, 32), keys).outcome, TsigCheck::Outcome::Verified);
    auto truncated = check(with_mac_size(wire, 16), keys);
    EXPECT_EQ(truncated.outcome, TsigCheck::Outcome::Verified) << truncated.why;
    EXPECT_EQ(truncated.request_mac.size(), 16u);
    EXPECT_EQ(check(with_mac_size(wire, 15), keys).outcome, TsigCheck::Outcome::FormErr);
    EXPECT_EQ(check(with_mac_size(wire, 0), keys).outcome, TsigCheck::Outcome::FormErr);
    EXPECT_EQ(check(with_mac_size(wire, 33), keys).outcome, TsigCheck::Outcome::FormErr);

    std::vector<TsigKey> sha1 { key("xfr-key.", TsigAlgorithm::HmacSha1) };
    const std::string wire1 = signed_query(sha1[0]);
    EXPECT_EQ(check(with_mac_size(wire1, 10), sha1).outcome, TsigCheck::Outcome::Verified);
    EXPECT_EQ(check(with_mac_size(wire1, 9), sha1).outcome, TsigCheck::Outcome::FormErr);
}

TEST(Tsig, TransferMessagesChain)
{
    // A server signs three messages of an answer; the client checks them in
    // order (RFC 8945 §5.3.1).
    const TsigKey k = key();
    std::vector<TsigKey> keys { k };
    const std::string request = signed_query(k);
    auto checked = check(request, keys);
    ASSERT_EQ(checked.outcome, TsigCheck::Outcome::Verified);

    TsigSigner server(*checked.key, checked.request_mac, checked.original_id);
    std::vector<std::string> messages;
    for (int i = 0; i < 3; ++i) {
        MessageBuilder builder;
        Header header;
        header.id = 0x4242;
        header.qr = true;
        builder.set_header(header);
        builder.add_record(Section::Answer, name(fmt::format("n{}.example.", i)), dns::RRType::A, class_in, 60,
                           std::string("\x0a\0\0\x01", 4));
        std::string message = builder.finish();
        ASSERT_TRUE(server.sign(message, now + std::chrono::seconds(i)));
        messages.push_back(std::move(message));
    }
    // The client's own MAC of its request.
    TsigSigner client(k, {}, 0x4242);
    std::string again = query();
    ASSERT_TRUE(client.sign(again, now));
    ASSERT_EQ(client.mac(), checked.request_mac);

    {
        TsigVerifier verifier(k, client.mac());
        for (const auto& message : messages) {
            auto parsed = parse_message(message);
            ASSERT_TRUE(parsed);
            auto verified = verifier.verify(*parsed, message, now);
            EXPECT_TRUE(verified) << verified.error().to_string();
        }
    }
    {
        // Out of order: the second message does not follow the request.
        TsigVerifier verifier(k, client.mac());
        auto parsed = parse_message(messages[1]);
        EXPECT_FALSE(verifier.verify(*parsed, messages[1], now));
    }
    {
        // A changed later message.
        TsigVerifier verifier(k, client.mac());
        auto first = parse_message(messages[0]);
        ASSERT_TRUE(verifier.verify(*first, messages[0], now));
        std::string changed = messages[1];
        changed[changed.size() - 80] ^= 1;
        auto parsed = parse_message(changed);
        if (parsed) {
            EXPECT_FALSE(verifier.verify(*parsed, changed, now));
        }
    }
}

TEST(Tsig, UnsignedErrorRecord)
{
    std::string message = query();
    append_unsigned_tsig(message, name("stranger."), name("hmac-sha256."), 0x4242, TsigError::BadKey, now);
    auto parsed = parse_message(message);
    ASSERT_TRUE(parsed) << parsed.error().to_string();
    ASSERT_TRUE(parsed->tsig);
    auto record = parse_tsig_rdata(parsed->tsig->rdata);
    ASSERT_TRUE(record);
    EXPECT_EQ(record->error, TsigError::BadKey);
    EXPECT_TRUE(record->mac.empty());
    EXPECT_EQ(record->original_id, 0x4242);
}

TEST(Tsig, KeysCompareAndMove)
{
    TsigKey a = key();
    TsigKey b = a;
    EXPECT_EQ(a, b);
    TsigKey c = std::move(b);
    EXPECT_EQ(a, c);
    EXPECT_TRUE(b.secret().empty());
    EXPECT_FALSE(a == key("xfr-key.", TsigAlgorithm::HmacSha256, "another"));
}

} // namespace
} // namespace signet::xfr::tsig_test
