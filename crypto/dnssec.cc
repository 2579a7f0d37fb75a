#include <signet/crypto/dnssec.h>

#include <new>
#include <stdexcept>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <fmt/format.h>

namespace signet::crypto {

namespace {

using BigNum = ossl::Handle<BIGNUM, BN_free>;
using ParamBuild = ossl::Handle<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using Params = ossl::Handle<OSSL_PARAM, OSSL_PARAM_free>;
using EcdsaSig = ossl::Handle<ECDSA_SIG, ECDSA_SIG_free>;

const unsigned char* bytes(std::string_view data) { return reinterpret_cast<const unsigned char*>(data.data()); }

Bytes digest(const EVP_MD* md, std::string_view data)
{
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(data.data(), data.size(), out, &length, md, nullptr);
    return Bytes(reinterpret_cast<const char*>(out), length);
}

bool is_rsasha1(uint8_t algorithm)
{
    return algorithm == algorithm_rsasha1 || algorithm == algorithm_rsasha1_nsec3_sha1;
}

const EVP_MD* signature_digest(Algorithm algorithm)
{
    if (is_rsasha1(static_cast<uint8_t>(algorithm)))
        return EVP_sha1();
    switch (algorithm) {
    case Algorithm::RSASHA256:
    case Algorithm::ECDSAP256SHA256: return EVP_sha256();
    case Algorithm::RSASHA512: return EVP_sha512();
    case Algorithm::ECDSAP384SHA384: return EVP_sha384();
    case Algorithm::ED25519:
    case Algorithm::ED448: return nullptr; // EdDSA hashes internally
    }
    return nullptr;
}

Result<ossl::Pkey> from_params(const char* type, OSSL_PARAM_BLD* build)
{
    Params params(OSSL_PARAM_BLD_to_param(build));
    ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    EVP_PKEY* key = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0
        || EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0)
        return std::unexpected(ossl::error(fmt::format("cannot build a {} public key", type)));
    return ossl::Pkey(key);
}

// RFC 3110 §2: exponent length (1 octet, or 0 and 2 octets), exponent, modulus.
Result<ossl::Pkey> rsa_key(std::string_view key)
{
    size_t offset = 1;
    size_t exponent_length = key.empty() ? 0 : static_cast<uint8_t>(key[0]);
    if (exponent_length == 0 && key.size() >= 3) {
        exponent_length = (static_cast<size_t>(static_cast<uint8_t>(key[1])) << 8) | static_cast<uint8_t>(key[2]);
        offset = 3;
    }
    if (exponent_length == 0 || key.size() <= offset + exponent_length)
        return fail(ErrorCode::Dnssec, "RSA public key is truncated");
    std::string_view exponent = key.substr(offset, exponent_length);
    std::string_view modulus = key.substr(offset + exponent_length);
    if (modulus.size() < 64 || modulus.size() > 512)
        return fail(ErrorCode::Dnssec, fmt::format("RSA modulus of {} bits is outside 512-4096", modulus.size() * 8));
    BigNum n(BN_bin2bn(bytes(modulus), static_cast<int>(modulus.size()), nullptr));
    BigNum e(BN_bin2bn(bytes(exponent), static_cast<int>(exponent.size()), nullptr));
    ParamBuild build(OSSL_PARAM_BLD_new());
    if (!n || !e || !build || !OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_N, n.get())
        || !OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_E, e.get()))
        return std::unexpected(ossl::error("cannot build an RSA public key"));
    return from_params("RSA", build.get());
}

// RFC 6605 §4: the point's x and y, without the 0x04 prefix.
Result<ossl::Pkey> ec_key(std::string_view key, const char* group, size_t size)
{
    if (key.size() != 2 * size)
        return fail(ErrorCode::Dnssec, fmt::format("ECDSA public key has {} octets, expected {}", key.size(), 2 * size));
    std::string point = "\x04" + std::string(key);
    ParamBuild build(OSSL_PARAM_BLD_new());
    if (!build || !OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0)
        || !OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()))
        return std::unexpected(ossl::error("cannot build an ECDSA public key"));
    return from_params("EC", build.get());
}

Result<ossl::Pkey> ed_key(std::string_view key, int type, size_t size)
{
    if (key.size() != size)
        return fail(ErrorCode::Dnssec, fmt::format("EdDSA public key has {} octets, expected {}", key.size(), size));
    EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(type, nullptr, bytes(key), key.size());
    if (!pkey)
        return std::unexpected(ossl::error("cannot build an EdDSA public key"));
    return ossl::Pkey(pkey);
}

