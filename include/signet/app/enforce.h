// The enforcer run against a state dir: its store, its token (keys made
// ahead for many zones at once on several sessions) and its hooks, around
// the enforcer's own orchestration (enforcer/zone_step.h,
// enforcer/key_actions.h); and what the operator must do now, in plain
// words.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <signet/app/pipeline.h>
#include <signet/enforcer/key_actions.h>
#include <signet/enforcer/keystate.h>
#include <signet/enforcer/zone_step.h>

namespace signet::app {

// One zone's step, with the keys it asked for already in the token.
using ZoneStep = enforcer::ZoneStep;

// Runs the enforcer for `zone` at `now`; `signing` as for enforcer::advance.
// `published_max_ttl` is the largest TTL the signed zone will carry, when
// known. On error the token is as it was. The same as plan_step + make_keys.
Result<ZoneStep> step_zone(Context& context, const enforcer::ZoneEntry& zone, TimePoint now, bool signing,
                           std::optional<uint32_t> published_max_ttl = std::nullopt);
// The step as the stored keys allow it, before any key it asks for is made.
Result<ZoneStep> plan_step(Context& context, const enforcer::ZoneEntry& zone, TimePoint now, bool signing,
                           std::optional<uint32_t> published_max_ttl = std::nullopt);
// Makes the keys a planned step asks for (taking those made ahead first) and
// steps again with them. On error the token is as it was.
Result<void> make_keys(Context& context, ZoneStep& step, TimePoint now);
// Makes the keys that `plans` ask for ahead, on up to `threads` sessions at
// once (0: one per core), and leaves them in context.premade for the steps
// to take. A run over many zones keeps the token busy on every session
// instead of waiting on it zone after zone. Returns how many were made; a key
// that fails is left for its zone's own step to meet and report.
size_t premake_keys(Context& context, const std::vector<Result<ZoneStep>>& plans, TimePoint now,
                    unsigned threads = 0);
// plan_step for each of `zones`, in order, then premake_keys for them all.
std::vector<Result<ZoneStep>> plan_steps(Context& context, const std::vector<enforcer::ZoneEntry>& zones,
                                         TimePoint now, bool signing, unsigned threads = 0);
// Takes the step's new keys out of the token again (after a failure).
void discard_generated(Context& context, const ZoneStep& step);
// Destroys a key no committed run knows (or one marked for destruction)
// and clears its intent; an object already gone counts as destroyed. The
// error is the token's when it could not be destroyed (the intent stays,
// for the next run or `signet key gc`).
Result<void> forget_key(Context& context, crypto::p11::KeyStore& token, const std::string& locator);
// Inside the transaction that removes `key`: names its token object for
// destruction, so that the object is destroyed even when the run is killed
// between the commit and forget_key.
Result<void> mark_for_destruction(Context& context, const enforcer::KeyEntry& key, TimePoint now);
// `signet key gc`, and the start of every sign and enforce run: destroys the
// token objects that a run recorded as about to be made and never committed
// (a run killed between generation and commit), and the keys of zones
// removed with --force once their purge time has come; nothing else in the
// token. Returns the locators destroyed.
Result<std::vector<std::string>> collect_unused_keys(Context& context, TimePoint now);
// Writes the step's keys and the history; call inside KeyDb::transaction.
Result<void> store_step(Context& context, ZoneStep& step, TimePoint now);
// After a signing with the step: the TTLs just published, kept in `zone`
// while caches may still hold larger ones (the caller stores the zone).
using enforcer::remember_published_ttls;
// After the store has committed: destroys the keys whose records have left
// every cache, and runs the ds-submit/ds-retract commands. Returns warnings.
std::vector<std::string> finish_step(Context& context, ZoneStep& step, TimePoint now);

// What the operator must do now for the zone ("submit the DS of KSK 12345
// to the parent, then run `signet key ds-seen …`"), empty when nothing.
std::vector<std::string> operator_todo(const enforcer::ZoneEntry& zone, const std::vector<enforcer::KeyEntry>& keys);

// The time a key's next timed move falls due, if one is waiting on time.
using enforcer::key_next_transition;

struct EnforceReport {
    std::string zone;
    std::vector<std::string> changes; // one line per move, key made or key removed
    std::optional<TimePoint> next_event;
    bool needs_signing = false;
    std::vector<std::string> todo;
    std::vector<std::string> warnings;
    std::optional<std::string> expiring; // the published signatures are near or past expiry
};

// `signet enforce`: the step without signing, stored.
Result<EnforceReport> enforce_zone(Context& context, std::string_view zone, const Clock& clock);
// `signet enforce --all`: enforce_zone for each of `zones` in turn, with the
// keys they need made ahead (premake_keys). One result per zone, in order.
std::vector<Result<EnforceReport>> enforce_zones(Context& context, const std::vector<enforcer::ZoneEntry>& zones,
                                                 const Clock& clock, unsigned threads = 0);

// `signet key ds-seen` / `ds-gone`.
Result<enforcer::KeyEntry> confirm_ds(Context& context, std::string_view zone, uint16_t key_tag, bool seen,
                                      const Clock& clock);

using RolloverReport = enforcer::RolloverReport; // the keys to be rolled, how long it takes at the least

// `signet key rollover`: the zone's current key(s) of `role` roll at the
// next enforce or sign; `emergency` marks them compromised.
Result<RolloverReport> request_rollover(Context& context, std::string_view zone, enforcer::KeyRole role,
                                        bool emergency, const Clock& clock);

struct LostKeyReport {
    enforcer::KeyEntry lost;
    enforcer::KeyEntry replacement;
    // Why resolvers may fail the zone for a while, and for how long: one
    // line per cause; empty when none can.
    std::vector<std::string> gap;
};

// `signet key lost`: the private key of a key in use is gone from the token
// (deleted, a token reset, a broken HSM), so the safe rollover, which keeps
// the old key signing until its successor is in every cache, cannot be
// done. A key of the same role and algorithm takes over at once: published
// and signing from the next signing on, its DS asked for at once when the
// lost key's DS is at the parent. The lost key stops signing and leaves
// (its DNSKEY stays while its signatures may be cached, for a ZSK, as the
// key states allow). Resolvers that cached the old DNSKEY RRset, or the old
// DS, cannot validate the new signatures until those expire; the report
// says for how long.
Result<LostKeyReport> replace_lost_key(Context& context, std::string_view zone, uint16_t key_tag,
                                       const Clock& clock);

} // namespace signet::app
