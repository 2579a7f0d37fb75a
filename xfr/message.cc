#include <signet/xfr/message.h>

#include <algorithm>
#include <cassert>

#include <fmt/format.h>

#include "wire.h"

namespace signet::xfr {

namespace {

using detail::get16;
using detail::get32;
using detail::put16;
using detail::put32;

std::unexpected<Error> malformed(size_t at, std::string_view what)
{
    return fail(ErrorCode::Parse, fmt::format("malformed message at octet {}: {}", at, what));
}

// Reads a possibly compressed name at `offset` and advances `offset` past
// it (past the first pointer, if any). RFC 1035 §4.1.4: a pointer refers to
// an earlier occurrence; every pointer must go further back than where the
// labels it continues started, so a chain of pointers always ends.
Result<dns::Name> read_name(std::string_view wire, size_t& offset, size_t end)
{
    Bytes out;
    size_t pos = offset;
    size_t bound = offset; // a pointer must point before this
    bool jumped = false;
    for (;;) {
        if (pos >= end)
            return malformed(pos, "name runs past its end");
        auto length = static_cast<uint8_t>(wire[pos]);
        if ((length & 0xc0) == 0xc0) {
            if (pos + 1 >= end)
                return malformed(pos, "compression pointer cut short");
            size_t target = (static_cast<size_t>(length & 0x3f) << 8) | static_cast<uint8_t>(wire[pos + 1]);
            if (target >= bound)
                return malformed(pos, "compression pointer that does not point back");
            if (!jumped)
                offset = pos + 2;
            jumped = true;
            bound = target;
            pos = target;
            // A pointer may lead out of an RDATA field, anywhere earlier in
            // the message.
            end = wire.size();
            continue;
        }
        if ((length & 0xc0) != 0)
            return malformed(pos, fmt::format("label type {:#04x} (RFC 6891 §5 retired extended labels)", length));
        if (out.size() + 1 + length > dns::Name::max_wire_length)
            return malformed(pos, "name longer than 255 octets");
        if (length == 0) {
            out += '\0';
            if (!jumped)
                offset = pos + 1;
            break;
        }
        if (pos + 1 + length > end)
            return malformed(pos, "label runs past its end");
        out.append(wire.substr(pos, 1 + static_cast<size_t>(length)));
        pos += 1 + length;
    }
    size_t at = 0;
    return dns::Name::from_wire(out, at);
}

// RDATA of a type whose names may be compressed, uncompressed: the fields
// of RFC 1035 §3.3.
Result<Bytes> read_compressible_rdata(dns::RRType type, std::string_view wire, size_t start, size_t end)
{
    Bytes out;
    size_t pos = start;
    auto name = [&]() -> Result<void> {
        auto read = SIGNET_TRY(read_name(wire, pos, end));
        if (pos > end)
            return malformed(pos, "name runs past its RDATA");
        out += read.wire();
        return {};
    };
    auto fixed = [&](size_t octets) -> Result<void> {
        if (pos + octets > end)
            return malformed(pos, "RDATA cut short");
        out.append(wire.substr(pos, octets));
        pos += octets;
        return {};
    };
    switch (type) {
    case dns::RRType::SOA:
        SIGNET_TRY(name());
        SIGNET_TRY(name());
        SIGNET_TRY(fixed(20));
        break;
    case dns::RRType::MINFO:
        SIGNET_TRY(name());
        SIGNET_TRY(name());
        break;
    case dns::RRType::MX:
        SIGNET_TRY(fixed(2));
        SIGNET_TRY(name());
        break;
    default:
        SIGNET_TRY(name());
        break;
    }
    if (pos != end)
        return malformed(pos, fmt::format("{} RDATA longer than its fields", dns::type_to_text(type)));
    return out;
}

} // namespace

bool rdata_names_compressible(dns::RRType type)
{
    using enum dns::RRType;
    switch (type) {
    case NS: case MD: case MF: case CNAME: case SOA: case MB: case MG: case MR: case PTR: case MINFO: case MX:
        return true;
    default:
        return false;
    }
}

uint16_t Message::rcode() const
{
    return static_cast<uint16_t>((edns ? edns->extended_rcode << 4 : 0) | header.rcode);
}

std::optional<Header> parse_header(std::string_view wire)
{
    if (wire.size() < header_size)
        return std::nullopt;
    Header header;
    header.id = get16(wire, 0);
    auto flags1 = static_cast<uint8_t>(wire[2]), flags2 = static_cast<uint8_t>(wire[3]);
    header.qr = flags1 & 0x80;
    header.opcode = static_cast<Opcode>((flags1 >> 3) & 0x0f);
    header.aa = flags1 & 0x04;
    header.tc = flags1 & 0x02;
    header.rd = flags1 & 0x01;
    header.ra = flags2 & 0x80;
    header.ad = flags2 & 0x20;
    header.cd = flags2 & 0x10;
    header.rcode = flags2 & 0x0f;
    return header;
}

Result<Message> parse_message(std::string_view wire)
{
    auto header = parse_header(wire);
    if (!header)
        return malformed(wire.size(), "shorter than a header");
    Message message;
    message.header = *header;
    const uint16_t counts[4] = { get16(wire, 4), get16(wire, 6), get16(wire, 8), get16(wire, 10) };
    size_t pos = header_size;
    for (uint16_t i = 0; i < counts[0]; ++i) {
        Question question;
        question.name = SIGNET_TRY(read_name(wire, pos, wire.size()));
        if (pos + 4 > wire.size())
            return malformed(pos, "question cut short");
        question.type = static_cast<dns::RRType>(get16(wire, pos));
        question.qclass = get16(wire, pos + 2);
        pos += 4;
        message.questions.push_back(std::move(question));
    }
    const size_t records = size_t { counts[1] } + counts[2] + counts[3];
    for (size_t i = 0; i < records; ++i) {
        const size_t start = pos;
        Record record;
        record.owner = SIGNET_TRY(read_name(wire, pos, wire.size()));
        if (pos + 10 > wire.size())
            return malformed(pos, "record cut short");
        record.type = static_cast<dns::RRType>(get16(wire, pos));
        record.rclass = get16(wire, pos + 2);
        record.ttl = get32(wire, pos + 4);
        size_t length = get16(wire, pos + 8);
        pos += 10;
        if (pos + length > wire.size())
            return malformed(pos, "RDATA runs past the message");
        const size_t end = pos + length;
        const bool additional = i >= size_t { counts[1] } + counts[2];
        if (message.tsig)
            return malformed(start, "a record after TSIG (RFC 8945 §5.1: TSIG is the last)");
        if (record.type == type_tsig || record.type == type_opt) {
            if (!additional)
                return malformed(start, fmt::format("{} outside the additional section", qtype_to_text(record.type)));
            record.rdata = Bytes(wire.substr(pos, length));
        } else if (rdata_names_compressible(record.type) && length > 0) {
            record.rdata = SIGNET_TRY(read_compressible_rdata(record.type, wire, pos, end));
        } else {
            record.rdata = Bytes(wire.substr(pos, length));
        }
        pos = end;
        // RFC 2136 §2.4: an update's prerequisites and deletions have empty
        // RDATA in classes ANY and NONE; everything else must be well-formed.
        const bool empty_meta = record.rdata.empty() && (record.rclass == class_any || record.rclass == 254);
        if (record.type != type_tsig && record.type != type_opt && !empty_meta) {
            if (auto checked = dns::rdata_check_wire(record.type, record.rdata); !checked)
                return malformed(start, fmt::format("{} RDATA: {}", dns::type_to_text(record.type),
                                                    checked.error().message()));
        }
        if (record.type == type_opt) {
            if (message.edns)
                return malformed(start, "a second OPT record (RFC 6891 §6.1.1)");
            if (!record.owner.is_root())
                return malformed(start, "an OPT record not at the root (RFC 6891 §6.1.2)");
            Edns edns;
            edns.udp_size = std::max<uint16_t>(record.rclass, max_udp_size_plain);
            edns.extended_rcode = static_cast<uint8_t>(record.ttl >> 24);
            edns.version = static_cast<uint8_t>(record.ttl >> 16);
            edns.dnssec_ok = record.ttl & 0x8000;
            edns.options = std::move(record.rdata);
            message.edns = std::move(edns);
        } else if (record.type == type_tsig) {
            message.tsig = std::move(record);
            message.tsig_offset = start;
        } else if (i < counts[1]) {
            message.answers.push_back(std::move(record));
        } else if (!additional) {
            message.authority.push_back(std::move(record));
        } else {
            message.additional.push_back(std::move(record));
        }
    }
    if (pos != wire.size())
        return malformed(pos, fmt::format("{} octets after the last record", wire.size() - pos));
    return message;
}

MessageBuilder::MessageBuilder(size_t max_size)
    : max_size_(std::min(max_size, max_tcp_size))
    , wire_(header_size, '\0')
{
}

void MessageBuilder::set_header(const Header& header) { header_ = header; }

void MessageBuilder::reserve(size_t octets) { reserved_ += octets; }

void MessageBuilder::release(size_t octets) { reserved_ -= std::min(octets, reserved_); }

size_t MessageBuilder::record_count() const { return size_t { counts_[1] } + counts_[2] + counts_[3]; }

void MessageBuilder::write_name(dns::NameView name, bool compress)
{
    std::string_view wire = name.wire();
    size_t pos = 0;
    while (wire[pos] != 0) {
        // Exact octets, not lower-cased: a name compressed against another
        // spelled in another case would take that case, and RFC 4343 §4.1
        // asks servers to keep the case they hold.
        std::string suffix(wire.substr(pos));
        if (compress) {
            if (auto found = names_.find(suffix); found != names_.end()) {
                put16(wire_, static_cast<uint16_t>(0xc000 | found->second));
                return;
            }
            if (wire_.size() < 0x4000) {
                added_.push_back(suffix);
                names_.emplace(std::move(suffix), static_cast<uint16_t>(wire_.size()));
            }
        }
        size_t length = static_cast<uint8_t>(wire[pos]);
        wire_.append(wire.substr(pos, 1 + length));
        pos += 1 + length;
    }
    wire_ += '\0';
}

void MessageBuilder::write_rdata(dns::RRType type, std::string_view rdata)
{
    if (!rdata_names_compressible(type) || rdata.empty()) {
        wire_.append(rdata);
        return;
    }
    // The RDATA came from a zone or from parse_message: well-formed, so the
    // names can be walked without checks.
    size_t pos = 0;
    auto name = [&] {
        size_t at = pos;
        while (rdata[pos] != 0)
            pos += 1 + static_cast<uint8_t>(rdata[pos]);
        ++pos;
        write_name(dns::NameView::from_valid_wire(rdata.substr(at, pos - at)), true);
    };
    switch (type) {
    case dns::RRType::SOA:
    case dns::RRType::MINFO:
        name();
        name();
        break;
    case dns::RRType::MX:
        wire_.append(rdata.substr(0, 2));
        pos = 2;
        name();
        break;
    default:
        name();
        break;
    }
    wire_.append(rdata.substr(pos));
}

bool MessageBuilder::add_question(const Question& question)
{
    assert(record_count() == 0);
    const size_t before = wire_.size();
    added_.clear();
    write_name(question.name, true);
    put16(wire_, static_cast<uint16_t>(question.type));
    put16(wire_, question.qclass);
    if (wire_.size() + reserved_ > max_size_ || counts_[0] == 0xffff) {
        wire_.resize(before);
        for (const auto& key : added_)
            names_.erase(key);
        return false;
    }
    ++counts_[0];
    return true;
}

bool MessageBuilder::add_record(Section section, dns::NameView owner, dns::RRType type, uint16_t rclass,
                                uint32_t ttl, std::string_view rdata)
{
    assert(section >= last_section_);
    const auto index = static_cast<size_t>(section) + 1;
    const size_t before = wire_.size();
    added_.clear();
    write_name(owner, true);
    put16(wire_, static_cast<uint16_t>(type));
    put16(wire_, rclass);
    put32(wire_, ttl);
    const size_t length_at = wire_.size();
    put16(wire_, 0);
    write_rdata(type, rdata);
    const size_t length = wire_.size() - length_at - 2;
    if (wire_.size() + reserved_ > max_size_ || length > 0xffff || counts_[index] == 0xffff) {
        wire_.resize(before);
        for (const auto& key : added_)
            names_.erase(key);
        return false;
    }
    wire_[length_at] = static_cast<char>(length >> 8);
    wire_[length_at + 1] = static_cast<char>(length & 0xff);
    ++counts_[index];
    last_section_ = section;
    return true;
}

bool MessageBuilder::add_edns(const Edns& edns)
{
    const uint32_t ttl = (uint32_t { edns.extended_rcode } << 24) | (uint32_t { edns.version } << 16)
        | (edns.dnssec_ok ? 0x8000u : 0u);
    return add_record(Section::Additional, dns::NameView(), type_opt, edns.udp_size, ttl, edns.options);
}

std::string MessageBuilder::finish() const
{
    std::string out = wire_;
    std::string header;
    put16(header, header_.id);
    header += static_cast<char>((header_.qr ? 0x80 : 0) | ((static_cast<uint8_t>(header_.opcode) & 0x0f) << 3)
                                | (header_.aa ? 0x04 : 0) | (header_.tc ? 0x02 : 0) | (header_.rd ? 0x01 : 0));
    header += static_cast<char>((header_.ra ? 0x80 : 0) | (header_.ad ? 0x20 : 0) | (header_.cd ? 0x10 : 0)
                                | (header_.rcode & 0x0f));
    for (uint16_t count : counts_)
        put16(header, count);
    out.replace(0, header_size, header);
    return out;
}

void append_tcp_frame(std::string& out, std::string_view message)
{
    assert(message.size() <= max_tcp_size);
    put16(out, static_cast<uint16_t>(message.size()));
    out.append(message);
}

std::string tcp_frame(std::string_view message)
{
    std::string out;
    out.reserve(2 + message.size());
    append_tcp_frame(out, message);
    return out;
}

size_t tcp_frame_length(const unsigned char prefix[2]) { return (size_t { prefix[0] } << 8) | prefix[1]; }

std::string rcode_to_text(uint16_t rcode)
{
    switch (rcode) {
    case 0: return "NOERROR";
    case 1: return "FORMERR";
    case 2: return "SERVFAIL";
    case 3: return "NXDOMAIN";
    case 4: return "NOTIMP";
    case 5: return "REFUSED";
    case 9: return "NOTAUTH";
    case 10: return "NOTZONE";
    case 16: return "BADVERS"; // in a header with EDNS; as a TSIG error BADSIG (tsig_error_to_text)
    case 17: return "BADKEY";
    case 18: return "BADTIME";
    case 22: return "BADTRUNC";
    default: return fmt::format("RCODE{}", rcode);
    }
}

std::string qtype_to_text(dns::RRType type)
{
    switch (static_cast<uint16_t>(type)) {
    case 41: return "OPT";
    case 250: return "TSIG";
    case 251: return "IXFR";
    case 252: return "AXFR";
    default: return dns::type_to_text(type);
    }
}

} // namespace signet::xfr