// RFC 6605 §4: r|s, each the size of the curve, to the DER form OpenSSL takes.
std::string ecdsa_der(std::string_view signature)
{
    size_t half = signature.size() / 2;
    EcdsaSig sig(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(bytes(signature), static_cast<int>(half), nullptr);
    BIGNUM* s = BN_bin2bn(bytes(signature.substr(half)), static_cast<int>(half), nullptr);
    if (!sig || !r || !s || !ECDSA_SIG_set0(sig.get(), r, s)) {
        BN_free(r);
        BN_free(s);
        return {};
    }
    unsigned char* der = nullptr;
    int length = i2d_ECDSA_SIG(sig.get(), &der);
    if (length <= 0)
        return {};
    std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(length));
    OPENSSL_free(der);
    return out;
}

} // namespace

Bytes make_dnskey_rdata(uint16_t flags, Algorithm algorithm, std::string_view public_key)
{
    Bytes rdata;
    rdata.reserve(4 + public_key.size());
    rdata.push_back(static_cast<char>(flags >> 8));
    rdata.push_back(static_cast<char>(flags & 0xff));
    rdata.push_back(3);
    rdata.push_back(static_cast<char>(algorithm));
    rdata.append(public_key);
    return rdata;
}

Result<DnskeyFields> parse_dnskey(std::string_view rdata)
{
    if (rdata.size() < 4)
        return fail(ErrorCode::Dnssec, "DNSKEY RDATA shorter than 4 octets");
    DnskeyFields fields;
    fields.flags = static_cast<uint16_t>((static_cast<uint8_t>(rdata[0]) << 8) | static_cast<uint8_t>(rdata[1]));
    fields.protocol = static_cast<uint8_t>(rdata[2]);
    fields.algorithm = static_cast<uint8_t>(rdata[3]);
    fields.public_key = rdata.substr(4);
    return fields;
}

uint16_t key_tag(std::string_view rdata)
{
    // RFC 4034 Appendix B.1: RSA/MD5 keys are tagged by the modulus' third
    // and second octets from its end, which ends the RDATA.
    if (rdata.size() >= 7 && rdata[3] == 1)
        return static_cast<uint16_t>((static_cast<uint8_t>(rdata[rdata.size() - 3]) << 8)
                                     | static_cast<uint8_t>(rdata[rdata.size() - 2]));
    uint32_t sum = 0;
    for (size_t i = 0; i < rdata.size(); ++i)
        sum += (i & 1) ? static_cast<uint8_t>(rdata[i]) : static_cast<uint32_t>(static_cast<uint8_t>(rdata[i])) << 8;
    sum += (sum >> 16) & 0xffff;
    return static_cast<uint16_t>(sum & 0xffff);
}

Result<Bytes> make_ds_rdata(const dns::Name& owner, std::string_view dnskey_rdata, DigestType type)
{
    auto fields = SIGNET_TRY(parse_dnskey(dnskey_rdata));
    std::string input = owner.lowercased().wire();
    input.append(dnskey_rdata);
    Bytes hash;
    switch (type) {
    case DigestType::SHA1: hash = sha1(input); break;
    case DigestType::SHA256: hash = sha256(input); break;
    case DigestType::SHA384: hash = sha384(input); break;
    default: return fail(ErrorCode::Dnssec, fmt::format("unsupported DS digest type {}", static_cast<int>(type)));
    }
    uint16_t tag = key_tag(dnskey_rdata);
    Bytes rdata;
    rdata.push_back(static_cast<char>(tag >> 8));
    rdata.push_back(static_cast<char>(tag & 0xff));
    rdata.push_back(static_cast<char>(fields.algorithm));
    rdata.push_back(static_cast<char>(type));
    rdata += hash;
    return rdata;
}

Bytes sha1(std::string_view data) { return digest(EVP_sha1(), data); }
Bytes sha256(std::string_view data) { return digest(EVP_sha256(), data); }
Bytes sha384(std::string_view data) { return digest(EVP_sha384(), data); }

bool can_verify(uint8_t algorithm)
{
    if (is_rsasha1(algorithm))
        return true;
    switch (static_cast<Algorithm>(algorithm)) {
    case Algorithm::RSASHA256:
    case Algorithm::RSASHA512:
    case Algorithm::ECDSAP256SHA256:
    case Algorithm::ECDSAP384SHA384:
    case Algorithm::ED25519:
    case Algorithm::ED448: return true;
    }
    return false;
}

