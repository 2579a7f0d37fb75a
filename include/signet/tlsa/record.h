// TLSA records (RFC 6698): the three parameters, named with their IANA
// values and the RFC 7218 acronyms, the record itself, and its owner name
// `_PORT._PROTO.HOST.` (RFC 6698 §3).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <signet/base/error.h>
#include <signet/dns/name.h>

namespace signet::tlsa {

using dns::Bytes;

// RFC 6698 §2.1.1, acronyms from RFC 7218 §2.1.
enum class CertUsage : uint8_t {
    PkixTa = 0, // PKIX-TA: a CA that must also pass PKIX validation
    PkixEe = 1, // PKIX-EE: the service's certificate, PKIX-validated too
    DaneTa = 2, // DANE-TA: a trust anchor of the zone owner's choosing
    DaneEe = 3, // DANE-EE: the service's certificate or key, nothing else checked
};

// RFC 6698 §2.1.2, RFC 7218 §2.2.
enum class Selector : uint8_t {
    Cert = 0, // the whole certificate (DER)
    Spki = 1, // its SubjectPublicKeyInfo (DER)
};

// RFC 6698 §2.1.3, RFC 7218 §2.3.
enum class MatchingType : uint8_t {
    Full = 0, // the selected content itself
    Sha256 = 1, // SHA2-256 of it
    Sha512 = 2, // SHA2-512 of it
};

std::string_view usage_to_text(CertUsage usage); // "DANE-EE"
std::string_view selector_to_text(Selector selector); // "SPKI"
std::string_view matching_to_text(MatchingType matching); // "SHA2-256"

// The three parameters of a record without its data: what "3 1 1" says.
struct RecordSpec {
    CertUsage usage = CertUsage::DaneEe;
    Selector selector = Selector::Spki;
    MatchingType matching = MatchingType::Sha256;

    bool operator==(const RecordSpec&) const = default;
};

// "3 1 1".
std::string spec_to_text(RecordSpec spec);
// Numbers or RFC 7218 acronyms in any case, separated by spaces:
// "3 1 1", "DANE-EE SPKI SHA2-256".
Result<RecordSpec> parse_spec(std::string_view text);
// A comma-separated list, "3 1 1,2 1 1"; empty entries and repeats are
// errors.
Result<std::vector<RecordSpec>> parse_specs(std::string_view text);
std::string specs_to_text(const std::vector<RecordSpec>& specs);

// The default for a binding: the service's key (DANE-EE SPKI SHA2-256) and
// its issuing CA (DANE-TA SPKI SHA2-256), so that one mistake (a new key, a
// new CA) leaves one record that still matches. RFC 7671 §8.1 advises
// both for SMTP.
std::vector<RecordSpec> default_specs();

// One TLSA record's RDATA.
struct Record {
    RecordSpec spec;
    Bytes data; // certificate association data

    bool operator==(const Record&) const = default;
};

// Wire form (RFC 6698 §2.1): usage, selector, matching type, data.
Bytes to_rdata(const Record& record);
// Refuses RDATA shorter than 4 octets and digests of the wrong length.
Result<Record> from_rdata(std::string_view rdata);
// Presentation form as the zone writer prints it: "3 1 1 0A1B...".
std::string to_text(const Record& record);

// The transport label of the owner name (RFC 6698 §3).
enum class Transport { Tcp, Udp, Sctp };
std::string_view transport_to_text(Transport transport); // "tcp"
std::optional<Transport> transport_from_text(std::string_view text); // any case

// `_PORT._PROTO.HOST.`: "_25._tcp.mail.example.nl.". Port 0 and names that
// would grow beyond 255 octets are errors.
Result<dns::Name> owner_name(dns::NameView host, uint16_t port, Transport transport);

} // namespace signet::tlsa
