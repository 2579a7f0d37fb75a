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
using enforcer::key_name;
using enforcer::KeyEntry;
using enforcer::KeyRole;
using enforcer::RecordState;

namespace {

// The state dir's token as the enforcer sees it: opened at the first use
// (Context::token), with the keys made ahead for the run; or a token the
// caller has open already.
class P11Token final : public enforcer::KeyToken {
public:
    explicit P11Token(Context& context)
        : context_(&context)
    {
    }
    explicit P11Token(crypto::p11::KeyStore& token)
        : token_(&token)
    {
    }

    Result<void> open() override
    {
        if (!token_)
            token_ = SIGNET_TRY(context_->token());
        return {};
    }
    Result<std::string> new_locator() override { return crypto::p11::KeyStore::new_locator(); }
    Result<KeyPair> generate(crypto::Algorithm algorithm, unsigned bits, std::string_view label,
                             std::string_view locator) override
    {
        SIGNET_TRY(open());
        auto generated = SIGNET_TRY(token_->generate(algorithm, bits, label, locator));
        return KeyPair { std::move(generated.locator), std::move(generated.public_key) };
    }
    Result<void> destroy(std::string_view locator) override
    {
        SIGNET_TRY(open());
        return token_->destroy(locator);
    }
    std::optional<KeyEntry> take_premade(int64_t zone_id, const enforcer::KeyRequest& request) override
    {
        if (!context_)
            return std::nullopt;
        return context_->premade.take(zone_id, request);
    }

private:
    Context* context_ = nullptr;
    crypto::p11::KeyStore* token_ = nullptr;
};

uint32_t seconds(Duration d) { return static_cast<uint32_t>(d.count()); }

// What the ds-submit and ds-retract commands read on stdin: the DS and the
// DNSKEY of the key.
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
    const enforcer::Policy& policy = *SIGNET_TRY(context.policy(zone.policy));
    return enforcer::plan_step(context.db, zone, policy, now, signing, published_max_ttl);
}

Result<void> make_keys(Context& context, ZoneStep& zs, TimePoint now)
{
    P11Token token(context);
    return enforcer::make_keys(context.db, token, zs, now);
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
    P11Token shared(**token); // one KeyStore, used by every worker at once
    // Every object this run may make is recorded before it exists.
    auto recorded = context.db.transaction([&]() -> Result<void> {
        for (auto& job : jobs) {
            job.locator = SIGNET_TRY(shared.new_locator());
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
            jobs[i].key = enforcer::make_key(shared, jobs[i].plan->zone, *jobs[i].request, now, jobs[i].locator);
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
    P11Token token(context);
    enforcer::discard_generated(context.db, token, step);
}

Result<void> forget_key(Context& context, crypto::p11::KeyStore& token, const std::string& locator)
{
    P11Token open(token);
    return enforcer::forget_key(context.db, open, locator);
}

Result<void> mark_for_destruction(Context& context, const KeyEntry& key, TimePoint now)
{
    return enforcer::mark_for_destruction(context.db, key, now);
}

Result<std::vector<std::string>> collect_unused_keys(Context& context, TimePoint now)
{
    P11Token token(context);
    return enforcer::collect_unused_keys(context.db, token, now);
}

Result<void> store_step(Context& context, ZoneStep& zs, TimePoint now)
{
    return enforcer::store_step(context.db, zs, now);
}

std::vector<std::string> finish_step(Context& context, ZoneStep& zs, TimePoint now)
{
    // The parent: the policy's commands get the DS and DNSKEY on stdin.
    auto hand = [&](const KeyEntry& key, enforcer::ParentRequest request) -> Result<std::string> {
        const bool submit = request == enforcer::ParentRequest::Submit;
        auto text = SIGNET_TRY(ds_text(zs.zone, zs.policy, key));
        const Command& command = submit ? zs.policy.ds_submit_command : zs.policy.ds_retract_command;
        if (auto failure = run_zone_hook(submit ? "ds-submit-command" : "ds-retract-command", command, zs.zone.name,
                                         zs.policy.hook_timeout, text))
            return fail(ErrorCode::Io, fmt::format("zone '{}': {}; the DS of key {} stays to be {}", zs.zone.name,
                                                   *failure, key.key_tag, submit ? "submitted" : "withdrawn"));
        return hook_text(command, zs.zone.name);
    };
    P11Token token(context);
    return enforcer::finish_step(context.db, token, zs, now, hand);
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
    return enforcer::confirm_ds(context.db, zone, key_tag,
                                seen ? enforcer::DsConfirmation::Seen : enforcer::DsConfirmation::Gone, now);
}

Result<LostKeyReport> replace_lost_key(Context& context, std::string_view zone_name, uint16_t key_tag,
                                       const Clock& clock)
{
    TimePoint now = clock.now();
    enforcer::ZoneEntry zone = SIGNET_TRY(context.zone(zone_name));
    const enforcer::Policy& policy = *SIGNET_TRY(context.policy(zone.policy));
    P11Token token(context);
    auto replaced = SIGNET_TRY(enforcer::replace_lost_key(context.db, token, zone, key_tag, now));
    const KeyEntry& fresh = replaced.replacement;

    LostKeyReport report { replaced.lost, fresh, {} };
    auto hours = [](Duration d) { return format_duration(d); };
    if (fresh.zrrsig.state != RecordState::NotApplicable)
        report.gap.push_back(fmt::format(
            "resolvers that cached the DNSKEY RRset before the next signing do not know the new key's signatures: "
            "they fail the zone's answers until it expires, up to dnskey-ttl + zone-propagation-delay ({}) after "
            "the next signing",
            hours(policy.dnskey_ttl + policy.zone_propagation_delay)));
    if (fresh.krrsig.state != RecordState::NotApplicable && replaced.ds_at_parent)
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
    return enforcer::request_rollover(context.db, zone, policy, role,
                                      emergency ? enforcer::Urgency::Emergency : enforcer::Urgency::Planned, now);
}

} // namespace signet::app
