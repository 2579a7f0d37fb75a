#include <signet/tlsa/match.h>

#include <algorithm>

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <signet/tlsa/derive.h>

namespace signet::tlsa {

namespace {

namespace ossl = crypto::ossl;

void free_stack(STACK_OF(X509) * stack) { sk_X509_free(stack); }

using Store = ossl::Handle<X509_STORE, X509_STORE_free>;
using StoreCtx = ossl::Handle<X509_STORE_CTX, X509_STORE_CTX_free>;
using CertStack = ossl::Handle<STACK_OF(X509), free_stack>;

struct Verification {
    bool ok = false;
    std::string error;
    crypto::CertificateChain chain; // the path OpenSSL built, when ok
};

// Path validation of `presented` (end entity first) against the roots in
// `store`, at `options.now`, for a TLS server named `options.host`.
// `partial` lets a trust anchor that is not self-signed end the path, as
// DANE-TA needs (RFC 7671 §5.2.2).
Verification verify(X509_STORE* store, const crypto::CertificateChain& presented, const MatchOptions& options,
                    bool partial)
{
    Verification result;
    StoreCtx ctx(X509_STORE_CTX_new());
    CertStack untrusted(sk_X509_new_null());
    if (!ctx || !untrusted) {
        result.error = "out of memory";
        return result;
    }
    for (size_t i = 1; i < presented.size(); ++i)
        sk_X509_push(untrusted.get(), presented[i].native());
    if (X509_STORE_CTX_init(ctx.get(), store, presented[0].native(), untrusted.get()) != 1) {
        result.error = ossl::error("cannot set up path validation").message();
        return result;
    }
    X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER);
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(options.now.time_since_epoch().count()));
    if (partial)
        X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
    if (!options.host.empty()) {
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        X509_VERIFY_PARAM_set1_host(param, options.host.c_str(), options.host.size());
    }
    if (X509_verify_cert(ctx.get()) == 1) {
        result.ok = true;
        if (STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get())) {
            for (int i = 0; i < sk_X509_num(chain); ++i)
                result.chain.push_back(crypto::Certificate::share(sk_X509_value(chain, i)));
        }
    } else {
        int error = X509_STORE_CTX_get_error(ctx.get());
        result.error = fmt::format("{} (at depth {})", X509_verify_cert_error_string(error),
                                   X509_STORE_CTX_get_error_depth(ctx.get()));
    }
    ERR_clear_error();
    return result;
}

std::optional<size_t> find_match(const crypto::CertificateChain& chain, const Record& record, size_t from)
{
    for (size_t depth = from; depth < chain.size(); ++depth) {
        if (association_data(chain[depth], record.spec.selector, record.spec.matching) == record.data)
            return depth;
    }
    return std::nullopt;
}

std::string label(const Record& record)
{
    return fmt::format("{}({})", usage_to_text(record.spec.usage), static_cast<int>(record.spec.usage));
}

class Matcher {
public:
    Matcher(const crypto::CertificateChain& presented, const MatchOptions& options)
        : presented_(presented)
        , options_(options)
    {
    }

    RecordVerdict check(const Record& record)
    {
        RecordVerdict verdict { record, Verdict::Mismatch, {}, std::nullopt };
        if (presented_.empty()) {
            verdict.reason = "the server presented no certificate";
            return verdict;
        }
        switch (record.spec.usage) {
        case CertUsage::DaneEe: dane_ee(verdict); break;
        case CertUsage::DaneTa: dane_ta(verdict); break;
        case CertUsage::PkixEe:
        case CertUsage::PkixTa: pkix(verdict); break;
        }
        return verdict;
    }

private:
    void dane_ee(RecordVerdict& verdict)
    {
        if (find_match(presented_, verdict.record, 0) == std::optional<size_t>(0)) {
            verdict.verdict = Verdict::Match;
            verdict.depth = 0;
            verdict.reason = "matches the end-entity certificate (DANE-EE: names and dates are not checked)";
            return;
        }
        verdict.reason = "does not match the end-entity certificate";
        if (auto other = find_match(presented_, verdict.record, 1))
            verdict.reason += fmt::format(" (it matches the CA certificate at depth {}: a DANE-TA(2) record?)", *other);
    }

