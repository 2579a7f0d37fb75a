// Feeds arbitrary bytes to the DNS message reader and to the answers
// signetd gives: a message read must build again into one that reads back
// the same (names, RDATA, EDNS, TSIG), and answering it must neither crash
// nor make a message that does not read back; taken as the answer to a
// NOTIFY, it must be told apart without a crash; never a crash, never a
// read outside the input.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include <signet/dns/zone.h>
#include <signet/xfr/message.h>
#include <signet/xfr/notify.h>
#include <signet/xfr/server.h>

namespace {

using namespace signet;

bool same(const xfr::Record& a, const xfr::Record& b)
{
    return a.owner.wire() == b.owner.wire() && a.type == b.type && a.rclass == b.rclass && a.ttl == b.ttl
        && a.rdata == b.rdata;
}

bool same(const std::vector<xfr::Record>& a, const std::vector<xfr::Record>& b)
{
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (!same(a[i], b[i]))
            return false;
    }
    return true;
}

std::shared_ptr<const xfr::Catalog> make_catalog()
{
    auto catalog = std::make_shared<xfr::Catalog>();
    dns::Diagnostics diagnostics;
    const dns::Name origin = *dns::Name::from_text("example.");
    auto zone = dns::load_zone_text("$TTL 300\n@ SOA ns hostmaster 1 3600 900 604800 300\n@ NS ns\nns A 192.0.2.1\n"
                                    "www CNAME ns\n@ MX 10 ns\n",
                                    origin, diagnostics);
    if (!zone)
        std::abort();
    xfr::ServedZone served;
    served.zone = std::make_shared<const dns::Zone>(std::move(*zone));
    served.allow_transfer.push_back({ "any", *xfr::Address::from_text("127.0.0.1"), std::nullopt });
    catalog->zones.emplace(origin, std::move(served));
    catalog->keys.emplace_back(*dns::Name::from_text("key."), xfr::TsigAlgorithm::HmacSha256, "secret");
    return catalog;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static const auto catalog = make_catalog();
    const std::string_view wire(reinterpret_cast<const char*>(data), size);

    const auto clock = TimePoint(std::chrono::seconds(1'700'000'000));
    for (auto transport : { xfr::Transport::Udp, xfr::Transport::Tcp }) {
        auto answer = xfr::answer_query(catalog, wire, { *xfr::Address::from_text("127.0.0.1"), transport }, clock);
        for (int i = 0; i < 4; ++i) {
            auto message = answer.next(clock);
            if (!message)
                break;
            if (!xfr::parse_message(*message) || message->size() > xfr::max_tcp_size)
                std::abort();
        }
    }

    // As the answer to a NOTIFY signetd sent, signed and not, with the
    // input's own ID so that every input gets past the first check.
    if (auto header = xfr::parse_header(wire)) {
        const dns::Zone& served = *catalog->zones.begin()->second.zone;
        for (const auto& key : { std::optional(catalog->keys.front()), std::optional<xfr::TsigKey>() }) {
            auto notify = xfr::Notify::make(served, header->id, key, clock);
            if (!notify)
                std::abort();
            auto reply = notify->check_reply(wire, clock);
            if (reply.outcome == xfr::NotifyReply::Outcome::Acknowledged && reply.rcode != 0)
                std::abort();
        }
    }

    auto message = xfr::parse_message(wire);
    if (!message)
        return 0;
    xfr::MessageBuilder builder;
    builder.set_header(message->header);
    bool fits = true;
    for (const auto& q : message->questions)
        fits = fits && builder.add_question(q);
    for (const auto& r : message->answers)
        fits = fits && builder.add_record(xfr::Section::Answer, r);
    for (const auto& r : message->authority)
        fits = fits && builder.add_record(xfr::Section::Authority, r);
    for (const auto& r : message->additional)
        fits = fits && builder.add_record(xfr::Section::Additional, r);
    if (message->edns)
        fits = fits && builder.add_edns(*message->edns);
    if (message->tsig)
        fits = fits && builder.add_record(xfr::Section::Additional, *message->tsig);
    if (!fits)
        return 0; // grown past 64 KiB without the input's pointers
    auto again = xfr::parse_message(builder.finish());
    if (!again)
        std::abort();
    bool equal = again->questions.size() == message->questions.size() && same(again->answers, message->answers)
        && same(again->authority, message->authority) && same(again->additional, message->additional)
        && again->edns.has_value() == message->edns.has_value() && again->tsig.has_value() == message->tsig.has_value()
        && again->header.id == message->header.id && again->rcode() == message->rcode();
    for (size_t i = 0; equal && i < message->questions.size(); ++i)
        equal = again->questions[i].name.wire() == message->questions[i].name.wire()
            && again->questions[i].type == message->questions[i].type
            && again->questions[i].qclass == message->questions[i].qclass;
    if (equal && message->tsig)
        equal = same(*again->tsig, *message->tsig);
    if (equal && message->edns)
        equal = again->edns->udp_size == message->edns->udp_size && again->edns->options == message->edns->options
            && again->edns->dnssec_ok == message->edns->dnssec_ok && again->edns->version == message->edns->version;
    if (!equal)
        std::abort();
    return 0;
}
