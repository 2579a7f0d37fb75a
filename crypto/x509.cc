#include <signet/crypto/x509.h>

#include <ctime>

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <signet/base/excerpt.h>
#include <signet/base/regular_file.h>

namespace signet::crypto {

namespace {

using Bio = ossl::Handle<BIO, BIO_free_all>;

// Certificate files are small (a chain of a few certificates is a few
// KiB, a whole CA bundle a few hundred); anything larger is the wrong file,
// and reading it whole would only waste memory.
constexpr size_t max_file_size = 1 << 20;

TimePoint to_time_point(const ASN1_TIME* time)
{
    struct tm tm = {};
    if (!time || ASN1_TIME_to_tm(time, &tm) != 1)
        return TimePoint {};
    return TimePoint(std::chrono::seconds(::timegm(&tm)));
}

std::string name_text(const X509_NAME* name)
{
    Bio bio(BIO_new(BIO_s_mem()));
    if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0)
        return {};
    char* data = nullptr;
    long length = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(length));
}

bool is_certificate_label(std::string_view label)
{
    return label == "CERTIFICATE" || label == "X509 CERTIFICATE" || label == "TRUSTED CERTIFICATE";
}

// A PEM file: "-----BEGIN LABEL-----" ... "-----END LABEL-----" blocks,
// anything between them ignored (RFC 7468 §2 explanatory text).
Result<CertificateChain> parse_pem(std::string_view content, std::string_view label)
{
    CertificateChain chain;
    uint32_t line_number = 0;
    uint32_t block_line = 0;
    std::string block_label;
    std::string block;
    size_t at = 0;
    auto located = [&](uint32_t line, std::string message) {
        return fail(Error(ErrorCode::Parse, std::move(message), SourceLocation { std::string(label), line, 0 }));
    };
    while (at < content.size()) {
        size_t end = content.find('\n', at);
        std::string_view line = content.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
        at = end == std::string_view::npos ? content.size() : end + 1;
        ++line_number;
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
            line.remove_suffix(1);
        if (block_line == 0) {
            if (line.starts_with("-----BEGIN ") && line.ends_with("-----") && line.size() > 16) {
                block_line = line_number;
                block_label = std::string(line.substr(11, line.size() - 16));
                block.assign(line);
                block += '\n';
            }
            continue;
        }
        block.append(line);
        block += '\n';
        if (!line.starts_with("-----END "))
            continue;
        if (line != fmt::format("-----END {}-----", block_label))
            return located(line_number, fmt::format("'{}' does not end the {} block of line {}", excerpt(line),
                                                    excerpt(block_label), block_line));
        if (is_certificate_label(block_label)) {
            Bio bio(BIO_new_mem_buf(block.data(), static_cast<int>(block.size())));
            X509* x509 = bio ? PEM_read_bio_X509_AUX(bio.get(), nullptr, nullptr, nullptr) : nullptr;
            if (!x509) {
                Error error = ossl::error(fmt::format("the {} block is not a valid certificate", excerpt(block_label)));
                return located(block_line, error.message());
            }
            chain.push_back(Certificate::share(x509));
            X509_free(x509);
        }
        block_line = 0;
    }
    if (block_line != 0)
        return located(block_line, fmt::format("the {} block has no END line", excerpt(block_label)));
    if (chain.empty())
        return fail(Error(ErrorCode::Parse, "no CERTIFICATE block in the PEM file",
                          SourceLocation { std::string(label), 0, 0 }));
    return chain;
}

} // namespace

Certificate Certificate::share(X509* x509)
{
    X509_up_ref(x509);
    return Certificate(ossl::X509Cert(x509));
}

Result<Certificate> Certificate::from_der(std::string_view der)
{
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    ossl::X509Cert x509(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (!x509)
        return std::unexpected(ossl::error("not a DER certificate"));
    if (p != reinterpret_cast<const unsigned char*>(der.data() + der.size()))
        return fail(ErrorCode::Parse,
            fmt::format(
                "{} octets after the DER certificate", der.data() + der.size() - reinterpret_cast<const char*>(p)));
    return Certificate(std::move(x509));
}

Certificate::Certificate(const Certificate& other)
    : x509_()
{
    if (other.x509_) {
        X509_up_ref(other.x509_.get());
        x509_.reset(other.x509_.get());
    }
}

Certificate& Certificate::operator=(const Certificate& other)
{
    if (this != &other) {
        Certificate copy(other);
        x509_ = std::move(copy.x509_);
    }
    return *this;
}

Bytes Certificate::der() const
{
    int length = i2d_X509(x509_.get(), nullptr);
    if (length <= 0)
        return {};
    Bytes out(static_cast<size_t>(length), '\0');
    auto* p = reinterpret_cast<unsigned char*>(out.data());
    i2d_X509(x509_.get(), &p);
    return out;
}

Bytes Certificate::spki_der() const
{
    const X509_PUBKEY* key = X509_get_X509_PUBKEY(x509_.get());
    int length = i2d_X509_PUBKEY(key, nullptr);
    if (length <= 0)
        return {};
    Bytes out(static_cast<size_t>(length), '\0');
    auto* p = reinterpret_cast<unsigned char*>(out.data());
    i2d_X509_PUBKEY(key, &p);
    return out;
}

std::string Certificate::subject() const { return name_text(X509_get_subject_name(x509_.get())); }
std::string Certificate::issuer() const { return name_text(X509_get_issuer_name(x509_.get())); }
TimePoint Certificate::not_before() const { return to_time_point(X509_get0_notBefore(x509_.get())); }
TimePoint Certificate::not_after() const { return to_time_point(X509_get0_notAfter(x509_.get())); }

bool Certificate::issued_by(const Certificate& issuer) const
{
    if (X509_check_issued(issuer.native(), native()) != X509_V_OK)
        return false;
    EVP_PKEY* key = X509_get0_pubkey(issuer.native());
    bool ok = key && X509_verify(native(), key) == 1;
    ERR_clear_error();
    return ok;
}

Result<CertificateChain> parse_certificates(std::string_view content, std::string_view label)
{
    if (content.find("-----BEGIN ") != std::string_view::npos)
        return parse_pem(content, label);
    auto certificate = Certificate::from_der(content);
    if (!certificate)
        return fail(Error(ErrorCode::Parse,
                          fmt::format("neither PEM nor a DER certificate ({})", certificate.error().message()),
                          SourceLocation { std::string(label), 0, 0 }));
    return CertificateChain { std::move(*certificate) };
}

Result<CertificateChain> load_certificates(const std::filesystem::path& path)
{
    const SourceLocation where { path.string(), 0, 0 };
    auto content = read_regular_file(path, max_file_size);
    if (!content) {
        const Error& e = content.error();
        switch (e.code()) {
        case ErrorCode::NotFound: return fail(Error(ErrorCode::Io, e.message(), where));
        case ErrorCode::Io: return fail(Error(ErrorCode::Io, fmt::format("cannot read: {}", e.message()), where));
        default:
            // Not a regular file, or too large: devices, FIFOs and sockets
            // could feed data for ever or never.
            return fail(Error(ErrorCode::Parse, fmt::format("{}; not a certificate file", e.message()), where));
        }
    }
    if (content->empty())
        return fail(Error(ErrorCode::Parse, "empty file; no certificate", where));
    return parse_certificates(*content, path.string());
}

} // namespace signet::crypto
