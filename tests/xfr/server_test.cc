#include <gtest/gtest.h>

#include <string>

#include <signet/dns/zone.h>
#include <signet/dns/zone_assembler.h>
#include <signet/xfr/server.h>

namespace signet::xfr::server_test {
namespace {

using namespace std::chrono_literals;

dns::Name name(std::string_view text) { return *dns::Name::from_text(text); }

const TimePoint now = TimePoint(1'700'000'000s);
const Address secondary = *Address::from_text("192.0.2.53");
const Address stranger = *Address::from_text("198.51.100.1");

std::shared_ptr<const dns::Zone> zone_with(size_t extra)
{
    std::string text = "$TTL 3600\n"
                       "@ SOA ns1 hostmaster 2024010101 3600 900 604800 300\n"
                       "@ NS ns1\n"
                       "ns1 A 192.0.2.1\n"
                       "Mixed.Case TXT \"kept\"\n"
                       "@ MX 10 mail\n";
    for (size_t i = 0; i < extra; ++i)
        text += fmt::format("host{} A 10.0.{}.{}\nhost{} TXT \"{}\"\n", i, i / 256, i % 256, i, std::string(50, 'x'));
    dns::Diagnostics diagnostics;
    auto zone = dns::load_zone_text(text, name("example."), diagnostics);
    EXPECT_TRUE(zone) << zone.error().to_string();
    return std::make_shared<const dns::Zone>(std::move(*zone));
}

const TsigKey xfr_key(name("xfr-key."), TsigAlgorithm::HmacSha256, "0123456789abcdef0123456789abcdef");

std::shared_ptr<const Catalog> catalog(size_t extra = 0, bool keyed = true)
{
    auto catalog = std::make_shared<Catalog>();
    ServedZone served;
    served.zone = zone_with(extra);
    served.allow_transfer.push_back(Peer { "secondary", secondary, keyed ? std::optional(xfr_key.name()) : std::nullopt });
    catalog->zones.emplace(name("example."), std::move(served));
    catalog->keys.push_back(xfr_key);
    return catalog;
}

std::string query(std::string_view qname, dns::RRType type, std::optional<Edns> edns = std::nullopt,
                  std::optional<uint32_t> ixfr_serial = std::nullopt)
{
    MessageBuilder builder;
    Header header;
    header.id = 0x0707;
    builder.set_header(header);
    builder.add_question({ name(qname), type, class_in });
    if (ixfr_serial) {
        std::string soa = name("ns1.example.").wire() + name("hostmaster.example.").wire();
        for (uint32_t v : { *ixfr_serial, 0u, 0u, 0u, 0u })
            for (int shift = 24; shift >= 0; shift -= 8)
                soa += static_cast<char>((v >> shift) & 0xff);
        builder.add_record(Section::Authority, name(qname), dns::RRType::SOA, class_in, 0, soa);
    }
    if (edns)
        builder.add_edns(*edns);
    return builder.finish();
}

std::vector<std::string> all(Answer answer)
{
    std::vector<std::string> out;
    while (auto message = answer.next(now))
        out.push_back(std::move(*message));
    return out;
}

Message parsed(const std::string& wire)
{
    auto message = parse_message(wire);
    EXPECT_TRUE(message) << message.error().to_string();
    return message ? *message : Message {};
}

TEST(Server, AnswersSoa)
{
    auto messages = all(answer_query(catalog(), query("EXAMPLE.", dns::RRType::SOA), { stranger, Transport::Udp }, now));
    ASSERT_EQ(messages.size(), 1u);
    auto message = parsed(messages[0]);
    EXPECT_EQ(message.header.id, 0x0707);
    EXPECT_TRUE(message.header.qr);
    EXPECT_TRUE(message.header.aa);
    EXPECT_EQ(message.rcode(), 0);
    ASSERT_EQ(message.answers.size(), 1u);
    EXPECT_EQ(message.answers[0].type, dns::RRType::SOA);
    EXPECT_EQ(message.questions[0].name.to_text(), "EXAMPLE."); // as asked
}

TEST(Server, RefusesWhatItDoesNotServe)
{
    auto c = catalog();
    for (auto [qname, type] : { std::pair { "example.org.", dns::RRType::SOA },
                                std::pair { "www.example.", dns::RRType::SOA },
                                std::pair { "example.", dns::RRType::A } }) {
        auto messages = all(answer_query(c, query(qname, type), { stranger, Transport::Udp }, now));
        ASSERT_EQ(messages.size(), 1u);
        EXPECT_EQ(parsed(messages[0]).rcode(), static_cast<uint16_t>(Rcode::Refused)) << qname;
    }
    // Garbage with a header: FORMERR; a response or a runt: no answer.
    std::string garbage = query("example.", dns::RRType::SOA) + "junk";
    auto formerr = all(answer_query(c, garbage, { stranger, Transport::Udp }, now));
    ASSERT_EQ(formerr.size(), 1u);
    EXPECT_EQ(parse_header(formerr[0])->rcode, static_cast<uint8_t>(Rcode::FormErr));
    std::string response = query("example.", dns::RRType::SOA);
    response[2] |= static_cast<char>(0x80);
    EXPECT_TRUE(all(answer_query(c, response, { stranger, Transport::Udp }, now)).empty());
    EXPECT_TRUE(all(answer_query(c, "short", { stranger, Transport::Udp }, now)).empty());
    // EDNS version 1: BADVERS.
    Edns edns;
    edns.version = 1;
    auto badvers = all(answer_query(c, query("example.", dns::RRType::SOA, edns), { stranger, Transport::Udp }, now));
    EXPECT_EQ(parsed(badvers[0]).rcode(), static_cast<uint16_t>(Rcode::BadVers));
}

// Checks a whole transfer: SOA first and last, every record of the zone
// once, and returns the number of messages.
size_t check_transfer(const std::vector<std::string>& messages, const dns::Zone& zone,
                      TsigVerifier* verifier = nullptr)
{
    std::vector<Record> records;
    for (size_t i = 0; i < messages.size(); ++i) {
        auto message = parsed(messages[i]);
        EXPECT_EQ(message.rcode(), 0);
        EXPECT_TRUE(message.header.aa);
        EXPECT_EQ(message.questions.size(), i == 0 ? 1u : 0u);
        EXPECT_LE(messages[i].size(), max_tcp_size);
        if (verifier) {
            auto verified = verifier->verify(message, messages[i], now);
            EXPECT_TRUE(verified) << verified.error().to_string();
            EXPECT_TRUE(message.tsig);
        }
        for (auto& r : message.answers)
            records.push_back(std::move(r));
    }
    EXPECT_EQ(records.size(), zone.record_count() + 1);
    if (records.size() < 2)
        return messages.size();
    EXPECT_EQ(records.front().type, dns::RRType::SOA);
    EXPECT_EQ(records.back().type, dns::RRType::SOA);
    EXPECT_EQ(records.front().rdata, records.back().rdata);
    size_t at = 1;
    for (auto rrset : zone) {
        if (rrset.type() == dns::RRType::SOA)
            continue;
        for (std::string_view rdata : rrset.rdatas()) {
            EXPECT_EQ(records[at].owner.to_text(), rrset.owner().to_text());
            EXPECT_EQ(records[at].type, rrset.type());
            EXPECT_EQ(records[at].rdata, rdata);
            ++at;
        }
    }
    return messages.size();
}

TEST(Server, TransfersTheZoneSignedInManyMessages)
{
    auto c = catalog(600);
    TsigSigner client(xfr_key, {}, 0x0707);
    std::string request = query("example.", type_axfr);
    ASSERT_TRUE(client.sign(request, now));
    auto answer = answer_query(c, request, { secondary, Transport::Tcp }, now);
    auto messages = all(std::move(answer));
    TsigVerifier verifier(xfr_key, client.mac());
    EXPECT_GT(check_transfer(messages, *c->zones.begin()->second.zone, &verifier), 3u);
    for (const auto& m : messages)
        EXPECT_LE(m.size(), 16384u + 1024u);
}

TEST(Server, TransfersWithoutKeyToAPeerWithout)
{
    auto c = catalog(0, false);
    auto messages = all(answer_query(c, query("example.", type_axfr), { secondary, Transport::Tcp }, now));
    EXPECT_EQ(check_transfer(messages, *c->zones.begin()->second.zone), 1u);
    auto message = parsed(messages[0]);
    EXPECT_FALSE(message.tsig);
    // The owner's case is kept.
    bool mixed = false;
    for (const auto& r : message.answers)
        mixed |= r.owner.to_text() == "Mixed.Case.example.";
    EXPECT_TRUE(mixed);
}

TEST(Server, RefusesTransfers)
{
    auto c = catalog();
    auto rcode_of = [&](const std::string& request, const Address& from, Transport transport) {
        auto messages = all(answer_query(c, request, { from, transport }, now));
        EXPECT_EQ(messages.size(), 1u);
        return parsed(messages.at(0));
    };
    // Unsigned, to a peer that needs the key.
    EXPECT_EQ(rcode_of(query("example.", type_axfr), secondary, Transport::Tcp).rcode(),
              static_cast<uint16_t>(Rcode::Refused));
    // Signed, from another address.
    TsigSigner signer(xfr_key, {}, 0x0707);
    std::string request = query("example.", type_axfr);
    ASSERT_TRUE(signer.sign(request, now));
    auto refused = rcode_of(request, stranger, Transport::Tcp);
    EXPECT_EQ(refused.rcode(), static_cast<uint16_t>(Rcode::Refused));
    EXPECT_TRUE(refused.tsig); // signed all the same
    // Over UDP.
    EXPECT_EQ(rcode_of(request, secondary, Transport::Udp).rcode(), static_cast<uint16_t>(Rcode::FormErr));
    // A wrong secret: NOTAUTH, BADSIG in an unsigned TSIG.
    TsigKey wrong(name("xfr-key."), TsigAlgorithm::HmacSha256, "guess");
    TsigSigner bad(wrong, {}, 0x0707);
    std::string forged = query("example.", type_axfr);
    ASSERT_TRUE(bad.sign(forged, now));
    auto notauth = rcode_of(forged, secondary, Transport::Tcp);
    EXPECT_EQ(notauth.rcode(), static_cast<uint16_t>(Rcode::NotAuth));
    ASSERT_TRUE(notauth.tsig);
    auto record = parse_tsig_rdata(notauth.tsig->rdata);
    EXPECT_EQ(record->error, TsigError::BadSig);
    EXPECT_TRUE(record->mac.empty());
    // An old request: NOTAUTH, BADTIME, signed, the server's time in Other.
    TsigSigner old(xfr_key, {}, 0x0707);
    std::string stale = query("example.", type_axfr);
    ASSERT_TRUE(old.sign(stale, now - 1h));
    auto badtime = rcode_of(stale, secondary, Transport::Tcp);
    EXPECT_EQ(badtime.rcode(), static_cast<uint16_t>(Rcode::NotAuth));
    auto time_record = parse_tsig_rdata(badtime.tsig->rdata);
    EXPECT_EQ(time_record->error, TsigError::BadTime);
    EXPECT_EQ(time_record->other.size(), 6u);
    EXPECT_EQ(time_record->mac.size(), 32u);
}

TEST(Server, IxfrAnswersSoaOrTheWholeZone)
{
    auto c = catalog(0, false);
    const uint32_t serial = c->zones.begin()->second.zone->serial();
    auto current = all(answer_query(c, query("example.", type_ixfr, std::nullopt, serial), { secondary, Transport::Tcp }, now));
    ASSERT_EQ(current.size(), 1u);
    EXPECT_EQ(parsed(current[0]).answers.size(), 1u);
    auto older = all(answer_query(c, query("example.", type_ixfr, std::nullopt, serial - 1), { secondary, Transport::Tcp }, now));
    check_transfer(older, *c->zones.begin()->second.zone);
    auto udp = all(answer_query(c, query("example.", type_ixfr, std::nullopt, serial - 1), { secondary, Transport::Udp }, now));
    ASSERT_EQ(udp.size(), 1u);
    EXPECT_EQ(parsed(udp[0]).answers.size(), 1u);
}

dns::Zone version(uint32_t serial, std::string_view extra)
{
    dns::Diagnostics diagnostics;
    auto zone = dns::load_zone_text(fmt::format("$TTL 300\n@ SOA ns1 hostmaster {} 3600 900 604800 300\n@ NS ns1\n"
                                                "ns1 A 192.0.2.1\n{}",
                                                serial, extra),
                                    name("example."), diagnostics);
    EXPECT_TRUE(zone) << zone.error().to_string();
    return std::move(*zone);
}

uint32_t serial_in(const Record& soa)
{
    size_t at = 0;
    for (int names = 0; names < 2; ++names) {
        while (soa.rdata[at] != 0)
            at += 1 + static_cast<uint8_t>(soa.rdata[at]);
        ++at;
    }
    return (uint32_t { static_cast<uint8_t>(soa.rdata[at]) } << 24) | (static_cast<uint8_t>(soa.rdata[at + 1]) << 16)
        | (static_cast<uint8_t>(soa.rdata[at + 2]) << 8) | static_cast<uint8_t>(soa.rdata[at + 3]);
}

TEST(Server, IxfrFromTheJournal)
{
    // Three versions: 10 -> 11 removes b and adds c, 11 -> 12 adds d.
    dns::Zone v10 = version(10, "a A 10.0.0.1\nb A 10.0.0.2\n");
    dns::Zone v11 = version(11, "a A 10.0.0.1\nc A 10.0.0.3\n");
    auto v12 = std::make_shared<const dns::Zone>(version(12, "a A 10.0.0.1\nc A 10.0.0.3\nd A 10.0.0.4\n"));
    auto journal = std::make_shared<std::vector<VersionDiff>>();
    for (auto [from, to] : { std::pair<const dns::Zone*, const dns::Zone*> { &v10, &v11 }, { &v11, v12.get() } }) {
        auto diff = dns::diff_zones(*from, *to, 1000);
        ASSERT_TRUE(diff);
        journal->push_back({ from->serial(), to->serial(), std::move(diff->removed), std::move(diff->added) });
    }
    auto c = std::make_shared<Catalog>();
    ServedZone served { v12, journal, { Peer { "secondary", secondary, std::nullopt } } };
    c->zones.emplace(name("example."), std::move(served));

    auto records_of = [&](uint32_t from) {
        std::vector<Record> records;
        for (const auto& m : all(answer_query(c, query("example.", type_ixfr, std::nullopt, from),
                                              { secondary, Transport::Tcp }, now)))
            for (auto& r : parsed(m).answers)
                records.push_back(std::move(r));
        return records;
    };
    // RFC 1995 §4: new SOA, then per version the old SOA, what it removed,
    // the new SOA, what it added; the new SOA last.
    auto records = records_of(10);
    std::vector<std::string> shape;
    for (const auto& r : records)
        shape.push_back(r.type == dns::RRType::SOA ? fmt::format("SOA {}", serial_in(r)) : r.owner.to_text());
    EXPECT_EQ(shape, (std::vector<std::string> { "SOA 12", "SOA 10", "b.example.", "SOA 11", "c.example.", "SOA 11",
                                                 "SOA 12", "d.example.", "SOA 12" }));
    EXPECT_EQ(records_of(11).size(), 5u); // SOA 12, SOA 11, SOA 12, d, SOA 12
    // A serial the journal does not hold: the whole zone.
    auto whole = records_of(9);
    EXPECT_EQ(whole.size(), v12->record_count() + 1);
    EXPECT_EQ(whole[1].type, dns::RRType::NS); // AXFR-style: the second record is no SOA
}

TEST(Server, Addresses)
{
    EXPECT_EQ(Address::from_text("192.0.2.1")->to_text(), "192.0.2.1");
    EXPECT_EQ(Address::from_text("::ffff:192.0.2.1"), Address::from_text("192.0.2.1"));
    EXPECT_EQ(Address::from_text("2001:db8::1")->to_text(), "2001:db8::1");
    EXPECT_FALSE(Address::from_text("192.0.2.1:53"));
}

} // namespace
} // namespace signet::xfr::server_test