Result<PublicKey> PublicKey::from_dnskey(std::string_view rdata)
{
    auto fields = SIGNET_TRY(parse_dnskey(rdata));
    if (fields.protocol != 3)
        return fail(ErrorCode::Dnssec, fmt::format("DNSKEY protocol {} is not 3", fields.protocol));
    auto algorithm = static_cast<Algorithm>(fields.algorithm);
    Result<ossl::Pkey> key = fail(ErrorCode::Dnssec, fmt::format("unsupported DNSKEY algorithm {}", fields.algorithm));
    if (is_rsasha1(fields.algorithm))
        key = rsa_key(fields.public_key);
    switch (algorithm) {
    case Algorithm::RSASHA256:
    case Algorithm::RSASHA512: key = rsa_key(fields.public_key); break;
    case Algorithm::ECDSAP256SHA256: key = ec_key(fields.public_key, "prime256v1", 32); break;
    case Algorithm::ECDSAP384SHA384: key = ec_key(fields.public_key, "secp384r1", 48); break;
    case Algorithm::ED25519: key = ed_key(fields.public_key, EVP_PKEY_ED25519, 32); break;
    case Algorithm::ED448: key = ed_key(fields.public_key, EVP_PKEY_ED448, 57); break;
    }
    if (!key)
        return std::unexpected(std::move(key).error());
    return PublicKey(algorithm, std::move(*key));
}

size_t PublicKey::signature_size() const
{
    switch (algorithm_) {
    case Algorithm::ECDSAP256SHA256:
    case Algorithm::ED25519: return 64;
    case Algorithm::ECDSAP384SHA384: return 96;
    case Algorithm::ED448: return 114;
    case Algorithm::RSASHA256:
    case Algorithm::RSASHA512: break;
    }
    // RSA: the modulus' size in octets.
    return static_cast<size_t>(EVP_PKEY_get_size(key_.get()));
}

Sha256::Sha256()
    : ctx_(EVP_MD_CTX_new())
{
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
        throw std::bad_alloc();
}

void Sha256::add(std::string_view data) { EVP_DigestUpdate(ctx_.get(), data.data(), data.size()); }

Bytes Sha256::finish()
{
    Bytes out(32, '\0');
    unsigned size = 0;
    EVP_DigestFinal_ex(ctx_.get(), reinterpret_cast<unsigned char*>(out.data()), &size);
    return out;
}

Nsec3Hasher::Nsec3Hasher(std::string_view salt, uint16_t iterations)
    : salt_(salt)
    , iterations_(iterations)
    , ctx_(EVP_MD_CTX_new())
    , md_(EVP_MD_fetch(nullptr, "SHA1", nullptr))
{
    if (!ctx_)
        throw std::bad_alloc();
    if (!md_)
        throw std::runtime_error("OpenSSL offers no SHA-1, which NSEC3 needs");
}

Nsec3Hash Nsec3Hasher::hash(dns::NameView owner)
{
    std::array<char, 255> canonical;
    std::string_view input = owner.lowercased_wire(canonical);
    // IH(salt, x, 0) = H(x || salt); IH(salt, x, k) = H(IH(salt, x, k-1) || salt).
    Nsec3Hash out;
    auto* digest = reinterpret_cast<unsigned char*>(out.octets.data());
    for (uint32_t round = 0; round <= iterations_; ++round) {
        if (EVP_DigestInit_ex2(ctx_.get(), md_.get(), nullptr) != 1
            || EVP_DigestUpdate(ctx_.get(), input.data(), input.size()) != 1
            || EVP_DigestUpdate(ctx_.get(), salt_.data(), salt_.size()) != 1
            || EVP_DigestFinal_ex(ctx_.get(), digest, nullptr) != 1)
            throw std::runtime_error("OpenSSL cannot compute SHA-1");
        input = out.view();
    }
    return out;
}

bool PublicKey::verify(std::string_view data, std::string_view signature) const
{
    std::string der;
    if (algorithm_ == Algorithm::ECDSAP256SHA256 || algorithm_ == Algorithm::ECDSAP384SHA384) {
        size_t expected = algorithm_ == Algorithm::ECDSAP256SHA256 ? 64 : 96;
        if (signature.size() != expected)
            return false;
        der = ecdsa_der(signature);
        if (der.empty())
            return false;
        signature = der;
    }
    ossl::MdCtx ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, signature_digest(algorithm_), nullptr, key_.get()) <= 0)
        return false;
    return EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(), bytes(data), data.size()) == 1;
}

} // namespace signet::crypto
