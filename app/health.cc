#include <signet/app/health.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <signet/app/signed_state.h>
#include <signet/app/tlsa.h>
#include <signet/base/atomic_file.h>
#include <signet/base/duration.h>
#include <signet/base/excerpt.h>
#include <signet/base/process.h>
#include <signet/crypto/x509.h>

namespace signet::app {

namespace fs = std::filesystem;
using enforcer::DsAtParent;

namespace {

class Checker {
public:
    Checker(Context& context, TimePoint now)
        : context_(context)
        , now_(now)
    {
    }

    void zone(const enforcer::ZoneEntry& zone)
    {
        const std::string name = shell_quote(zone.name);
        auto policy = context_.policy(zone.policy);
        if (!policy) {
            add(HealthStatus::Critical, zone, fmt::format("{}; it cannot be signed", policy.error().message()));
            return;
        }
        if (!zone.insecure_since)
            signatures(zone, **policy, name);
        if (auto failure = last_signing_failure(context_.state_dir, zone))
            add(HealthStatus::Critical, zone,
                fmt::format("the last signing, at {}, failed: {}", format_time(failure->time), one_line(failure->error)));
        if (auto keys = context_.db.keys_of(zone.id))
            ds_actions(zone, *keys, name);
        else
            add(HealthStatus::Unknown, zone, keys.error().to_string());
        if (auto bindings = enforcer::tlsa_bindings_of(context_.db, zone.id))
            certificates(zone, *bindings);
        else
            add(HealthStatus::Unknown, zone, bindings.error().to_string());
    }

    void token()
    {
        if (auto probed = crypto::p11::KeyStore::probe(context_.config.hsm.token_config()); !probed)
            problems_.push_back({ HealthStatus::Critical, "",
                                  fmt::format("the token cannot be reached: {}; no zone can be signed",
                                              one_line(probed.error().to_string())) });
    }

    HealthReport report(size_t zones) &&
    {
        HealthReport report;
        report.zones = zones;
        std::ranges::stable_sort(problems_, [](const HealthProblem& a, const HealthProblem& b) {
            if (a.status != b.status)
                return a.status > b.status;
            return a.zone < b.zone;
        });
        for (const auto& problem : problems_)
            report.status = std::max(report.status, problem.status);
        report.problems = std::move(problems_);
        return report;
    }

private:
    void add(HealthStatus status, const enforcer::ZoneEntry& zone, std::string message)
    {
        problems_.push_back({ status, zone.name, std::move(message) });
    }

    void signatures(const enforcer::ZoneEntry& zone, const enforcer::Policy& policy, const std::string& name)
    {
        if (!zone.signed_at || !zone.expires) {
            add(HealthStatus::Warning, zone, fmt::format("never signed: `signet sign {}` (or signetd) signs it", name));
            return;
        }
        const Duration left = std::chrono::duration_cast<Duration>(*zone.expires - now_);
        if (left <= Duration::zero())
            add(HealthStatus::Critical, zone,
                fmt::format("the published signatures expired at {}: validating resolvers fail the zone; sign it "
                            "(`signet sign {}`)",
                            format_time(*zone.expires), name));
        else if (left < policy.signature_refresh / 2)
            add(HealthStatus::Critical, zone,
                fmt::format("the published signatures expire at {} (in {}), within half of signature-refresh: sign "
                            "it now (`signet sign {}`)",
                            format_time(*zone.expires), format_duration_roughly(left), name));
        else if (left < policy.signature_refresh)
            add(HealthStatus::Warning, zone,
                fmt::format("the published signatures expire at {} (in {}), within signature-refresh ({}), and were "
                            "not refreshed: is the signer running?",
                            format_time(*zone.expires), format_duration_roughly(left), format_duration(policy.signature_refresh)));
    }

    void ds_actions(const enforcer::ZoneEntry& zone, const std::vector<enforcer::KeyEntry>& keys,
                    const std::string& name)
    {
        const Duration grace = context_.config.health.ds_grace;
        for (const auto& key : keys) {
            if (key.removed)
                continue;
            std::string what;
            switch (key.ds_at_parent) {
            case DsAtParent::Submit:
            case DsAtParent::Submitted:
                what = fmt::format("the DS of {} {} waits to be published by the parent; once it is, run `signet key "
                                   "ds-seen {} {}` (`signet ds {}` shows it)",
                                   enforcer::key_role_to_text(key.role), key.key_tag, name, key.key_tag, name);
                break;
            case DsAtParent::Retract:
            case DsAtParent::Retracted:
                what = fmt::format("the DS of {} {} waits to be removed from the parent; once it is gone, run "
                                   "`signet key ds-gone {} {}`",
                                   enforcer::key_role_to_text(key.role), key.key_tag, name, key.key_tag);
                break;
            default: continue;
            }
            const Duration waited = std::chrono::duration_cast<Duration>(now_ - key.ds.since);
            if (waited > grace)
                add(HealthStatus::Warning, zone,
                    fmt::format("{}; waiting since {} ({}, longer than ds-grace {})", what, format_time(key.ds.since),
                                format_duration_roughly(waited), format_duration(grace)));
        }
    }

