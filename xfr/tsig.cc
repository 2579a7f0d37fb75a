#include <signet/xfr/tsig.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <fmt/format.h>

#include <signet/crypto/ossl.h>

#include "wire.h"

namespace signet::xfr {

namespace {

using detail::get16;
using detail::put16;
using detail::put48;

struct AlgorithmInfo {
    TsigAlgorithm algorithm;
    std::string_view text;
    std::string_view digest; // OpenSSL's name
    size_t size;
};

constexpr std::array algorithms {
    AlgorithmInfo { TsigAlgorithm::HmacSha1, "hmac-sha1", "SHA1", 20 },
    AlgorithmInfo { TsigAlgorithm::HmacSha256, "hmac-sha256", "SHA256", 32 },
    AlgorithmInfo { TsigAlgorithm::HmacSha384, "hmac-sha384", "SHA384", 48 },
    AlgorithmInfo { TsigAlgorithm::HmacSha512, "hmac-sha512", "SHA512", 64 },
};

const AlgorithmInfo& info(TsigAlgorithm algorithm)
{
    return *std::ranges::find(algorithms, algorithm, &AlgorithmInfo::algorithm);
}

using MacCtx = crypto::ossl::Handle<EVP_MAC_CTX, EVP_MAC_CTX_free>;
using Mac = crypto::ossl::Handle<EVP_MAC, EVP_MAC_free>;

// One HMAC computation over the parts fed to it.
class Hmac {
public:
    static Result<Hmac> start(const TsigKey& key)
    {
        Mac mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
        if (!mac)
            return fail(crypto::ossl::error("HMAC is not available"));
        MacCtx ctx(EVP_MAC_CTX_new(mac.get()));
        if (!ctx)
            return fail(crypto::ossl::error("HMAC context"));
        std::string digest(info(key.algorithm()).digest);
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest.data(), 0),
            OSSL_PARAM_construct_end(),
        };
        // An empty secret is a valid (if useless) HMAC key; OpenSSL wants
        // a non-null pointer for it.
        static const unsigned char empty = 0;
        auto secret = key.secret();
        if (EVP_MAC_init(ctx.get(), secret.empty() ? &empty : reinterpret_cast<const unsigned char*>(secret.data()),
                         secret.size(), params)
            != 1)
            return fail(crypto::ossl::error("HMAC key"));
        return Hmac(std::move(ctx));
    }

