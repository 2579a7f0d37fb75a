// TSIG, secret key transaction authentication (RFC 8945): HMAC keys shared
// with a peer, requests and responses signed and checked, and the messages
// of a zone transfer signed one after the other (§5.3.1).
//
// A key's secret is held in memory only as long as the key is, is wiped when
// it goes, and is never put in a message, a log line or an Error.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <signet/base/clock.h>
#include <signet/base/error.h>
#include <signet/dns/name.h>
#include <signet/xfr/message.h>

namespace signet::xfr {

// The HMAC algorithms of RFC 8945 §6 that Signet accepts: the mandatory
// HMAC-SHA256 and the others every server has (HMAC-MD5 is not, and
// HMAC-SHA224 is not in use).
enum class TsigAlgorithm : uint8_t { HmacSha1, HmacSha256, HmacSha384, HmacSha512 };

// "hmac-sha256" (any case), as BIND, Knot and NSD name them; also the
// algorithm's domain name ("hmac-sha256." as it appears in a TSIG record).
std::optional<TsigAlgorithm> tsig_algorithm_from_text(std::string_view text);
std::string_view tsig_algorithm_to_text(TsigAlgorithm algorithm); // "hmac-sha256"
dns::Name tsig_algorithm_name(TsigAlgorithm algorithm); // hmac-sha256.
size_t tsig_mac_size(TsigAlgorithm algorithm); // the full HMAC output

class TsigKey {
public:
    TsigKey(dns::Name name, TsigAlgorithm algorithm, Bytes secret);
    TsigKey(const TsigKey& other);
    TsigKey(TsigKey&& other) noexcept;
    TsigKey& operator=(const TsigKey& other);
    TsigKey& operator=(TsigKey&& other) noexcept;
    ~TsigKey();

    const dns::Name& name() const { return name_; }
    TsigAlgorithm algorithm() const { return algorithm_; }
    // For the HMAC only.
    std::string_view secret() const { return secret_; }

    bool operator==(const TsigKey& other) const;

private:
    dns::Name name_;
    TsigAlgorithm algorithm_;
    Bytes secret_;
};

// The TSIG errors (RFC 8945 §4.3, §5.2), in the record's Error field.
enum class TsigError : uint16_t {
    NoError = 0,
    BadSig = 16,
    BadKey = 17,
    BadTime = 18,
    BadTrunc = 22,
};
std::string_view tsig_error_to_text(TsigError error);

// The fields of a TSIG record's RDATA (RFC 8945 §4.2).
struct TsigRecord {
    dns::Name algorithm;
    uint64_t time_signed = 0; // 48 bits, seconds since 1970
    uint16_t fudge = 300;
    Bytes mac;
    uint16_t original_id = 0;
    TsigError error = TsigError::NoError;
    Bytes other;
};
Result<TsigRecord> parse_tsig_rdata(std::string_view rdata);

// The fudge Signet signs with and the largest it accepts (§10: 300 s).
inline constexpr uint16_t tsig_fudge = 300;

// Octets a TSIG record signed with `key` takes at most: what a message
// builder keeps free for it.
size_t tsig_record_size(const TsigKey& key);

// What a server found checking a request's TSIG (RFC 8945 §5.2).
struct TsigCheck {
    enum class Outcome {
        Unsigned, // no TSIG
        Verified, // the key and the MAC are good, the time is within the fudge
        FormErr, // §5.2.2.1: a MAC size that is not allowed, or a malformed record: FORMERR, no TSIG
        Failed, // NOTAUTH with the TSIG error below (BADKEY, BADSIG, BADTIME)
    };
    Outcome outcome = Outcome::Unsigned;
    TsigError error = TsigError::NoError;
    const TsigKey* key = nullptr; // Verified, BADTIME: the key; the response is signed with it
    dns::Name key_name; // as the request named it (for the unsigned error response)
    dns::Name algorithm;
    Bytes request_mac; // as received (truncated, if it was): what the response's MAC covers
    uint16_t original_id = 0;
    uint64_t time_signed = 0; // the request's: a BADTIME response is signed with it (§5.2.3)
    std::string why; // for the log: never the secret or the MAC
};

// Checks the TSIG of `request` (parsed from `wire`) against `keys` at `now`:
// the key (name and algorithm), then the MAC, then the time (§5.2.1-5.2.3).
TsigCheck check_request(const Message& request, std::string_view wire, std::span<const TsigKey> keys,
                        TimePoint now);

// Signs the messages of one answer with the key of a request: one response,
// or every message of a zone transfer (§5.3.1: the first covers the
// request's MAC, each later one the MAC before it and the message).
class TsigSigner {
public:
    // `request_mac` empty for a request (a client signing its query).
    TsigSigner(const TsigKey& key, Bytes request_mac, uint16_t original_id);

    // Appends the TSIG record to `message` (a complete message, counts
    // included) and counts it in ARCOUNT. `error` and `other` for the
    // responses of §5.2.3 (BADTIME: `other` is the server's time).
    Result<void> sign(std::string& message, TimePoint now, TsigError error = TsigError::NoError,
                      std::string_view other = {});
    // The MAC the last sign() made.
    const Bytes& mac() const { return previous_mac_; }

private:
    const TsigKey& key_;
    Bytes previous_mac_;
    uint16_t original_id_;
    bool first_ = true;
};

// An unsigned TSIG record for the errors of §5.2.1 and §5.2.2 (BADKEY,
// BADSIG): the request's key and algorithm names, no MAC.
void append_unsigned_tsig(std::string& message, const dns::Name& key_name, const dns::Name& algorithm,
                          uint16_t original_id, TsigError error, TimePoint now);

// A client's side: checks the responses to a request it signed with `key`,
// in order, the messages of a transfer included (§5.3.1; up to 99 unsigned
// messages may come between two signed ones, and the last must be signed).
class TsigVerifier {
public:
    TsigVerifier(const TsigKey& key, Bytes request_mac);
    // Checks one message (parsed from `wire`). BADSIG, BADKEY, BADTIME are
    // Crypto errors naming the TSIG error.
    Result<void> verify(const Message& message, std::string_view wire, TimePoint now);
    // Whether the last message verified was signed.
    bool last_signed() const { return unsigned_ == 0; }

private:
    const TsigKey& key_;
    Bytes previous_mac_;
    Bytes pending_; // unsigned messages since the last signed one
    size_t unsigned_ = 0;
    bool first_ = true;
};

} // namespace signet::xfr