    void certificates(const enforcer::ZoneEntry& zone, const std::vector<enforcer::TlsaBindingEntry>& bindings)
    {
        const auto& health = context_.config.health;
        for (const auto& binding : bindings) {
            for (const auto& file : { std::optional(binding.cert), binding.next_cert }) {
                if (!file)
                    continue;
                const std::string about = fmt::format("TLSA binding {}", binding_label(binding));
                auto chain = crypto::load_certificates(*file);
                if (!chain || chain->empty()) {
                    add(HealthStatus::Critical, zone,
                        fmt::format("{}: {} ({}); its published records are kept until it can be read",
                                    file->string(), chain ? "no certificate" : one_line(chain.error().message()), about));
                    continue;
                }
                const TimePoint end = chain->front().not_after();
                const Duration left = std::chrono::duration_cast<Duration>(end - now_);
                if (left <= Duration::zero())
                    add(HealthStatus::Critical, zone,
                        fmt::format("{}: the certificate expired at {} ({}): renew it", file->string(),
                                    format_time(end), about));
                else if (left < health.certificate_critical || left < health.certificate_warning)
                    add(left < health.certificate_critical ? HealthStatus::Critical : HealthStatus::Warning, zone,
                        fmt::format("{}: the certificate expires at {} (in {}; {}): renew it, and announce the next "
                                    "one with `signet tlsa add --replace … --next-cert`",
                                    file->string(), format_time(end), format_duration_roughly(left), about));
            }
        }
    }

    Context& context_;
    TimePoint now_;
    std::vector<HealthProblem> problems_;
};

} // namespace

std::string_view health_status_text(HealthStatus status)
{
    switch (status) {
    case HealthStatus::Ok: return "OK";
    case HealthStatus::Warning: return "WARNING";
    case HealthStatus::Critical: return "CRITICAL";
    case HealthStatus::Unknown: break;
    }
    return "UNKNOWN";
}

Result<HealthReport> check_health(Context& context, std::optional<std::string_view> zone, TimePoint now)
{
    std::vector<enforcer::ZoneEntry> zones;
    if (zone)
        zones.push_back(SIGNET_TRY(context.zone(*zone)));
    else
        zones = SIGNET_TRY(context.db.list_zones());
    Checker checker(context, now);
    for (const auto& entry : zones)
        checker.zone(entry);
    checker.token();
    return std::move(checker).report(zones.size());
}

Result<void> record_signing_outcome(const fs::path& state_dir, const enforcer::ZoneEntry& zone, TimePoint now,
                                    const std::optional<std::string>& failure)
{
    const fs::path path = signing_failure_path(state_dir, zone.id);
    if (!failure) {
        std::error_code error;
        if (!fs::remove(path, error) && error)
            return fail(ErrorCode::Io, fmt::format("{}: cannot remove: {}", path.string(), error.message()));
        return {};
    }
    std::error_code ignored;
    fs::create_directory(state_dir / "signed", ignored);
    fs::permissions(state_dir / "signed", fs::perms::owner_all, ignored);
    nlohmann::json json = { { "zone", zone.name }, { "time", format_time(now) }, { "error", *failure } };
    return write_file_atomically(path, json.dump() + "\n", 0600);
}

std::optional<SigningFailure> last_signing_failure(const fs::path& state_dir, const enforcer::ZoneEntry& zone)
{
    std::ifstream in(signing_failure_path(state_dir, zone.id));
    if (!in)
        return std::nullopt;
    std::stringstream text;
    text << in.rdbuf();
    auto json = nlohmann::json::parse(text.str(), nullptr, false);
    SigningFailure failure;
    failure.error = "(the record of the failure cannot be read)";
    if (json.is_object()) {
        if (json.contains("time") && json["time"].is_string()) {
            if (auto time = parse_time(json["time"].get<std::string>()))
                failure.time = *time;
        }
        if (json.contains("error") && json["error"].is_string())
            failure.error = json["error"].get<std::string>();
    }
    return failure;
}

std::optional<std::string> note_signing(Context& context, std::string_view zone, TimePoint now,
                                        const Result<SignReport>& outcome)
{
    auto entry = context.db.find_zone(zone);
    if (!entry || !*entry)
        return std::nullopt;
    std::optional<std::string> failure;
    if (!outcome)
        failure = outcome.error().to_string();
    else if (outcome->input_error)
        failure = *outcome->input_error + "; its last good version was signed again";
    auto recorded = record_signing_outcome(context.state_dir, **entry, now, failure);
    if (!recorded)
        return fmt::format("warning: zone '{}': the outcome of this signing cannot be recorded for `signet health`: "
                           "{}",
                           (*entry)->name, recorded.error().to_string());
    return std::nullopt;
}

} // namespace signet::app
