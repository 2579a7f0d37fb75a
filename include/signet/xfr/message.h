// DNS messages on the wire (RFC 1035 §4): reading one, with its compressed
// names, and building one, compressing names, within a size limit. Also the
// EDNS OPT record (RFC 6891) and the two-octet length that frames messages
// over TCP (RFC 1035 §4.2.2).
//
// Reading is strict: every offset is checked, compression pointers must
// point backwards (so there can be no loop), and names inside RDATA are
// decompressed only for the types RFC 1035 defined (NS, MD, MF, CNAME, SOA,
// MB, MG, MR, PTR, MINFO, MX), which RFC 3597 §4 says is the only place a
// compression pointer may appear in RDATA. Any other type's RDATA is taken as
// it is, and must be valid uncompressed wire data for its type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <signet/base/error.h>
#include <signet/dns/name.h>
#include <signet/dns/rdata.h>

namespace signet::xfr {

using dns::Bytes;

// RFC 1035 §4.1.1, RFC 1996 (NOTIFY), RFC 2136 (UPDATE).
enum class Opcode : uint8_t {
    Query = 0,
    Notify = 4,
    Update = 5,
};

// RFC 1035 §4.1.1, RFC 2136 §2.2, RFC 6891 §9 (BADVERS, which needs EDNS).
enum class Rcode : uint16_t {
    NoError = 0,
    FormErr = 1,
    ServFail = 2,
    NXDomain = 3,
    NotImp = 4,
    Refused = 5,
    NotAuth = 9,
    NotZone = 10,
    BadVers = 16,
};

// Meta types and classes messages use besides the zone's own.
inline constexpr uint16_t class_in = 1;
inline constexpr uint16_t class_any = 255; // RFC 1035 §3.2.5; TSIG's class (RFC 8945 §4.2)
inline constexpr auto type_opt = static_cast<dns::RRType>(41); // RFC 6891 §6.1.1
inline constexpr auto type_tsig = static_cast<dns::RRType>(250); // RFC 8945 §4.2
inline constexpr auto type_ixfr = static_cast<dns::RRType>(251); // RFC 1995
inline constexpr auto type_axfr = static_cast<dns::RRType>(252); // RFC 5936

// Size limits of a message (RFC 1035 §2.3.4, RFC 6891 §6.2.5).
inline constexpr size_t max_udp_size_plain = 512; // without EDNS
inline constexpr size_t max_tcp_size = 65535;
inline constexpr size_t header_size = 12;

struct Header {
    uint16_t id = 0;
    bool qr = false; // a response
    Opcode opcode = Opcode::Query;
    bool aa = false; // authoritative answer
    bool tc = false; // truncated
    bool rd = false;
    bool ra = false;
    bool ad = false; // RFC 4035 §3.2.3
    bool cd = false;
    uint8_t rcode = 0; // the header's four bits; EDNS holds the upper eight
};

struct Question {
    dns::Name name;
    dns::RRType type = dns::RRType::SOA;
    uint16_t qclass = class_in;
};

// One resource record. RDATA is held uncompressed, as rdata.h reads it.
struct Record {
    dns::Name owner;
    dns::RRType type = dns::RRType::A;
    uint16_t rclass = class_in;
    uint32_t ttl = 0;
    Bytes rdata;
};

// The OPT pseudo-record (RFC 6891 §6.1.3), taken out of the additional
// section.
struct Edns {
    uint16_t udp_size = max_udp_size_plain; // below 512 is read as 512
    uint8_t extended_rcode = 0; // the upper eight bits of the 12-bit rcode
    uint8_t version = 0;
    bool dnssec_ok = false;
    Bytes options; // the RDATA: options, not looked into
};

enum class Section : uint8_t { Answer, Authority, Additional };

struct Message {
    Header header;
    std::vector<Question> questions;
    std::vector<Record> answers;
    std::vector<Record> authority;
    std::vector<Record> additional; // without OPT and TSIG
    std::optional<Edns> edns;
    // The TSIG record (RFC 8945), which must be the last of the message,
    // and where it starts in the wire form: what precedes it is what its
    // MAC covers.
    std::optional<Record> tsig;
    size_t tsig_offset = 0;

    // The rcode with EDNS's upper bits.
    uint16_t rcode() const;
};

// Reads one message. Errors (Parse) say what and at which offset; a message
// with trailing octets, a second OPT, an OPT that is not at the root, or a
// TSIG that is not the last record is refused (RFC 6891 §6.1.1, RFC 8945
// §5.1).
Result<Message> parse_message(std::string_view wire);

// The header alone, for answering FORMERR to a message whose rest cannot be
// read; nothing when there are not 12 octets.
std::optional<Header> parse_header(std::string_view wire);

// Whether names in this type's RDATA may be compressed: the RFC 1035 types.
bool rdata_names_compressible(dns::RRType type);

// Builds one message in order: header, questions, then the records of each
// section (sections in order: answer, authority, additional). Owner names,
// question names and the names in the RDATA of the RFC 1035 types are
// compressed against the names already written. The message never grows
// beyond `max_size` less what is reserved for records added at the end
// (OPT, TSIG): a record that does not fit is not added, and the caller sets
// TC or starts the next message of a transfer.
class MessageBuilder {
public:
    explicit MessageBuilder(size_t max_size = max_tcp_size);

    void set_header(const Header& header);
    Header header() const { return header_; }

    // Keeps `octets` free at the end of the message (on top of what was
    // kept before).
    void reserve(size_t octets);
    // Gives back what reserve() kept, before adding what it was kept for.
    void release(size_t octets);

    // False when it does not fit (nothing is added).
    bool add_question(const Question& question);
    bool add_record(Section section, dns::NameView owner, dns::RRType type, uint16_t rclass, uint32_t ttl,
                    std::string_view rdata);
    bool add_record(Section section, const Record& record)
    {
        return add_record(section, record.owner, record.type, record.rclass, record.ttl, record.rdata);
    }
    // The OPT record, in the additional section.
    bool add_edns(const Edns& edns);

    size_t size() const { return wire_.size(); }
    // Records (questions not included) in the message.
    size_t record_count() const;
    // The message with its header and counts.
    std::string finish() const;

private:
    void write_name(dns::NameView name, bool compress);
    void write_rdata(dns::RRType type, std::string_view rdata);

    size_t max_size_;
    size_t reserved_ = 0;
    Header header_;
    std::string wire_;
    uint16_t counts_[4] = {}; // question, answer, authority, additional
    Section last_section_ = Section::Answer;
    // Lower-cased wire suffixes already written, to the offset of the first
    // one (pointers reach 14 bits: the first 16 KiB).
    std::unordered_map<std::string, uint16_t> names_;
    std::vector<std::string> added_; // keys added by the record being written
};

// The length prefix of a message over TCP.
void append_tcp_frame(std::string& out, std::string_view message);
std::string tcp_frame(std::string_view message);
size_t tcp_frame_length(const unsigned char prefix[2]);

// The RCODE and type names of messages and logs ("REFUSED", "AXFR").
std::string rcode_to_text(uint16_t rcode);
std::string qtype_to_text(dns::RRType type);

} // namespace signet::xfr
