// `signet health`: what monitoring must see before a resolver does, with
// the monitoring-plugin exit convention (Nagios, Icinga, Checkmk). Works with
// or without signetd: it reads the store, the signer's files and the
// certificates, and looks for the token without logging in.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <signet/app/pipeline.h>
#include <signet/base/clock.h>
#include <signet/enforcer/model.h>

namespace signet::app {

// The exit status is the value.
enum class HealthStatus { Ok = 0, Warning = 1, Critical = 2, Unknown = 3 };
std::string_view health_status_text(HealthStatus status); // "OK", "WARNING", ...

struct HealthProblem {
    HealthStatus status = HealthStatus::Warning;
    std::string zone; // empty: not about one zone (the token)
    std::string message; // what is wrong and what to do, one line
};

struct HealthReport {
    HealthStatus status = HealthStatus::Ok; // the worst of the problems
    size_t zones = 0; // looked at
    std::vector<HealthProblem> problems; // worst first, then by zone
};

// Per zone:
//   - the published signatures: expired, or expiring within half of
//     signature-refresh: critical; within signature-refresh: warning (the
//     signer should have refreshed them by then);
//   - a zone never signed: warning;
//   - the last signing failed, or signed its last good version because the
//     input could not be signed: critical, with the error;
//   - a DS submission or removal waiting for the operator longer than
//     [health] ds-grace: warning (a first DS that is not due yet is fine);
//   - a bound certificate (current or next) that has expired or cannot be
//     read: critical; expiring within [health] certificate-critical:
//     critical, within certificate-warning: warning.
// And once: the token cannot be found (module, label): critical. `zone`
// limits the zones looked at (NotFound when unknown).
Result<HealthReport> check_health(Context& context, std::optional<std::string_view> zone, TimePoint now);

// The outcome of a zone's last signing, kept beside the signer's state
// (STATE/signed/zone-ID.failure, not the store: a failed signing leaves the
// store as it was): written when a signing fails or signs the last good
// version instead of the input, removed when one succeeds. Errors writing it
// are returned for the caller to warn about; they never fail the signing.
struct SigningFailure {
    TimePoint time {};
    std::string error;
};
Result<void> record_signing_outcome(const std::filesystem::path& state_dir, const enforcer::ZoneEntry& zone,
                                    TimePoint now, const std::optional<std::string>& failure);
std::optional<SigningFailure> last_signing_failure(const std::filesystem::path& state_dir,
                                                   const enforcer::ZoneEntry& zone);

// After sign_zone: records its outcome for `zone` (when the zone exists);
// returns a warning when that cannot be written.
std::optional<std::string> note_signing(Context& context, std::string_view zone, TimePoint now,
                                        const Result<SignReport>& outcome);

} // namespace signet::app