    Result<void> update(std::string_view data)
    {
        if (!data.empty() && EVP_MAC_update(ctx_.get(), reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
            return fail(crypto::ossl::error("HMAC"));
        return {};
    }

    Result<Bytes> finish()
    {
        std::array<unsigned char, EVP_MAX_MD_SIZE> out {};
        size_t size = 0;
        if (EVP_MAC_final(ctx_.get(), out.data(), &size, out.size()) != 1)
            return fail(crypto::ossl::error("HMAC"));
        return Bytes(reinterpret_cast<const char*>(out.data()), size);
    }

private:
    explicit Hmac(MacCtx ctx)
        : ctx_(std::move(ctx))
    {
    }
    MacCtx ctx_;
};

// A MAC as the digest of the next message covers it: its size, then it.
std::string sized(std::string_view mac)
{
    std::string out;
    put16(out, static_cast<uint16_t>(mac.size()));
    out.append(mac);
    return out;
}

// The TSIG variables of §4.3.3: the key name and algorithm in canonical
// form (lower case), class ANY, TTL 0, the timers, error and other data.
std::string variables(const dns::Name& key_name, const dns::Name& algorithm, uint64_t time_signed, uint16_t fudge,
                      TsigError error, std::string_view other)
{
    std::string out = key_name.lowercased().wire();
    put16(out, class_any);
    out.append(4, '\0');
    out += algorithm.lowercased().wire();
    put48(out, time_signed);
    put16(out, fudge);
    put16(out, static_cast<uint16_t>(error));
    put16(out, static_cast<uint16_t>(other.size()));
    out.append(other);
    return out;
}

// The timers alone (§4.3.1, later messages of a transfer).
std::string timers(uint64_t time_signed, uint16_t fudge)
{
    std::string out;
    put48(out, time_signed);
    put16(out, fudge);
    return out;
}

// A message as its MAC covers it (§4.3.2): without its TSIG record, one
// record fewer in ARCOUNT, and the original ID in place of the ID.
std::string stripped(std::string_view wire, size_t tsig_offset, uint16_t original_id)
{
    std::string out(wire.substr(0, tsig_offset));
    out[0] = static_cast<char>(original_id >> 8);
    out[1] = static_cast<char>(original_id & 0xff);
    uint16_t arcount = get16(out, 10);
    out[10] = static_cast<char>((arcount - 1) >> 8);
    out[11] = static_cast<char>((arcount - 1) & 0xff);
    return out;
}

uint64_t unix_seconds(TimePoint time)
{
    auto seconds = time.time_since_epoch().count();
    return seconds < 0 ? 0 : static_cast<uint64_t>(seconds) & 0xffffffffffffULL;
}

// §5.2.2.1: a MAC may be cut to no fewer than the larger of 10 octets and
// half the hash's, and never be longer than the hash.
bool mac_size_allowed(size_t size, TsigAlgorithm algorithm)
{
    size_t full = tsig_mac_size(algorithm);
    return size <= full && size >= std::max<size_t>(10, full / 2);
}

bool equal_macs(std::string_view computed, std::string_view received)
{
    // Compared in constant time; a truncated MAC against the same number of
    // leading octets (§5.2.2.1).
    return received.size() <= computed.size()
        && CRYPTO_memcmp(computed.data(), received.data(), received.size()) == 0;
}

void append_tsig_record(std::string& message, const dns::Name& key_name, const dns::Name& algorithm,
                        uint64_t time_signed, uint16_t fudge, std::string_view mac, uint16_t original_id,
                        TsigError error, std::string_view other)
{
    std::string rdata = algorithm.wire();
    put48(rdata, time_signed);
    put16(rdata, fudge);
    rdata += sized(mac);
    put16(rdata, original_id);
    put16(rdata, static_cast<uint16_t>(error));
    rdata += sized(other);
    message += key_name.wire();
    put16(message, static_cast<uint16_t>(type_tsig));
    put16(message, class_any);
    message.append(4, '\0');
    put16(message, static_cast<uint16_t>(rdata.size()));
    message += rdata;
    uint16_t arcount = get16(message, 10);
    message[10] = static_cast<char>((arcount + 1) >> 8);
    message[11] = static_cast<char>((arcount + 1) & 0xff);
}

} // namespace

std::optional<TsigAlgorithm> tsig_algorithm_from_text(std::string_view text)
{
    if (text.ends_with('.'))
        text.remove_suffix(1);
    for (const auto& a : algorithms) {
        if (std::ranges::equal(text, a.text, [](char x, char y) {
                return std::tolower(static_cast<unsigned char>(x)) == y;
            }))
            return a.algorithm;
    }
    return std::nullopt;
}

std::string_view tsig_algorithm_to_text(TsigAlgorithm algorithm) { return info(algorithm).text; }

dns::Name tsig_algorithm_name(TsigAlgorithm algorithm)
{
    return *dns::Name::from_text(fmt::format("{}.", info(algorithm).text));
}

size_t tsig_mac_size(TsigAlgorithm algorithm) { return info(algorithm).size; }

TsigKey::TsigKey(dns::Name name, TsigAlgorithm algorithm, Bytes secret)
    : name_(std::move(name))
    , algorithm_(algorithm)
    , secret_(std::move(secret))
{
}

TsigKey::TsigKey(const TsigKey& other) = default;
TsigKey& TsigKey::operator=(const TsigKey& other)
{
    if (this != &other) {
        OPENSSL_cleanse(secret_.data(), secret_.size());
        name_ = other.name_;
        algorithm_ = other.algorithm_;
        secret_ = other.secret_;
    }
    return *this;
}

TsigKey::TsigKey(TsigKey&& other) noexcept
    : name_(std::move(other.name_))
    , algorithm_(other.algorithm_)
    , secret_(std::move(other.secret_))
{
    // A short secret sits in the string's own buffer and was copied.
    OPENSSL_cleanse(other.secret_.data(), other.secret_.size());
    other.secret_.clear();
}

TsigKey& TsigKey::operator=(TsigKey&& other) noexcept
{
    if (this != &other) {
        OPENSSL_cleanse(secret_.data(), secret_.size());
        name_ = std::move(other.name_);
        algorithm_ = other.algorithm_;
        secret_ = std::move(other.secret_);
        OPENSSL_cleanse(other.secret_.data(), other.secret_.size());
        other.secret_.clear();
    }
    return *this;
}

TsigKey::~TsigKey() { OPENSSL_cleanse(secret_.data(), secret_.size()); }

bool TsigKey::operator==(const TsigKey& other) const
{
    return name_ == other.name_ && algorithm_ == other.algorithm_ && secret_.size() == other.secret_.size()
        && CRYPTO_memcmp(secret_.data(), other.secret_.data(), secret_.size()) == 0;
}

std::string_view tsig_error_to_text(TsigError error)
{
    switch (error) {
    case TsigError::NoError: return "NOERROR";
    case TsigError::BadSig: return "BADSIG";
    case TsigError::BadKey: return "BADKEY";
    case TsigError::BadTime: return "BADTIME";
    case TsigError::BadTrunc: return "BADTRUNC";
    }
    return "unknown TSIG error";
}

Result<TsigRecord> parse_tsig_rdata(std::string_view rdata)
{
    TsigRecord record;
    size_t pos = 0;
    // §4.2: the algorithm name is not compressed.
    auto algorithm = dns::Name::from_wire(rdata, pos);
    if (!algorithm)
        return fail(ErrorCode::Parse, fmt::format("TSIG algorithm name: {}", algorithm.error().message()));
    record.algorithm = std::move(*algorithm);
    auto need = [&](size_t octets) -> Result<void> {
        if (pos + octets > rdata.size())
            return fail(ErrorCode::Parse, "TSIG RDATA cut short");
        return {};
    };
    SIGNET_TRY(need(10));
    for (int i = 0; i < 6; ++i)
        record.time_signed = (record.time_signed << 8) | static_cast<uint8_t>(rdata[pos + static_cast<size_t>(i)]);
    record.fudge = get16(rdata, pos + 6);
    size_t mac_size = get16(rdata, pos + 8);
    pos += 10;
    SIGNET_TRY(need(mac_size + 6));
    record.mac = Bytes(rdata.substr(pos, mac_size));
    pos += mac_size;
    record.original_id = get16(rdata, pos);
    record.error = static_cast<TsigError>(get16(rdata, pos + 2));
    size_t other_size = get16(rdata, pos + 4);
    pos += 6;
    SIGNET_TRY(need(other_size));
    record.other = Bytes(rdata.substr(pos, other_size));
    pos += other_size;
    if (pos != rdata.size())
        return fail(ErrorCode::Parse, "TSIG RDATA longer than its fields");
    return record;
}

size_t tsig_record_size(const TsigKey& key)
{
    // Owner, type, class, TTL, RDLENGTH; algorithm name, time, fudge, MAC
    // size and MAC, original ID, error, other length and six octets of time
    // (BADTIME).
    return key.name().wire().size() + 10 + tsig_algorithm_name(key.algorithm()).wire().size() + 6 + 2 + 2
        + tsig_mac_size(key.algorithm()) + 2 + 2 + 2 + 6;
}

TsigCheck check_request(const Message& request, std::string_view wire, std::span<const TsigKey> keys, TimePoint now)
{
    TsigCheck check;
    if (!request.tsig)
        return check;
    auto record = parse_tsig_rdata(request.tsig->rdata);
    if (!record || request.tsig->rclass != class_any || request.tsig->ttl != 0) {
        check.outcome = TsigCheck::Outcome::FormErr;
        check.why = record ? "TSIG record not of class ANY with TTL 0" : record.error().message();
        return check;
    }
    check.key_name = request.tsig->owner;
    check.algorithm = record->algorithm;
    check.original_id = record->original_id;
    check.time_signed = record->time_signed;
    auto algorithm = tsig_algorithm_from_text(record->algorithm.to_text());
    auto key = std::ranges::find_if(keys, [&](const TsigKey& k) {
        return k.name() == request.tsig->owner && algorithm && k.algorithm() == *algorithm;
    });
    // §5.2.1: an unknown key, or a known key with another algorithm.
    if (key == keys.end()) {
        check.outcome = TsigCheck::Outcome::Failed;
        check.error = TsigError::BadKey;
        check.why = fmt::format("unknown TSIG key {} ({})", check.key_name.to_text(), check.algorithm.to_text());
        return check;
    }
    if (!mac_size_allowed(record->mac.size(), key->algorithm())) {
        check.outcome = TsigCheck::Outcome::FormErr;
        check.why = fmt::format("TSIG MAC of {} octets for {} (RFC 8945 §5.2.2.1)", record->mac.size(),
                                tsig_algorithm_to_text(key->algorithm()));
        return check;
    }
    // §5.2.2, then §5.2.3: the MAC is checked before the time.
    auto computed = [&]() -> Result<Bytes> {
        auto hmac = SIGNET_TRY(Hmac::start(*key));
        SIGNET_TRY(hmac.update(stripped(wire, request.tsig_offset, record->original_id)));
        SIGNET_TRY(hmac.update(variables(request.tsig->owner, record->algorithm, record->time_signed, record->fudge,
                                         record->error, record->other)));
        return hmac.finish();
    }();
    if (!computed || !equal_macs(*computed, record->mac)) {
        check.outcome = TsigCheck::Outcome::Failed;
        check.error = TsigError::BadSig;
        check.why = computed ? fmt::format("TSIG MAC of key {} does not match", check.key_name.to_text())
                             : computed.error().message();
        return check;
    }
    check.key = &*key;
    check.request_mac = record->mac;
    const uint64_t at = unix_seconds(now);
    const uint64_t fudge = std::min(record->fudge, tsig_fudge);
    const uint64_t skew = at > record->time_signed ? at - record->time_signed : record->time_signed - at;
    if (skew > fudge) {
        check.outcome = TsigCheck::Outcome::Failed;
        check.error = TsigError::BadTime;
        check.why = fmt::format("TSIG time {} s off (fudge {} s)", skew, fudge);
        return check;
    }
    check.outcome = TsigCheck::Outcome::Verified;
    return check;
}

TsigSigner::TsigSigner(const TsigKey& key, Bytes request_mac, uint16_t original_id)
    : key_(key)
    , previous_mac_(std::move(request_mac))
    , original_id_(original_id)
{
}

Result<void> TsigSigner::sign(std::string& message, TimePoint now, TsigError error, std::string_view other)
{
    if (message.size() < header_size)
        return fail(ErrorCode::Internal, "TSIG: no message to sign");
    const dns::Name algorithm = tsig_algorithm_name(key_.algorithm());
    const uint64_t time_signed = unix_seconds(now);
    auto hmac = SIGNET_TRY(Hmac::start(key_));
    // A request has no MAC before it; a response covers the request's, a
    // later message of a transfer the one before it.
    if (!first_ || !previous_mac_.empty())
        SIGNET_TRY(hmac.update(sized(previous_mac_)));
    std::string covered = message;
    covered[0] = static_cast<char>(original_id_ >> 8);
    covered[1] = static_cast<char>(original_id_ & 0xff);
    SIGNET_TRY(hmac.update(covered));
    if (first_)
        SIGNET_TRY(hmac.update(variables(key_.name(), algorithm, time_signed, tsig_fudge, error, other)));
    else
        SIGNET_TRY(hmac.update(timers(time_signed, tsig_fudge)));
    previous_mac_ = SIGNET_TRY(hmac.finish());
    append_tsig_record(message, key_.name(), algorithm, time_signed, tsig_fudge, previous_mac_, original_id_, error,
                       other);
    first_ = false;
    return {};
}

void append_unsigned_tsig(std::string& message, const dns::Name& key_name, const dns::Name& algorithm,
                          uint16_t original_id, TsigError error, TimePoint now)
{
    append_tsig_record(message, key_name, algorithm, unix_seconds(now), tsig_fudge, {}, original_id, error, {});
}

TsigVerifier::TsigVerifier(const TsigKey& key, Bytes request_mac)
    : key_(key)
    , previous_mac_(std::move(request_mac))
{
}

Result<void> TsigVerifier::verify(const Message& message, std::string_view wire, TimePoint now)
{
    if (!message.tsig) {
        // §5.3.1: the first message must be signed, and at most 99 may
        // follow a signed one unsigned.
        if (first_)
            return fail(ErrorCode::Crypto, "the response is not signed with TSIG");
        if (++unsigned_ > 99)
            return fail(ErrorCode::Crypto, "more than 99 messages without TSIG (RFC 8945 §5.3.1)");
        pending_.append(wire);
        return {};
    }
    auto record = SIGNET_TRY(parse_tsig_rdata(message.tsig->rdata));
    if (!(message.tsig->owner == key_.name())
        || tsig_algorithm_from_text(record.algorithm.to_text()) != std::optional(key_.algorithm()))
        return fail(ErrorCode::Crypto, fmt::format("the response is signed with another key ({})",
                                                   message.tsig->owner.to_text()));
    if (record.error != TsigError::NoError && record.error != TsigError::BadTime)
        return fail(ErrorCode::Crypto, fmt::format("the server answered TSIG error {}", tsig_error_to_text(record.error)));
    if (!mac_size_allowed(record.mac.size(), key_.algorithm()))
        return fail(ErrorCode::Crypto, fmt::format("TSIG MAC of {} octets (RFC 8945 §5.2.2.1)", record.mac.size()));
    auto hmac = SIGNET_TRY(Hmac::start(key_));
    SIGNET_TRY(hmac.update(sized(previous_mac_)));
    SIGNET_TRY(hmac.update(pending_));
    SIGNET_TRY(hmac.update(stripped(wire, message.tsig_offset, record.original_id)));
    if (first_)
        SIGNET_TRY(hmac.update(variables(message.tsig->owner, record.algorithm, record.time_signed, record.fudge,
                                         record.error, record.other)));
    else
        SIGNET_TRY(hmac.update(timers(record.time_signed, record.fudge)));
    auto computed = SIGNET_TRY(hmac.finish());
    if (!equal_macs(computed, record.mac))
        return fail(ErrorCode::Crypto, "TSIG MAC of the response does not match (BADSIG)");
    if (record.error == TsigError::BadTime)
        return fail(ErrorCode::Crypto, "the server answered TSIG error BADTIME: the clocks differ");
    const uint64_t at = unix_seconds(now);
    const uint64_t skew = at > record.time_signed ? at - record.time_signed : record.time_signed - at;
    if (skew > std::min(record.fudge, tsig_fudge))
        return fail(ErrorCode::Crypto, fmt::format("TSIG time of the response {} s off (BADTIME)", skew));
    previous_mac_ = std::move(record.mac);
    pending_.clear();
    unsigned_ = 0;
    first_ = false;
    return {};
}

} // namespace signet::xfr
