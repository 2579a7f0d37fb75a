#include <signet/tlsa/derive.h>

#include <algorithm>

#include <fmt/format.h>
#include <openssl/evp.h>

namespace signet::tlsa {

namespace {

Bytes digest(const EVP_MD* md, std::string_view data)
{
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(data.data(), data.size(), out, &length, md, nullptr);
    return Bytes(reinterpret_cast<const char*>(out), length);
}

std::string usage_label(CertUsage usage)
{
    return fmt::format("{}({})", usage_to_text(usage), static_cast<int>(usage));
}

Error located(Error error, const std::filesystem::path& file)
{
    error.at(SourceLocation { file.string(), 0, 0 });
    return error;
}

} // namespace

Bytes association_data(const crypto::Certificate& certificate, Selector selector, MatchingType matching)
{
    Bytes selected = selector == Selector::Cert ? certificate.der() : certificate.spki_der();
    switch (matching) {
    case MatchingType::Full: return selected;
    case MatchingType::Sha256: return digest(EVP_sha256(), selected);
    case MatchingType::Sha512: return digest(EVP_sha512(), selected);
    }
    return selected;
}

size_t chain_position(CertUsage usage)
{
    return usage == CertUsage::PkixTa || usage == CertUsage::DaneTa ? 1 : 0;
}

Result<const crypto::Certificate*> select_certificate(const crypto::CertificateChain& chain, CertUsage usage)
{
    if (chain.empty())
        return fail(ErrorCode::Parse, "no certificate");
    size_t at = chain_position(usage);
    if (at == 0)
        return &chain[0];
    if (chain.size() < 2)
        return fail(ErrorCode::Parse,
                    fmt::format("a {} record is about the CA that issued the certificate ({}), but there is only "
                                "the certificate itself; give the issuer's certificate with --chain (or in the same "
                                "file, after the certificate)",
                                usage_label(usage), chain[0].issuer()));
    if (!chain[0].issued_by(chain[1]))
        return fail(ErrorCode::Parse,
                    fmt::format("the certificate after the end-entity certificate ({}) did not issue it (its issuer is "
                                "{}); a {} record must be about the issuer",
                                chain[1].subject(), chain[0].issuer(), usage_label(usage)));
    return &chain[1];
}

Result<Record> derive_record(const crypto::CertificateChain& chain, RecordSpec spec)
{
    const crypto::Certificate* certificate = SIGNET_TRY(select_certificate(chain, spec.usage));
    return Record { spec, association_data(*certificate, spec.selector, spec.matching) };
}

Result<std::vector<Record>> derive_records(const crypto::CertificateChain& chain, const std::vector<RecordSpec>& specs)
{
    std::vector<Record> records;
    for (const auto& spec : specs) {
        Record record = SIGNET_TRY(derive_record(chain, spec));
        if (std::ranges::find(records, record) == records.end())
            records.push_back(std::move(record));
    }
    return records;
}

namespace {

// The chain file after the certificate file. A chain file may be a full
// chain that starts with the end-entity certificate itself (certbot's
// fullchain.pem); that copy is skipped, or usages 0 and 2 would take the
// end-entity certificate for its issuer.
void append_chain(crypto::CertificateChain& chain, crypto::CertificateChain rest)
{
    auto from = rest.begin();
    if (!chain.empty() && from != rest.end() && from->der() == chain.front().der())
        ++from;
    chain.insert(chain.end(), std::make_move_iterator(from), std::make_move_iterator(rest.end()));
}

} // namespace

Result<crypto::CertificateChain> load_chain(const CertificateFiles& files)
{
    crypto::CertificateChain chain = SIGNET_TRY(crypto::load_certificates(files.cert));
    if (files.chain)
        append_chain(chain, SIGNET_TRY(crypto::load_certificates(*files.chain)));
    return chain;
}

Result<std::vector<Record>> derive_from_files(const CertificateFiles& files, const std::vector<RecordSpec>& specs,
                                              TimePoint now)
{
    crypto::CertificateChain own = SIGNET_TRY(crypto::load_certificates(files.cert));
    const size_t from_cert_file = own.size();
    crypto::CertificateChain chain = std::move(own);
    if (files.chain)
        append_chain(chain, SIGNET_TRY(crypto::load_certificates(*files.chain)));
    // The file that holds the certificate at `position` of the chain.
    auto file_of = [&](size_t position) -> const std::filesystem::path& {
        return position < from_cert_file || !files.chain ? files.cert : *files.chain;
    };
    std::vector<Record> records;
    for (const auto& spec : specs) {
        const size_t position = chain_position(spec.usage);
        auto certificate = select_certificate(chain, spec.usage);
        if (!certificate) {
            // Without a second certificate, the chain file (or else the
            // certificate file) lacks it.
            return fail(located(certificate.error(), file_of(std::min(position, chain.size()))));
        }
        if ((*certificate)->not_after() <= now)
            return fail(located(Error(ErrorCode::Crypto,
                                      fmt::format("the certificate {} expired at {}; a {} record cannot be made from "
                                                  "it (renew it, or point the binding to the new file)",
                                                  (*certificate)->subject(), format_time((*certificate)->not_after()),
                                                  spec_to_text(spec))),
                                file_of(position)));
        Record record { spec, association_data(**certificate, spec.selector, spec.matching) };
        if (std::ranges::find(records, record) == records.end())
            records.push_back(std::move(record));
    }
    return records;
}

} // namespace signet::tlsa
