#include <gtest/gtest.h>

#include <string>

#include <signet/xfr/message.h>

namespace signet::xfr::message_test {
namespace {

dns::Name name(std::string_view text) { return *dns::Name::from_text(text); }

std::string wire_of(std::initializer_list<int> octets)
{
    std::string out;
    for (int o : octets)
        out += static_cast<char>(o);
    return out;
}

std::string rdata_of(dns::RRType type, std::string_view text)
{
    std::vector<dns::Token> tokens;
    size_t start = 0;
    std::vector<std::string> words;
    while (start < text.size()) {
        size_t end = text.find(' ', start);
        if (end == std::string_view::npos)
            end = text.size();
        words.emplace_back(text.substr(start, end - start));
        start = end + 1;
    }
    for (const auto& w : words)
        tokens.push_back({ w, false, 1 });
    return *dns::rdata_from_text(type, tokens, name("example."));
}

Header query_header(uint16_t id)
{
    Header header;
    header.id = id;
    header.rd = true;
    return header;
}

TEST(Message, BuildsAndReadsBackWithCompression)
{
    MessageBuilder builder;
    Header header = query_header(0x1234);
    header.qr = true;
    header.aa = true;
    builder.set_header(header);
    ASSERT_TRUE(builder.add_question({ name("example."), dns::RRType::SOA, class_in }));
    const std::string soa = rdata_of(dns::RRType::SOA, "ns1.example. hostmaster.example. 2024010101 3600 900 604800 300");
    const std::string ns = rdata_of(dns::RRType::NS, "ns1.example.");
    const std::string mx = rdata_of(dns::RRType::MX, "10 mail.example.");
    const std::string txt = rdata_of(dns::RRType::TXT, "\"hello\"");
    const std::string srv = rdata_of(dns::RRType::SRV, "0 0 443 www.example.");
    ASSERT_TRUE(builder.add_record(Section::Answer, name("example."), dns::RRType::SOA, class_in, 3600, soa));
    ASSERT_TRUE(builder.add_record(Section::Authority, name("example."), dns::RRType::NS, class_in, 3600, ns));
    ASSERT_TRUE(builder.add_record(Section::Authority, name("example."), dns::RRType::MX, class_in, 3600, mx));
    ASSERT_TRUE(builder.add_record(Section::Additional, name("www.example."), dns::RRType::TXT, class_in, 60, txt));
    ASSERT_TRUE(builder.add_record(Section::Additional, name("_x._tcp.example."), dns::RRType::SRV, class_in, 60, srv));
    EXPECT_EQ(builder.record_count(), 5u);
    const std::string wire = builder.finish();

    auto message = parse_message(wire);
    ASSERT_TRUE(message) << message.error().to_string();
    EXPECT_EQ(message->header.id, 0x1234);
    EXPECT_TRUE(message->header.qr);
    EXPECT_TRUE(message->header.aa);
    EXPECT_TRUE(message->header.rd);
    ASSERT_EQ(message->questions.size(), 1u);
    EXPECT_EQ(message->questions[0].name, name("example."));
    ASSERT_EQ(message->answers.size(), 1u);
    EXPECT_EQ(message->answers[0].rdata, soa);
    ASSERT_EQ(message->authority.size(), 2u);
    EXPECT_EQ(message->authority[0].rdata, ns);
    EXPECT_EQ(message->authority[1].rdata, mx);
    ASSERT_EQ(message->additional.size(), 2u);
    EXPECT_EQ(message->additional[0].owner, name("www.example."));
    EXPECT_EQ(message->additional[0].rdata, txt);
    EXPECT_EQ(message->additional[1].rdata, srv);

    // "example." is written once; every later occurrence is a pointer, in
    // owner names and in the RDATA of SOA, NS and MX, but not in SRV (RFC
    // 3597 §4), whose target is written out.
    size_t uncompressed = header_size;
    uncompressed += name("example.").wire().size() + 4;
    uncompressed += 5 * 10 + name("example.").wire().size() * 3 + name("www.example.").wire().size()
        + name("_x._tcp.example.").wire().size() + soa.size() + ns.size() + mx.size() + txt.size() + srv.size();
    EXPECT_LT(wire.size() + 40, uncompressed);
    EXPECT_NE(wire.find(name("www.example.").wire()), std::string::npos); // the SRV target, whole
}

TEST(Message, KeepsTheCaseOfNames)
{
    MessageBuilder builder;
    builder.set_header(query_header(1));
    ASSERT_TRUE(builder.add_record(Section::Answer, name("Example."), dns::RRType::NS, class_in, 1,
                                   rdata_of(dns::RRType::NS, "ns.EXAMPLE.")));
    ASSERT_TRUE(builder.add_record(Section::Answer, name("example."), dns::RRType::NS, class_in, 1,
                                   rdata_of(dns::RRType::NS, "ns.example.")));
    auto message = parse_message(builder.finish());
    ASSERT_TRUE(message);
    EXPECT_EQ(message->answers[0].owner.to_text(), "Example.");
    EXPECT_EQ(message->answers[1].owner.to_text(), "example.");
    EXPECT_EQ(dns::rdata_to_text(dns::RRType::NS, message->answers[0].rdata), "ns.EXAMPLE.");
    EXPECT_EQ(dns::rdata_to_text(dns::RRType::NS, message->answers[1].rdata), "ns.example.");
}

TEST(Message, ReadsTheRfc1035Example)
{
    // After RFC 1035 §4.1.4: F.ISI.ARPA, FOO.F.ISI.ARPA as "FOO" and a
    // pointer to it, ARPA as a pointer into it; as owners, an NS target and
    // a PTR target.
    std::string wire = wire_of({ 0, 1, 0x84, 0, 0, 0, 0, 3, 0, 0, 0, 0 });
    // Record 1 at 12: owner F.ISI.ARPA at 12.
    wire += wire_of({ 1, 'F', 3, 'I', 'S', 'I', 4, 'A', 'R', 'P', 'A', 0 });
    wire += wire_of({ 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1 }); // A 10.0.0.1
    // Record 2 at 38: owner FOO + pointer to 12, NS → pointer to ISI.ARPA (14).
    wire += wire_of({ 3, 'F', 'O', 'O', 0xc0, 12 });
    wire += wire_of({ 0, 2, 0, 1, 0, 0, 0, 60, 0, 2, 0xc0, 14 });
    // Record 3: owner pointer to ARPA (18), PTR → pointer to the second owner.
    wire += wire_of({ 0xc0, 18 });
    wire += wire_of({ 0, 12, 0, 1, 0, 0, 0, 60, 0, 2, 0xc0, 38 });
    auto message = parse_message(wire);
    ASSERT_TRUE(message) << message.error().to_string();
    ASSERT_EQ(message->answers.size(), 3u);
    EXPECT_EQ(message->answers[0].owner.to_text(), "F.ISI.ARPA.");
    EXPECT_EQ(message->answers[1].owner.to_text(), "FOO.F.ISI.ARPA.");
    EXPECT_EQ(dns::rdata_to_text(dns::RRType::NS, message->answers[1].rdata), "ISI.ARPA.");
    EXPECT_EQ(message->answers[2].owner.to_text(), "ARPA.");
    EXPECT_EQ(dns::rdata_to_text(dns::RRType::PTR, message->answers[2].rdata), "FOO.F.ISI.ARPA.");
}

TEST(Message, RefusesLoopsAndForwardPointers)
{
    const std::string header = wire_of({ 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 });
    // A pointer to itself.
    EXPECT_FALSE(parse_message(header + wire_of({ 0xc0, 12, 0, 6, 0, 1 })));
    // A pointer forward.
    EXPECT_FALSE(parse_message(header + wire_of({ 0xc0, 14, 0, 6, 0, 1, 0 })));
    // Two pointers to each other: the second does not point back far enough.
    EXPECT_FALSE(parse_message(header + wire_of({ 1, 'a', 0xc0, 12, 0, 6, 0, 1 })));
    // Extended label types (RFC 6891 §5).
    EXPECT_FALSE(parse_message(header + wire_of({ 0x41, 0, 0, 6, 0, 1 })));
    // A name longer than 255 octets through pointers.
    std::string longer = header;
    std::string label = wire_of({ 63 }) + std::string(63, 'a');
    longer += label + label + label + wire_of({ 0 }) + wire_of({ 0, 6, 0, 1 });
    auto fine = parse_message(longer);
    ASSERT_TRUE(fine) << fine.error().to_string();
    std::string too_long = header.substr(0, 4) + wire_of({ 0, 2 }) + header.substr(6);
    too_long += label + label + label + wire_of({ 0 }) + wire_of({ 0, 6, 0, 1 });
    too_long += label + wire_of({ 0xc0, 12 }) + wire_of({ 0, 6, 0, 1 });
    EXPECT_FALSE(parse_message(too_long));
}

TEST(Message, DecompressesRdataOfTheRfc1035TypesOnly)
{
    // An owner "example." at 12, then records whose RDATA points to it.
    const std::string header = wire_of({ 0, 1, 0x84, 0, 0, 0, 0, 2, 0, 0, 0, 0 });
    const std::string owner = wire_of({ 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0 });
    const std::string cname = header + owner + wire_of({ 0, 5, 0, 1, 0, 0, 0, 1, 0, 6, 3, 'w', 'w', 'w', 0xc0, 12 })
        + wire_of({ 0xc0, 12, 0, 33, 0, 1, 0, 0, 0, 1, 0, 8, 0, 0, 0, 0, 0, 1, 0xc0, 12 });
    // CNAME is decompressed; SRV (RFC 2782, after RFC 1035) must not be.
    EXPECT_FALSE(parse_message(cname));
    std::string good = cname.substr(0, cname.size() - 20);
    good[7] = 1;
    auto message = parse_message(good);
    ASSERT_TRUE(message) << message.error().to_string();
    EXPECT_EQ(dns::rdata_to_text(dns::RRType::CNAME, message->answers[0].rdata), "www.example.");
}

TEST(Message, RefusesWhatDoesNotAddUp)
{
    MessageBuilder builder;
    builder.set_header(query_header(7));
    ASSERT_TRUE(builder.add_question({ name("example."), type_axfr, class_in }));
    const std::string wire = builder.finish();
    ASSERT_TRUE(parse_message(wire));
    for (size_t cut = 0; cut < wire.size(); ++cut)
        EXPECT_FALSE(parse_message(wire.substr(0, cut))) << cut;
    EXPECT_FALSE(parse_message(wire + "x")); // trailing octets
    // An A record of 3 octets.
    std::string bad_a = wire.substr(0, 6) + wire_of({ 0, 1 }) + wire.substr(8)
        + wire_of({ 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 3, 1, 2, 3 });
    EXPECT_FALSE(parse_message(bad_a));
}

TEST(Message, ReadsAndWritesEdns)
{
    MessageBuilder builder;
    builder.set_header(query_header(9));
    ASSERT_TRUE(builder.add_question({ name("example."), dns::RRType::SOA, class_in }));
    Edns edns;
    edns.udp_size = 1232;
    edns.dnssec_ok = true;
    edns.extended_rcode = 1;
    ASSERT_TRUE(builder.add_edns(edns));
    std::string wire = builder.finish();
    auto message = parse_message(wire);
    ASSERT_TRUE(message) << message.error().to_string();
    ASSERT_TRUE(message->edns);
    EXPECT_EQ(message->edns->udp_size, 1232);
    EXPECT_TRUE(message->edns->dnssec_ok);
    EXPECT_EQ(message->rcode(), 16);
    EXPECT_TRUE(message->additional.empty());

    // A second OPT is an error (RFC 6891 §6.1.1).
    MessageBuilder twice;
    twice.set_header(query_header(9));
    twice.add_edns(edns);
    twice.add_edns(edns);
    EXPECT_FALSE(parse_message(twice.finish()));
}

TEST(Message, StopsAtItsSize)
{
    MessageBuilder builder(max_udp_size_plain);
    builder.set_header(query_header(3));
    ASSERT_TRUE(builder.add_question({ name("example."), dns::RRType::TXT, class_in }));
    const std::string txt = rdata_of(dns::RRType::TXT, "\"" + std::string(200, 'x') + "\"");
    EXPECT_TRUE(builder.add_record(Section::Answer, name("a.example."), dns::RRType::TXT, class_in, 1, txt));
    EXPECT_TRUE(builder.add_record(Section::Answer, name("b.example."), dns::RRType::TXT, class_in, 1, txt));
    const size_t before = builder.size();
    EXPECT_FALSE(builder.add_record(Section::Answer, name("c.example."), dns::RRType::TXT, class_in, 1, txt));
    EXPECT_EQ(builder.size(), before);
    EXPECT_EQ(builder.record_count(), 2u);
    // What a failed record had added to the compression table is gone: a
    // later name does not point into it.
    EXPECT_TRUE(builder.add_record(Section::Answer, name("c.example."), dns::RRType::A, class_in, 1,
                                   std::string("\1\2\3\4", 4)));
    auto message = parse_message(builder.finish());
    ASSERT_TRUE(message) << message.error().to_string();
    EXPECT_EQ(message->answers.size(), 3u);
    EXPECT_LE(builder.size(), max_udp_size_plain);

    // Room kept for TSIG counts against the size.
    MessageBuilder reserved(max_udp_size_plain);
    reserved.reserve(100);
    reserved.add_record(Section::Answer, name("a.example."), dns::RRType::TXT, class_in, 1, txt);
    EXPECT_FALSE(reserved.add_record(Section::Answer, name("b.example."), dns::RRType::TXT, class_in, 1, txt));
}

TEST(Message, FramesForTcp)
{
    std::string framed = tcp_frame(std::string(300, 'x'));
    ASSERT_EQ(framed.size(), 302u);
    const unsigned char prefix[2] = { static_cast<unsigned char>(framed[0]), static_cast<unsigned char>(framed[1]) };
    EXPECT_EQ(tcp_frame_length(prefix), 300u);
}

} // namespace
} // namespace signet::xfr::message_test
