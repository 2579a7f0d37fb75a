// X.509 certificates as TLSA records and live checks see them: loaded from
// PEM (any number of certificates, as chain files hold them) or DER files,
// with the parts RFC 6698 selects from (the whole certificate, its
// SubjectPublicKeyInfo) in DER.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/x509.h>

#include <signet/base/clock.h>
#include <signet/base/error.h>
#include <signet/crypto/ossl.h>
#include <signet/dns/name.h>

namespace signet::crypto {

using dns::Bytes;

namespace ossl {
using X509Cert = Handle<X509, X509_free>;
}

// One certificate; copies share the OpenSSL object (it is not changed
// after loading, so threads may share it too).
class Certificate {
public:
    // Takes a reference of its own to `x509`; the caller keeps its own.
    static Certificate share(X509* x509);
    static Result<Certificate> from_der(std::string_view der);

    Certificate(const Certificate& other);
    Certificate& operator=(const Certificate& other);
    Certificate(Certificate&&) noexcept = default;
    Certificate& operator=(Certificate&&) noexcept = default;
    ~Certificate() = default;

    // The whole certificate in DER (RFC 6698 selector 0).
    Bytes der() const;
    // The SubjectPublicKeyInfo in DER (RFC 6698 selector 1).
    Bytes spki_der() const;
    // RFC 2253 form: "CN=mail.example.nl,O=Example".
    std::string subject() const;
    std::string issuer() const;
    TimePoint not_before() const;
    TimePoint not_after() const;
    // True when `issuer`'s subject is this certificate's issuer and its key
    // signed this certificate.
    bool issued_by(const Certificate& issuer) const;
    bool self_signed() const { return issued_by(*this); }

    X509* native() const { return x509_.get(); }

private:
    explicit Certificate(ossl::X509Cert x509)
        : x509_(std::move(x509))
    {
    }
    ossl::X509Cert x509_;
};

// End-entity certificate first, then each certificate's issuer, as TLS
// servers present them and chain files list them.
using CertificateChain = std::vector<Certificate>;

// Every certificate in `path`, in file order: one DER certificate, or PEM
// with any number of CERTIFICATE blocks (other blocks, such as a private
// key, are skipped). Errors name the file, and for PEM the line where the
// bad block starts.
Result<CertificateChain> load_certificates(const std::filesystem::path& path);
// The same for file content already in memory; `label` names it in errors.
Result<CertificateChain> parse_certificates(std::string_view content, std::string_view label);

} // namespace signet::crypto
