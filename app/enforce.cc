#include <signet/app/enforce.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include <fmt/format.h>

#include <signet/app/hooks.h>
#include <signet/crypto/dnssec.h>
#include <signet/dns/zone_writer.h>

namespace signet::app {

using enforcer::DsAtParent;
using enforcer::KeyEntry;
using enforcer::KeyRole;
using enforcer::RecordState;

namespace {

// The larger of the policy's TTL and one that caches may still hold.
Duration kept_or(const enforcer::KeptTtl& kept, Duration policy, TimePoint now)
{
    if (kept.ttl && (!kept.until || now < *kept.until))
        return std::max(policy, Duration(std::chrono::seconds(*kept.ttl)));
    return policy;
}

// After publishing `ttl`: a lower TTL than the kept one becomes safe to
// count on once the kept one has run out in every cache.
void remember(enforcer::KeptTtl& kept, uint32_t ttl, TimePoint now)
{
    if (!kept.ttl || ttl >= *kept.ttl || (kept.until && now >= *kept.until)) {
        kept = { ttl, std::nullopt };
        return;
    }
    if (!kept.until)
        kept.until = now + std::chrono::seconds(*kept.ttl);
}

uint32_t seconds(Duration d) { return static_cast<uint32_t>(d.count()); }

// Makes the key in the token under `locator`, whose intent the caller has
// recorded in the store first (see KeyDb::add_key_intent).
Result<KeyEntry> make_key(crypto::p11::KeyStore& token, const enforcer::ZoneEntry& zone,
                          const enforcer::KeyRequest& request, TimePoint now, const std::string& locator)
{
    std::string label = fmt::format("{} {}", zone.name, enforcer::key_role_to_text(request.role));
    auto generated = token.generate(request.algorithm, request.bits, label, locator);
    if (!generated)
        return fail(generated.error().with_context(fmt::format("zone '{}'", zone.name)));
    KeyEntry key;
    key.zone_id = zone.id;
    key.locator = generated->locator;
    key.algorithm = request.algorithm;
    key.bits = request.bits;
    key.role = request.role;
    key.flags = request.role == KeyRole::ZSK ? crypto::dnskey_flag_zone
                                             : crypto::dnskey_flag_zone | crypto::dnskey_flag_sep;
    key.dnskey_rdata = crypto::make_dnskey_rdata(key.flags, request.algorithm, generated->public_key);
    key.key_tag = crypto::key_tag(key.dnskey_rdata);
    key.goal = enforcer::KeyGoal::Present;
    const bool keyset = request.role != KeyRole::ZSK, zone_data = request.role != KeyRole::KSK;
    key.dnskey = { RecordState::Hidden, now };
    key.krrsig = { keyset ? RecordState::Hidden : RecordState::NotApplicable, now };
    key.zrrsig = { zone_data ? RecordState::Hidden : RecordState::NotApplicable, now };
    key.ds = { keyset ? RecordState::Hidden : RecordState::NotApplicable, now };
    key.created = now;
    return key;
}

std::string key_name(const KeyEntry& key)
{
    return fmt::format("{} {} ({})", enforcer::key_role_to_text(key.role), key.key_tag,
                       crypto::algorithm_to_text(key.algorithm));
}

Result<std::string> ds_text(const enforcer::ZoneEntry& zone, const enforcer::Policy& policy, const KeyEntry& key)
{
    const dns::Name root;
    dns::Name apex = SIGNET_TRY(dns::Name::from_text(zone.name, &root));
    auto ds = SIGNET_TRY(crypto::make_ds_rdata(apex, key.dnskey_rdata, policy.cds_digest));
    std::string out;
    dns::append_record(out, apex, seconds(policy.parent_ds_ttl), dns::RRType::DS, ds);
    dns::append_record(out, apex, seconds(policy.dnskey_ttl), dns::RRType::DNSKEY, key.dnskey_rdata);
    return out;
}

} // namespace

Result<ZoneStep> plan_step(Context& context, const enforcer::ZoneEntry& zone, TimePoint now, bool signing,
                           std::optional<uint32_t> published_max_ttl)
{
    ZoneStep out;
    out.zone = zone;
    out.signing = signing;
    out.policy = *SIGNET_TRY(context.policy(zone.policy));
    out.timing = out.policy;
    out.timing.dnskey_ttl = kept_or(zone.dnskey_ttl, out.policy.dnskey_ttl, now);
    Duration zone_ttl = std::max(out.policy.max_zone_ttl, out.policy.dnskey_ttl);
    if (published_max_ttl)
        zone_ttl = std::max(zone_ttl, Duration(std::chrono::seconds(*published_max_ttl)));
    out.published_zone_ttl = seconds(zone_ttl);
    out.timing.max_zone_ttl = kept_or(zone.zone_ttl, zone_ttl, now);
    out.timing.parent_ds_ttl = kept_or(zone.ds_ttl, out.policy.parent_ds_ttl, now);
    out.stored = SIGNET_TRY(context.db.keys_of(zone.id));
    if (zone.unsign_started) {
        // Going insecure (`signet zone unsign`): no key is made and none
        // moves while the parent removes the DS; the keys go all at once
        // when the zone is published unsigned.
        out.step.keys = out.stored;
        return out;
    }
    out.step = enforcer::advance(out.stored, out.timing, now, signing);
    return out;
}

Result<void> make_keys(Context& context, ZoneStep& zs, TimePoint now)
{
    std::vector<KeyEntry> keys = zs.stored;
    // New keys start hidden; the step after their generation sets them moving.
    for (int round = 0; round < 2 && !zs.step.to_generate.empty(); ++round) {
        auto* token = SIGNET_TRY(context.token());
        for (const auto& request : zs.step.to_generate) {
            auto key = [&]() -> Result<KeyEntry> {
                if (auto made = context.premade.take(zs.zone.id, request))
                    return std::move(*made);
                std::string locator = SIGNET_TRY(crypto::p11::KeyStore::new_locator());
                SIGNET_TRY(context.db.add_key_intent(locator, zs.zone.id, now));
                return make_key(*token, zs.zone, request, now, locator);
            }();
            if (!key) {
                for (size_t index : zs.generated)
                    (void)forget_key(context, *token, keys[index].locator);
                zs.generated.clear();
                return fail(key.error());
            }
            keys.push_back(std::move(*key));
            zs.generated.push_back(keys.size() - 1);
            zs.reasons.push_back(request.reason);
        }
        // The step starts again from the stored keys plus the new ones, so
        // that its transitions are reported against what was stored.
        zs.step = enforcer::advance(keys, zs.timing, now, zs.signing);
    }
    return {};
}

Result<ZoneStep> step_zone(Context& context, const enforcer::ZoneEntry& zone, TimePoint now, bool signing,
                           std::optional<uint32_t> published_max_ttl)
{
    ZoneStep out = SIGNET_TRY(plan_step(context, zone, now, signing, published_max_ttl));
    SIGNET_TRY(make_keys(context, out, now));
    return out;
}

size_t premake_keys(Context& context, const std::vector<Result<ZoneStep>>& plans, TimePoint now, unsigned threads)
{
    struct Job {
        const ZoneStep* plan;
        const enforcer::KeyRequest* request;
        std::optional<Result<KeyEntry>> key;
        std::string locator;
    };
    std::vector<Job> jobs;
    for (const auto& plan : plans) {
        if (!plan)
            continue;
        for (const auto& request : plan->step.to_generate)
            jobs.push_back({ &*plan, &request, std::nullopt, {} });
    }
    if (jobs.empty())
        return 0;
    auto token = context.shared_token();
    if (!token)
        return 0; // each step meets the error again and reports it
    // Every object this run may make is recorded before it exists.
    auto recorded = context.db.transaction([&]() -> Result<void> {
        for (auto& job : jobs) {
            job.locator = SIGNET_TRY(crypto::p11::KeyStore::new_locator());
            SIGNET_TRY(context.db.add_key_intent(job.locator, job.plan->zone.id, now));
        }
        return {};
    });
    if (!recorded)
        return 0;
    if (threads == 0)
        threads = std::max(1u, std::thread::hardware_concurrency());
    threads = std::min<unsigned>(threads, static_cast<unsigned>(jobs.size()));
    std::atomic<size_t> next = 0;
    auto work = [&] {
        for (size_t i; (i = next++) < jobs.size();)
            jobs[i].key = make_key(**token, jobs[i].plan->zone, *jobs[i].request, now, jobs[i].locator);
    };
    std::vector<std::jthread> workers;
    for (unsigned t = 1; t < threads; ++t)
        workers.emplace_back(work);
    work();
    workers.clear(); // joins
    size_t made = 0;
    for (auto& job : jobs) {
        if (job.key && *job.key) {
            context.premade.add(*token, std::move(**job.key));
            ++made;
        }
    }
    return made;
}

void discard_generated(Context& context, const ZoneStep& step)
{
    auto token = context.token();
    if (!token)
        return;
    for (size_t index : step.generated)
        (void)forget_key(context, **token, step.step.keys[index].locator);
}

Result<void> forget_key(Context& context, crypto::p11::KeyStore& token, const std::string& locator)
{
    auto gone = token.destroy(locator);
    if (!gone && gone.error().code() != ErrorCode::NotFound)
        return gone;
    (void)context.db.remove_key_intent(locator);
    return {};
}

Result<void> mark_for_destruction(Context& context, const KeyEntry& key, TimePoint now)
{
    return context.db.retain_key(key.locator, key.zone_id, now, now, fmt::format("{}, removed", key_name(key)));
}

Result<std::vector<std::string>> collect_unused_keys(Context& context, TimePoint now)
{
    auto locators = SIGNET_TRY(context.db.uncommitted_keys(now));
    if (locators.empty())
        return locators;
    auto* token = SIGNET_TRY(context.token());
    std::vector<std::string> destroyed;
    for (const auto& locator : locators) {
        auto gone = token->destroy(locator);
        // Not there: the run died before the object was made, or the
        // object was destroyed before the intent could be cleared.
        if (gone || gone.error().code() == ErrorCode::NotFound) {
            SIGNET_TRY(context.db.remove_key_intent(locator));
            if (gone)
                destroyed.push_back(locator);
        }
    }
    return destroyed;
}

Result<void> store_step(Context& context, ZoneStep& zs, TimePoint now)
{
    auto& keys = zs.step.keys;
    auto event = [&](std::optional<int64_t> key_id, std::string kind, std::string detail) -> Result<void> {
        SIGNET_TRY(context.db.add_event({ 0, zs.zone.id, key_id, now, std::move(kind), std::move(detail) }));
        return {};
    };
    for (size_t index : zs.generated) {
        keys[index].id = SIGNET_TRY(context.db.add_key(keys[index]));
        SIGNET_TRY(context.db.remove_key_intent(keys[index].locator));
    }
    for (size_t i = 0; i < zs.generated.size(); ++i) {
        const KeyEntry& key = keys[zs.generated[i]];
        SIGNET_TRY(event(key.id, "generate", fmt::format("{} generated: {}", key_name(key), zs.reasons[i])));
    }
    for (size_t i = 0; i < keys.size() && i < zs.stored.size(); ++i) {
        if (!(keys[i] == zs.stored[i]))
            SIGNET_TRY(context.db.update_key(keys[i]));
    }
    for (size_t index : zs.step.retired)
        SIGNET_TRY(event(keys[index].id, "retire", fmt::format("{} has a successor and will be retired", key_name(keys[index]))));
    for (const auto& t : zs.step.transitions)
        SIGNET_TRY(event(keys[t.key].id, std::string(enforcer::record_to_text(t.record)),
                         fmt::format("{} {} {} -> {}", key_name(keys[t.key]), enforcer::record_to_text(t.record),
                                     enforcer::record_state_to_text(t.from), enforcer::record_state_to_text(t.to))));
    for (size_t index : zs.step.removed) {
        SIGNET_TRY(mark_for_destruction(context, keys[index], now));
        SIGNET_TRY(event(keys[index].id, "remove",
                         fmt::format("{} has left every cache and is destroyed in the token", key_name(keys[index]))));
    }
    return {};
}

void remember_published_ttls(enforcer::ZoneEntry& zone, const ZoneStep& zs, TimePoint now)
{
    remember(zone.dnskey_ttl, seconds(zs.policy.dnskey_ttl), now);
    remember(zone.zone_ttl, zs.published_zone_ttl, now);
    remember(zone.ds_ttl, seconds(zs.policy.parent_ds_ttl), now);
}

std::vector<std::string> finish_step(Context& context, ZoneStep& zs, TimePoint now)
{
    std::vector<std::string> warnings;
    if (!zs.step.removed.empty()) {
        if (auto token = context.token()) {
            // Not there: a lost key (`signet key lost`) has nothing left to
            // destroy. What cannot be destroyed now stays marked for the
            // next run or `signet key gc`.
            for (size_t index : zs.step.removed) {
                if (auto gone = forget_key(context, **token, zs.step.keys[index].locator); !gone)
                    warnings.push_back(gone.error().to_string());
            }
        } else {
            warnings.push_back(token.error().to_string());
        }
    }
    // The parent: hand the records to the configured commands.
    for (auto& key : zs.step.keys) {
        bool submit = key.ds_at_parent == DsAtParent::Submit && !zs.policy.ds_submit_command.empty();
        bool retract = key.ds_at_parent == DsAtParent::Retract && !zs.policy.ds_retract_command.empty();
        if (!submit && !retract)
            continue;
        auto text = ds_text(zs.zone, zs.policy, key);
        if (!text) {
            warnings.push_back(text.error().to_string());
            continue;
        }
        const Command& command = submit ? zs.policy.ds_submit_command : zs.policy.ds_retract_command;
        if (auto failure = run_zone_hook(submit ? "ds-submit-command" : "ds-retract-command", command,
                                         zs.zone.name, zs.policy.hook_timeout, *text)) {
            warnings.push_back(fmt::format("zone '{}': {}; the DS of key {} stays to be {}", zs.zone.name, *failure,
                                           key.key_tag, submit ? "submitted" : "withdrawn"));
            continue;
        }
        key.ds_at_parent = submit ? DsAtParent::Submitted : DsAtParent::Retracted;
        auto stored = context.db.transaction([&]() -> Result<void> {
            SIGNET_TRY(context.db.update_key(key));
            SIGNET_TRY(context.db.add_event({ 0, zs.zone.id, key.id, now, submit ? "ds-submitted" : "ds-retracted",
                                              fmt::format("{} given to `{}`", key_name(key),
                                                          hook_text(command, zs.zone.name)) }));
            return {};
        });
        if (!stored)
            warnings.push_back(stored.error().to_string());
    }
    return warnings;
}

std::vector<std::string> operator_todo(const enforcer::ZoneEntry& zone, const std::vector<KeyEntry>& keys)
{
    std::vector<std::string> todo;
    if (zone.insecure_since)
        return todo; // unsigned on purpose: no key, no DS
    // The name as it goes into a command to paste into a shell.
    const std::string name = shell_quote(zone.name);
    if (enforcer::before_first_ds(keys) && !keys.empty() && !zone.unsign_started)
        todo.push_back(fmt::format("nothing yet: the zone's first DS goes to the parent once its signatures are in "
                                   "every cache; `signet ds {}` shows the record and from when",
                                   name));
    for (const auto& key : keys) {
        if (key.removed)
            continue;
        switch (key.ds_at_parent) {
        case DsAtParent::Submit:
            todo.push_back(fmt::format("submit the DS of {} to the parent (`signet ds {}` shows it), then run "
                                       "`signet key ds-seen {} {}` once the parent publishes it",
                                       key_name(key), name, name, key.key_tag));
            break;
        case DsAtParent::Submitted:
            todo.push_back(fmt::format("the DS of {} was submitted; run `signet key ds-seen {} {}` once the parent "
                                       "publishes it",
                                       key_name(key), name, key.key_tag));
            break;
        case DsAtParent::Retract:
            todo.push_back(fmt::format("ask the parent to remove the DS of {} (`signet ds {}`), then run "
                                       "`signet key ds-gone {} {}` once it is gone",
                                       key_name(key), name, name, key.key_tag));
            break;
        case DsAtParent::Retracted:
            todo.push_back(fmt::format("the removal of the DS of {} was asked; run `signet key ds-gone {} {}` once "
                                       "the parent no longer publishes it",
                                       key_name(key), name, key.key_tag));
            break;
        default: break;
        }
    }
    return todo;
}

std::optional<TimePoint> key_next_transition(const KeyEntry& key, const enforcer::Policy& policy,
                                            const std::vector<KeyEntry>& zone_keys)
{
    if (key.removed)
        return std::nullopt;
    auto next = enforcer::timed_move_due(key, policy);
    if (key.goal == enforcer::KeyGoal::Present) {
        if (auto due = enforcer::rollover_due(key, policy, zone_keys); due && (!next || *due < *next))
            next = due;
    }
    return next;
}

namespace {

// The rest of `signet enforce` for one zone once its step is planned.
Result<EnforceReport> enforce_planned(Context& context, ZoneStep& zs, TimePoint now)
{
    SIGNET_TRY(make_keys(context, zs, now));
    const enforcer::ZoneEntry& zone = zs.zone;
    auto stored = context.db.transaction([&] { return store_step(context, zs, now); });
    if (!stored) {
        discard_generated(context, zs);
        return fail(stored.error());
    }
    EnforceReport report;
    report.zone = zone.name;
    report.warnings = finish_step(context, zs, now);
    for (size_t index : zs.generated)
        report.changes.push_back(fmt::format("{} generated", key_name(zs.step.keys[index])));
    for (const auto& t : zs.step.transitions)
        report.changes.push_back(fmt::format("{} {} {} -> {}", key_name(zs.step.keys[t.key]),
                                             enforcer::record_to_text(t.record), enforcer::record_state_to_text(t.from),
                                             enforcer::record_state_to_text(t.to)));
    for (size_t index : zs.step.removed)
        report.changes.push_back(fmt::format("{} removed", key_name(zs.step.keys[index])));
    report.needs_signing = zs.step.needs_signing || !zs.generated.empty() || !zone.signed_at;
    report.next_event = zs.step.next_event;
    // The signatures' refresh point is an event too, whatever the keys do.
    report.next_event = SIGNET_TRY(next_zone_event(context, zone, zs.policy, report.next_event));
    report.needs_signing = report.needs_signing || (report.next_event && *report.next_event <= now);
    report.expiring = expiry_warning(zone, zs.policy, now);
    if (report.needs_signing)
        report.next_event = now;
    report.todo = operator_todo(zone, zs.step.keys);
    if (report.needs_signing)
        report.todo.insert(report.todo.begin(), fmt::format("sign the zone now (`signet sign {}`): its keys have "
                                                            "moved on",
                                                            shell_quote(zone.name)));
    return report;
}

} // namespace

Result<EnforceReport> enforce_zone(Context& context, std::string_view zone_name, const Clock& clock)
{
    TimePoint now = clock.now();
    enforcer::ZoneEntry zone = SIGNET_TRY(context.zone(zone_name));
    ZoneStep zs = SIGNET_TRY(plan_step(context, zone, now, false));
    return enforce_planned(context, zs, now);
}

std::vector<Result<ZoneStep>> plan_steps(Context& context, const std::vector<enforcer::ZoneEntry>& zones,
                                         TimePoint now, bool signing, unsigned threads)
{
    std::vector<Result<ZoneStep>> plans;
    for (const auto& zone : zones)
        plans.push_back(plan_step(context, zone, now, signing));
    premake_keys(context, plans, now, threads);
    return plans;
}

std::vector<Result<EnforceReport>> enforce_zones(Context& context, const std::vector<enforcer::ZoneEntry>& zones,
                                                 const Clock& clock, unsigned threads)
{
    TimePoint now = clock.now();
    auto plans = plan_steps(context, zones, now, false, threads);
    std::vector<Result<EnforceReport>> out;
    for (auto& plan : plans)
        out.push_back(plan ? enforce_planned(context, *plan, now) : fail(plan.error()));
    return out;
}

Result<KeyEntry> confirm_ds(Context& context, std::string_view zone_name, uint16_t key_tag, bool seen,
                            const Clock& clock)
{
    TimePoint now = clock.now();
    enforcer::ZoneEntry zone = SIGNET_TRY(context.zone(zone_name));
    auto keys = SIGNET_TRY(context.db.keys_of(zone.id));
    KeyEntry* found = nullptr;
    for (auto& key : keys) {
        if (key.key_tag == key_tag && !key.removed && key.role != KeyRole::ZSK) {
            bool waiting = seen ? (key.ds_at_parent == DsAtParent::Submit || key.ds_at_parent == DsAtParent::Submitted)
                                : (key.ds_at_parent == DsAtParent::Retract || key.ds_at_parent == DsAtParent::Retracted);
            if (!found || waiting)
                found = &key;
        }
    }
    if (!found)
        return fail(ErrorCode::NotFound,
                    fmt::format("zone '{}' has no KSK or CSK with key tag {}; `signet key list {}` shows its keys",
                                zone.name, key_tag, shell_quote(zone.name)));
    auto confirmed = seen ? enforcer::confirm_ds_seen(*found, now) : enforcer::confirm_ds_gone(*found, now);
    if (!confirmed)
        return fail(confirmed.error().with_context(fmt::format("zone '{}'", zone.name)));
    SIGNET_TRY(context.db.transaction([&]() -> Result<void> {
        SIGNET_TRY(context.db.update_key(*found));
        SIGNET_TRY(context.db.add_event({ 0, zone.id, found->id, now, seen ? "ds-seen" : "ds-gone",
                                          fmt::format("the parent {} the DS of {}", seen ? "publishes" : "no longer publishes",
                                                      key_name(*found)) }));
        return {};
    }));
    return *found;
}

Result<LostKeyReport> replace_lost_key(Context& context, std::string_view zone_name, uint16_t key_tag,
                                       const Clock& clock)
{
    TimePoint now = clock.now();
    enforcer::ZoneEntry zone = SIGNET_TRY(context.zone(zone_name));
    const enforcer::Policy& policy = *SIGNET_TRY(context.policy(zone.policy));
    auto keys = SIGNET_TRY(context.db.keys_of(zone.id));
    auto shown = [](const enforcer::RecordStatus& s) {
        return s.state == RecordState::Rumoured || s.state == RecordState::Omnipresent;
    };
    auto signs = [&](const KeyEntry& k) { return shown(k.krrsig) || shown(k.zrrsig); };
    auto found = std::find_if(keys.begin(), keys.end(),
                              [&](const KeyEntry& k) { return !k.removed && k.key_tag == key_tag && signs(k); });
    if (found == keys.end())
        return fail(ErrorCode::NotFound,
                    fmt::format("zone '{}' has no key with key tag {} that signs; a key that no longer signs "
                                "needs no private key (`signet key list {}` shows the keys)",
                                zone.name, key_tag, shell_quote(zone.name)));
    if (zone.unsign_started)
        return fail(ErrorCode::Conflict, fmt::format("zone '{}' is going insecure (`signet zone unsign`); its keys are "
                                                     "kept as they are until the unsigned zone is published",
                                                     zone.name));
    KeyEntry lost = *found;

    // The replacement: recorded as intended before it exists, as every key.
    enforcer::KeyRequest request { lost.role, lost.algorithm, lost.bits, "replaces a lost key" };
    auto* token = SIGNET_TRY(context.token());
    std::string locator = SIGNET_TRY(crypto::p11::KeyStore::new_locator());
    SIGNET_TRY(context.db.add_key_intent(locator, zone.id, now));
    KeyEntry fresh = SIGNET_TRY(make_key(*token, zone, request, now, locator));

    // The new key is published and signs from the next signing on: its
    // records start rumoured now (the rollover rules would wait for the
    // old key's signatures, which can no longer be made).
    const bool chained = shown(lost.ds) || lost.ds.state == RecordState::Unretentive;
    fresh.dnskey = { RecordState::Rumoured, now };
    fresh.published = now;
    fresh.active = now;
    if (fresh.krrsig.state != RecordState::NotApplicable)
        fresh.krrsig = { RecordState::Rumoured, now };
    if (fresh.zrrsig.state != RecordState::NotApplicable)
        fresh.zrrsig = { RecordState::Rumoured, now };
    if (fresh.ds.state != RecordState::NotApplicable && chained) {
        fresh.ds = { RecordState::Rumoured, now };
        fresh.ds_at_parent = DsAtParent::Submit;
    }
    // The lost key stops signing now and leaves. A lost KSK's DNSKEY and DS
    // are of no use to anyone (nothing it signs can be made again); a lost
    // ZSK's DNSKEY stays while the key states keep it, for the signatures
    // caches still hold.
    lost.goal = enforcer::KeyGoal::Absent;
    lost.emergency = true;
    lost.retired = now;
    if (shown(lost.zrrsig))
        lost.zrrsig = { RecordState::Unretentive, now };
    if (shown(lost.krrsig)) {
        lost.krrsig = { RecordState::Unretentive, now };
        if (shown(lost.dnskey))
            lost.dnskey = { RecordState::Unretentive, now };
        if (shown(lost.ds)) {
            lost.ds = { RecordState::Unretentive, now };
            if (lost.ds_at_parent != DsAtParent::Unsubmitted)
                lost.ds_at_parent = DsAtParent::Retract;
        }
    }

    auto stored = context.db.transaction([&]() -> Result<void> {
        fresh.id = SIGNET_TRY(context.db.add_key(fresh));
        SIGNET_TRY(context.db.remove_key_intent(fresh.locator));
        SIGNET_TRY(context.db.update_key(lost));
        SIGNET_TRY(context.db.add_event({ 0, zone.id, lost.id, now, "lost",
                                          fmt::format("{} declared lost: it no longer signs", key_name(lost)) }));
        SIGNET_TRY(context.db.add_event({ 0, zone.id, fresh.id, now, "generate",
                                          fmt::format("{} generated: replaces lost {}, signs at once", key_name(fresh),
                                                      key_name(lost)) }));
        return {};
    });
    if (!stored) {
        (void)forget_key(context, *token, fresh.locator);
        return fail(stored.error());
    }

    LostKeyReport report { lost, fresh, {} };
    auto hours = [](Duration d) { return format_duration(d); };
    if (fresh.zrrsig.state != RecordState::NotApplicable)
        report.gap.push_back(fmt::format(
            "resolvers that cached the DNSKEY RRset before the next signing do not know the new key's signatures: "
            "they fail the zone's answers until it expires, up to dnskey-ttl + zone-propagation-delay ({}) after "
            "the next signing",
            hours(policy.dnskey_ttl + policy.zone_propagation_delay)));
    if (fresh.krrsig.state != RecordState::NotApplicable && chained)
        report.gap.push_back(fmt::format(
            "the parent's DS names the lost key, which can no longer sign the DNSKEY RRset: validating resolvers "
            "fail the zone until the parent publishes the new DS and the old one has left the caches: submit it now "
            "(`signet ds {}`), then up to parent-propagation-delay + parent-ds-ttl ({}) after the parent publishes it",
            shell_quote(zone.name), hours(policy.parent_propagation_delay + policy.parent_ds_ttl)));
    return report;
}

Result<RolloverReport> request_rollover(Context& context, std::string_view zone_name, KeyRole role, bool emergency,
                                        const Clock& clock)
{
    TimePoint now = clock.now();
    enforcer::ZoneEntry zone = SIGNET_TRY(context.zone(zone_name));
    const enforcer::Policy& policy = *SIGNET_TRY(context.policy(zone.policy));
    auto keys = SIGNET_TRY(context.db.keys_of(zone.id));
    RolloverReport report;
    for (auto& key : keys) {
        if (key.removed || key.goal != enforcer::KeyGoal::Present || key.role != role)
            continue;
        key.rollover_requested = now;
        key.emergency = key.emergency || emergency;
        report.keys.push_back(key);
    }
    if (report.keys.empty())
        return fail(ErrorCode::NotFound,
                    fmt::format("zone '{}' has no {} in use to roll (its policy '{}' uses {})", zone.name,
                                enforcer::key_role_to_text(role), policy.name,
                                enforcer::key_layout_to_text(policy.keys)));
    SIGNET_TRY(context.db.transaction([&]() -> Result<void> {
        for (const auto& key : report.keys) {
            SIGNET_TRY(context.db.update_key(key));
            SIGNET_TRY(context.db.add_event({ 0, zone.id, key.id, now, emergency ? "emergency" : "rollover",
                                              fmt::format("{} rollover of {} asked for", emergency ? "emergency" : "a",
                                                          key_name(key)) }));
        }
        return {};
    }));
    switch (role) {
    case KeyRole::KSK: report.expected = enforcer::ksk_rollover_time(policy); break;
    case KeyRole::ZSK: report.expected = enforcer::zsk_rollover_time(policy); break;
    case KeyRole::CSK: report.expected = enforcer::csk_rollover_time(policy); break;
    }
    return report;
}

} // namespace signet::app
