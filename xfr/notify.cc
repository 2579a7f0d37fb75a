#include <signet/xfr/notify.h>

#include <fmt/format.h>

namespace signet::xfr {

Result<Notify> Notify::make(const dns::Zone& zone, uint16_t id, std::optional<TsigKey> key, TimePoint now)
{
    auto soa = zone.find(zone.origin(), dns::RRType::SOA);
    if (!soa)
        return fail(ErrorCode::Internal, fmt::format("NOTIFY {}: the zone has no SOA", zone.origin().to_text()));
    Notify notify;
    notify.id_ = id;
    notify.zone_ = zone.origin();
    notify.serial_ = zone.serial();
    notify.key_ = std::move(key);

    // It goes over UDP to a server that may not speak EDNS: 512 octets,
    // which an SOA, the question and a TSIG always fit in.
    MessageBuilder builder(max_udp_size_plain);
    if (notify.key_)
        builder.reserve(tsig_record_size(*notify.key_));
    Header header;
    header.id = id;
    header.opcode = Opcode::Notify;
    header.aa = true;
    builder.set_header(header);
    builder.add_question({ notify.zone_, dns::RRType::SOA, class_in });
    // The hint is optional: the question alone is a NOTIFY.
    builder.add_record(Section::Answer, soa->owner(), dns::RRType::SOA, class_in, soa->ttl(), soa->rdata(0));
    notify.wire_ = builder.finish();
    if (notify.key_) {
        TsigSigner signer(*notify.key_, {}, id);
        SIGNET_TRY(signer.sign(notify.wire_, now));
        notify.mac_ = signer.mac();
    }
    return notify;
}

NotifyReply Notify::check_reply(std::string_view wire, TimePoint now) const
{
    NotifyReply reply;
    auto header = parse_header(wire);
    if (!header || !header->qr || header->id != id_ || header->opcode != Opcode::Notify)
        return reply;
    auto message = parse_message(wire);
    if (!message) {
        // It may be ours, damaged, or a forgery: neither ends the retries.
        reply.outcome = NotifyReply::Outcome::Unverified;
        reply.why = fmt::format("an unreadable answer: {}", message.error().message());
        return reply;
    }
    if (!message->questions.empty()) {
        const Question& question = message->questions.front();
        if (message->questions.size() != 1 || !(question.name == zone_) || question.type != dns::RRType::SOA
            || question.qclass != class_in)
            return reply;
    }
    reply.rcode = message->rcode();
    if (key_) {
        // A signed NOTIFY is answered signed (RFC 8945 §5.3); an answer
        // that is not could come from anyone who saw the query go by.
        TsigVerifier verifier(*key_, mac_);
        if (auto verified = verifier.verify(*message, wire, now); !verified) {
            reply.outcome = NotifyReply::Outcome::Unverified;
            reply.why
                = fmt::format("{}, TSIG not verified: {}", rcode_to_text(reply.rcode), verified.error().message());
            return reply;
        }
    }
    if (reply.rcode != static_cast<uint16_t>(Rcode::NoError)) {
        reply.outcome = NotifyReply::Outcome::Error;
        reply.why = rcode_to_text(reply.rcode);
        return reply;
    }
    reply.outcome = NotifyReply::Outcome::Acknowledged;
    return reply;
}

} // namespace signet::xfr