    void dane_ta(RecordVerdict& verdict)
    {
        std::string failures;
        for (size_t depth = 1; depth < presented_.size(); ++depth) {
            if (find_match(presented_, verdict.record, depth) != std::optional<size_t>(depth))
                continue;
            Store store(X509_STORE_new());
            if (!store || X509_STORE_add_cert(store.get(), presented_[depth].native()) != 1) {
                failures = ossl::error("cannot make a trust store").message();
                continue;
            }
            Verification verification = verify(store.get(), presented_, options_, true);
            if (verification.ok) {
                verdict.verdict = Verdict::Match;
                verdict.depth = depth;
                verdict.reason = fmt::format("matches the CA certificate at depth {} ({}), and the chain verifies up "
                                             "to it for {}",
                                             depth, presented_[depth].subject(), options_.host);
                return;
            }
            failures = fmt::format("matches the CA certificate at depth {} ({}), but the chain does not verify up to "
                                   "it: {}",
                                   depth, presented_[depth].subject(), verification.error);
            verdict.depth = depth;
        }
        if (!failures.empty()) {
            verdict.reason = failures;
            return;
        }
        verdict.reason = "matches no CA certificate of the presented chain";
        if (find_match(presented_, verdict.record, 0) == std::optional<size_t>(0))
            verdict.reason += " (it matches the end-entity certificate: a DANE-EE(3) record?)";
        else if (presented_.size() == 1)
            verdict.reason += " (the server presents no CA certificate at all; it must send its chain)";
    }

    void pkix(RecordVerdict& verdict)
    {
        const bool ee = verdict.record.spec.usage == CertUsage::PkixEe;
        if (options_.smtp) {
            verdict.verdict = Verdict::Unusable;
            verdict.reason = fmt::format("SMTP clients treat {} records as unusable (RFC 7672 §3.1.3)",
                                         label(verdict.record));
            return;
        }
        if (!pkix_) {
            Store store(X509_STORE_new());
            bool loaded = store
                && (options_.pkix_ca_file ? X509_STORE_load_file(store.get(), options_.pkix_ca_file->c_str()) == 1
                                          : X509_STORE_set_default_paths(store.get()) == 1);
            if (!loaded) {
                verdict.reason = ossl::error("cannot load the PKIX trust anchors").message();
                return;
            }
            pkix_ = verify(store.get(), presented_, options_, false);
        }
        if (!pkix_->ok) {
            auto depth = find_match(presented_, verdict.record, ee ? 0 : 1);
            verdict.reason = fmt::format("{}the chain fails PKIX validation: {}",
                                         depth ? fmt::format("matches the certificate at depth {}, but ", *depth) : "",
                                         pkix_->error);
            return;
        }
        if (ee) {
            if (find_match(presented_, verdict.record, 0) == std::optional<size_t>(0)) {
                verdict.verdict = Verdict::Match;
                verdict.depth = 0;
                verdict.reason = "matches the end-entity certificate, which passes PKIX validation";
            } else {
                verdict.reason = "does not match the end-entity certificate";
            }
            return;
        }
        if (auto depth = find_match(pkix_->chain, verdict.record, 1)) {
            verdict.verdict = Verdict::Match;
            verdict.depth = *depth;
            verdict.reason = fmt::format("matches the CA certificate at depth {} ({}) of the PKIX-validated path",
                                         *depth, pkix_->chain[*depth].subject());
            return;
        }
        verdict.reason = "matches no CA certificate of the PKIX-validated path";
    }

    const crypto::CertificateChain& presented_;
    const MatchOptions& options_;
    std::optional<Verification> pkix_;
};

} // namespace

std::string_view verdict_to_text(Verdict verdict)
{
    switch (verdict) {
    case Verdict::Match: return "match";
    case Verdict::Mismatch: return "mismatch";
    case Verdict::Unusable: return "unusable";
    }
    return "mismatch";
}

bool ChainCheck::matched() const
{
    return std::ranges::any_of(records, [](const RecordVerdict& r) { return r.verdict == Verdict::Match; });
}

ChainCheck check_chain(const std::vector<Record>& records, const crypto::CertificateChain& presented,
                       const MatchOptions& options)
{
    ChainCheck check;
    Matcher matcher(presented, options);
    for (const auto& record : records)
        check.records.push_back(matcher.check(record));
    for (size_t depth = 0; depth < presented.size(); ++depth) {
        const auto& certificate = presented[depth];
        const TimePoint expires = certificate.not_after();
        if (expires <= options.now) {
            check.warnings.push_back(fmt::format("the certificate at depth {} ({}) expired at {}", depth,
                                                 certificate.subject(), format_time(expires)));
        } else if (expires - options.now < options.expiry_warning) {
            auto days = std::chrono::duration_cast<std::chrono::days>(expires - options.now).count();
            check.warnings.push_back(fmt::format("the certificate at depth {} ({}) expires at {}, in {} day{}", depth,
                                                 certificate.subject(), format_time(expires), days,
                                                 days == 1 ? "" : "s"));
        }
        if (certificate.not_before() > options.now)
            check.warnings.push_back(fmt::format("the certificate at depth {} ({}) is not valid before {}", depth,
                                                 certificate.subject(), format_time(certificate.not_before())));
    }
    return check;
}

} // namespace signet::tlsa
