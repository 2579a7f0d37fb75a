#include <signet/xfr/server.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "wire.h"

namespace signet::xfr {

namespace {

// A transfer's messages are filled to about this size: compression pointers
// reach the first 16 KiB of a message only, so beyond it names stop
// compressing, and smaller messages reach the secondary sooner. A record
// larger than what is left still goes in, up to the 64 KiB of TCP.
constexpr size_t transfer_message_target = 16384;
// The largest UDP answer whatever the client offers: the size that avoids
// IP fragmentation (DNS Flag Day 2020).
constexpr size_t max_udp_answer = 1232;
constexpr size_t opt_record_size = 11;

Header answer_header(const Header& query)
{
    Header header;
    header.id = query.id;
    header.qr = true;
    header.opcode = query.opcode;
    header.rd = query.rd;
    header.cd = query.cd;
    return header;
}

Edns answer_edns(const Edns& query)
{
    Edns edns;
    edns.udp_size = static_cast<uint16_t>(max_udp_answer);
    edns.dnssec_ok = query.dnssec_ok;
    return edns;
}

bool has_soa(const dns::Zone& zone) { return zone.find(zone.origin(), dns::RRType::SOA).has_value(); }

} // namespace

std::optional<Address> Address::from_text(std::string_view text)
{
    std::string literal(text);
    Address address;
    in_addr v4 {};
    if (::inet_pton(AF_INET, literal.c_str(), &v4) == 1) {
        std::array<uint8_t, 4> octets {};
        std::memcpy(octets.data(), &v4, 4);
        return from_ipv4(octets);
    }
    in6_addr v6 {};
    if (::inet_pton(AF_INET6, literal.c_str(), &v6) == 1) {
        std::memcpy(address.octets.data(), &v6, 16);
        return address;
    }
    return std::nullopt;
}

Address Address::from_ipv4(const std::array<uint8_t, 4>& octets)
{
    Address address;
    address.octets[10] = 0xff;
    address.octets[11] = 0xff;
    std::copy(octets.begin(), octets.end(), address.octets.begin() + 12);
    return address;
}

std::string Address::to_text() const
{
    char text[INET6_ADDRSTRLEN] = {};
    static constexpr std::array<uint8_t, 12> mapped { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    if (std::equal(mapped.begin(), mapped.end(), octets.begin()))
        ::inet_ntop(AF_INET, octets.data() + 12, text, sizeof text);
    else
        ::inet_ntop(AF_INET6, octets.data(), text, sizeof text);
    return text;
}

// The parts of an incremental answer from `serial` to the zone's, or none
// when the journal does not lead there version by version.
std::vector<Answer::Part> Answer::incremental_parts(const dns::Zone& zone, const std::vector<VersionDiff>* journal,
                                                    uint32_t serial)
{
    if (!journal)
        return {};
    auto first = std::ranges::find(*journal, serial, &VersionDiff::serial_from);
    if (first == journal->end())
        return {};
    std::vector<Answer::Part> parts { { &zone, true } };
    uint32_t at = serial;
    for (auto it = first; it != journal->end(); ++it) {
        if (it->serial_from != at || !has_soa(it->removed) || !has_soa(it->added) || it->removed.serial() != at
            || it->added.serial() != it->serial_to)
            return {};
        parts.push_back({ &it->removed, true });
        parts.push_back({ &it->removed, false });
        parts.push_back({ &it->added, true });
        parts.push_back({ &it->added, false });
        at = it->serial_to;
    }
    if (at != zone.serial())
        return {};
    parts.push_back({ &zone, true });
    return parts;
}

Result<std::string> Answer::sign(std::string message, TimePoint now)
{
    if (signer_)
        SIGNET_TRY(signer_->sign(message, now));
    return message;
}

std::optional<std::string> Answer::next(TimePoint now)
{
    if (single_) {
        std::optional<std::string> out = std::move(single_);
        single_.reset();
        done_ = true;
        return out;
    }
    if (done_ || part_ >= parts_.size())
        return std::nullopt;
    auto message = transfer_message(now);
    if (!message) {
        // Only the HMAC can fail here: the transfer stops, and the
        // secondary sees a connection closed before the last SOA.
        summary_ += fmt::format("; stopped: {}", message.error().message());
        done_ = true;
        return std::nullopt;
    }
    return std::move(*message);
}

Result<std::string> Answer::transfer_message(TimePoint now)
{
    MessageBuilder builder(max_tcp_size);
    Header header = header_;
    builder.set_header(header);
    if (tsig_key_)
        builder.reserve(tsig_record_size(*tsig_key_));
    if (edns_)
        builder.reserve(opt_record_size);
    // RFC 5936 §2.2: the question goes in the first message; the others may
    // leave it out.
    if (messages_ == 0 && question_)
        builder.add_question(*question_);
    auto full = [&] { return builder.size() >= transfer_message_target; };
    auto add = [&](dns::RRsetView rrset, std::string_view rdata) {
        if (!builder.add_record(Section::Answer, rrset.owner(), rrset.type(), class_in, rrset.ttl(), rdata))
            return false;
        ++records_;
        return true;
    };
    while (part_ < parts_.size() && !full()) {
        const Part& part = parts_[part_];
        const dns::Zone& zone = *part.zone;
        if (part.soa) {
            // Checked when the parts were chosen: every zone here has one.
            auto soa = *zone.find(zone.origin(), dns::RRType::SOA);
            if (!add(soa, soa.rdata(0)))
                break;
            ++part_;
            continue;
        }
        if (!in_body_) {
            in_body_ = true;
            rrset_ = 0;
            rdata_ = rdata_end_ = {};
        }
        if (rdata_ == rdata_end_) {
            // The next RRset, the apex SOA aside (it opens and closes).
            while (rrset_ < zone.size() && zone[rrset_].type() == dns::RRType::SOA && zone[rrset_].owner() == zone.origin())
                ++rrset_;
            if (rrset_ >= zone.size()) {
                in_body_ = false;
                ++part_;
                continue;
            }
            auto range = zone.rrset(rrset_).rdatas();
            rdata_ = range.begin();
            rdata_end_ = range.end();
        }
        if (!add(zone.rrset(rrset_), *rdata_))
            break;
        if (++rdata_ == rdata_end_)
            ++rrset_;
    }
    if (builder.record_count() == 0)
        return fail(ErrorCode::Internal, "a record larger than a message");
    if (edns_) {
        builder.release(opt_record_size);
        builder.add_edns(answer_edns(*edns_));
    }
    ++messages_;
    if (part_ >= parts_.size())
        summary_ += fmt::format(": {} records in {} messages", records_, messages_);
    return sign(builder.finish(), now);
}

Answer answer_query(std::shared_ptr<const Catalog> catalog, std::string_view query, const Client& client,
                    TimePoint now)
{
    Answer answer;
    answer.catalog_ = catalog;
    const std::string from = fmt::format("from {} ({})", client.address.to_text(),
                                         client.transport == Transport::Tcp ? "TCP" : "UDP");
    auto header = parse_header(query);
    if (!header || header->qr) {
        // Too short to answer, or a response: a reply could start a loop.
        answer.summary_ = fmt::format("not answered: {} {}", header ? "a response" : "a runt message", from);
        answer.done_ = true;
        return answer;
    }
    const size_t limit = client.transport == Transport::Tcp ? max_tcp_size : max_udp_size_plain;
    // A one-message answer: rcode, question, answer records, EDNS and TSIG.
    auto reply = [&](const Message* request, uint16_t rcode, const std::vector<dns::RRsetView>& records,
                     const TsigCheck* tsig, std::string why) {
        size_t max_size = limit;
        if (request && request->edns && client.transport == Transport::Udp)
            max_size = std::clamp<size_t>(request->edns->udp_size, max_udp_size_plain, max_udp_answer);
        MessageBuilder builder(max_size);
        Header out = answer_header(*header);
        out.rcode = static_cast<uint8_t>(rcode & 0x0f);
        out.aa = rcode == 0 && !records.empty();
        const bool with_edns = request && request->edns;
        if (with_edns)
            builder.reserve(opt_record_size);
        const bool signed_reply = tsig && tsig->outcome != TsigCheck::Outcome::Unsigned
            && tsig->outcome != TsigCheck::Outcome::FormErr;
        if (signed_reply)
            builder.reserve(tsig->key ? tsig_record_size(*tsig->key)
                                      : tsig->key_name.wire().size() + tsig->algorithm.wire().size() + 32);
        if (request && request->questions.size() == 1)
            builder.add_question(request->questions.front());
        for (const auto& rrset : records) {
            for (std::string_view rdata : rrset.rdatas()) {
                if (!builder.add_record(Section::Answer, rrset.owner(), rrset.type(), class_in, rrset.ttl(), rdata))
                    out.tc = true;
            }
        }
        builder.set_header(out);
        if (with_edns) {
            builder.release(opt_record_size);
            Edns edns = answer_edns(*request->edns);
            edns.extended_rcode = static_cast<uint8_t>(rcode >> 4);
            builder.add_edns(edns);
        }
        std::string message = builder.finish();
        if (signed_reply) {
            if (tsig->key) {
                // BADTIME (§5.2.3): signed with the request's time, the
                // server's own in Other Data.
                TsigSigner signer(*tsig->key, tsig->request_mac, tsig->original_id);
                std::string other;
                TimePoint signed_at = now;
                if (tsig->error == TsigError::BadTime) {
                    uint64_t seconds = static_cast<uint64_t>(std::max<int64_t>(0, now.time_since_epoch().count()));
                    detail::put48(other, seconds);
                    signed_at = TimePoint(std::chrono::seconds(tsig->time_signed));
                }
                if (!signer.sign(message, signed_at, tsig->error, other)) {
                    why += "; the answer could not be signed";
                    message.clear();
                }
            } else {
                append_unsigned_tsig(message, tsig->key_name, tsig->algorithm, tsig->original_id, tsig->error, now);
            }
        }
        answer.rcode_ = rcode;
        answer.summary_ = std::move(why);
        if (message.empty())
            answer.done_ = true;
        else
            answer.single_ = std::move(message);
    };

    auto parsed = parse_message(query);
    if (!parsed) {
        reply(nullptr, static_cast<uint16_t>(Rcode::FormErr), {}, nullptr,
              fmt::format("FORMERR {}: {}", from, parsed.error().message()));
        return answer;
    }
    const Message& request = *parsed;
    std::string asked = request.questions.size() == 1
        ? fmt::format("{} {}", qtype_to_text(request.questions[0].type), request.questions[0].name.to_text())
        : fmt::format("{} questions", request.questions.size());
    TsigCheck tsig = check_request(request, query, catalog->keys, now);
    std::string signer_text;
    if (tsig.outcome == TsigCheck::Outcome::Verified)
        signer_text = fmt::format(" key {}", tsig.key->name().to_text());
    auto refuse = [&](Rcode rcode, std::string_view why) {
        reply(&request, static_cast<uint16_t>(rcode), {}, &tsig,
              fmt::format("{} {}{} {}: {}", asked, from, signer_text, rcode_to_text(static_cast<uint16_t>(rcode)), why));
    };
    if (tsig.outcome == TsigCheck::Outcome::FormErr) {
        refuse(Rcode::FormErr, tsig.why);
        return answer;
    }
    if (tsig.outcome == TsigCheck::Outcome::Failed) {
        refuse(Rcode::NotAuth, fmt::format("{} ({})", tsig_error_to_text(tsig.error), tsig.why));
        return answer;
    }
    if (request.edns && request.edns->version != 0) {
        refuse(Rcode::BadVers, fmt::format("EDNS version {}", request.edns->version));
        return answer;
    }
    if (request.header.opcode != Opcode::Query) {
        refuse(Rcode::NotImp, fmt::format("opcode {}", static_cast<int>(request.header.opcode)));
        return answer;
    }
    if (request.questions.size() != 1) {
        refuse(Rcode::FormErr, "a query has one question");
        return answer;
    }
    const Question& question = request.questions.front();
    if (question.qclass != class_in) {
        refuse(Rcode::Refused, fmt::format("class {}", question.qclass));
        return answer;
    }
    auto served = catalog->zones.find(question.name);
    if (served == catalog->zones.end()) {
        refuse(Rcode::Refused, "not a zone served here");
        return answer;
    }
    const dns::Zone& zone = *served->second.zone;
    if (question.type == dns::RRType::SOA) {
        std::vector<dns::RRsetView> records { zone.soa() };
        if (request.edns && request.edns->dnssec_ok) {
            if (auto rrsig = zone.find(zone.origin(), dns::RRType::RRSIG, static_cast<uint16_t>(dns::RRType::SOA)))
                records.push_back(*rrsig);
        }
        reply(&request, 0, records, &tsig,
              fmt::format("{} {}{}: serial {}", asked, from, signer_text, zone.serial()));
        answer.routine_ = true;
        return answer;
    }
    if (question.type != type_axfr && question.type != type_ixfr) {
        refuse(Rcode::Refused, "only SOA, AXFR and IXFR are answered");
        return answer;
    }
    // Transfers: to the listed peers only, each from its address and with
    // its key when it has one.
    const auto& peers = served->second.allow_transfer;
    auto peer = std::ranges::find_if(peers, [&](const Peer& p) {
        return p.address == client.address
            && (!p.key || (tsig.outcome == TsigCheck::Outcome::Verified && tsig.key->name() == *p.key));
    });
    if (peer == peers.end()) {
        refuse(Rcode::Refused, "transfer not allowed to this client");
        return answer;
    }
    if (question.type == type_axfr && client.transport == Transport::Udp) {
        refuse(Rcode::FormErr, "AXFR is over TCP only (RFC 5936 §4.2)");
        return answer;
    }
    std::string incremental;
    if (question.type == type_ixfr) {
        // RFC 1995 §3: the client's version is the SOA in the authority
        // section.
        auto theirs = std::ranges::find(request.authority, dns::RRType::SOA, &Record::type);
        if (theirs == request.authority.end()) {
            refuse(Rcode::FormErr, "IXFR without the client's SOA");
            return answer;
        }
        const uint32_t their_serial = dns::soa_serial(theirs->rdata);
        // Up to date, or over UDP (§2: the SOA alone tells the client to
        // ask again over TCP).
        if (!dns::serial_greater(zone.serial(), their_serial) || client.transport == Transport::Udp) {
            reply(&request, 0, { zone.soa() }, &tsig,
                  fmt::format("{} {}{} {}: serial {}, theirs {}", asked, from, signer_text, peer->name, zone.serial(),
                              their_serial));
            return answer;
        }
        answer.parts_ = Answer::incremental_parts(zone, served->second.journal.get(), their_serial);
        incremental = fmt::format(" from {}{}", their_serial, answer.parts_.empty() ? " (not in the journal: the whole zone)" : "");
    }
    if (answer.parts_.empty())
        answer.parts_ = { { &zone, true }, { &zone, false }, { &zone, true } };
    answer.header_ = answer_header(request.header);
    answer.header_.aa = true;
    answer.question_ = question;
    answer.edns_ = request.edns;
    if (tsig.outcome == TsigCheck::Outcome::Verified) {
        answer.tsig_key_ = tsig.key;
        answer.signer_.emplace(*tsig.key, tsig.request_mac, tsig.original_id);
    }
    answer.summary_ = fmt::format("{} {}{} ({}): serial {}{}", asked, from, signer_text, peer->name, zone.serial(),
                                  incremental);
    return answer;
}

} // namespace signet::xfr
