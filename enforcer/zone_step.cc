#include <signet/enforcer/zone_step.h>

#include <algorithm>

#include <fmt/format.h>

#include <signet/crypto/dnssec.h>

namespace signet::enforcer {

namespace {

// The larger of the policy's TTL and one that caches may still hold.
Duration kept_or(const KeptTtl& kept, Duration policy, TimePoint now)
{
    if (kept.ttl && (!kept.until || now < *kept.until))
        return std::max(policy, Duration(std::chrono::seconds(*kept.ttl)));
    return policy;
}

// After publishing `ttl`: a lower TTL than the kept one becomes safe to
// count on once the kept one has run out in every cache.
void remember(KeptTtl& kept, uint32_t ttl, TimePoint now)
{
    if (!kept.ttl || ttl >= *kept.ttl || (kept.until && now >= *kept.until)) {
        kept = { ttl, std::nullopt };
        return;
    }
    if (!kept.until)
        kept.until = now + std::chrono::seconds(*kept.ttl);
}

uint32_t seconds(Duration d) { return static_cast<uint32_t>(d.count()); }

} // namespace

Result<ZoneStep> plan_step(ZoneStore& store, const ZoneEntry& zone, const Policy& policy, TimePoint now,
                           bool signing, std::optional<uint32_t> published_max_ttl)
{
    ZoneStep out;
    out.zone = zone;
    out.signing = signing;
    out.policy = policy;
    out.timing = out.policy;
    out.timing.dnskey_ttl = kept_or(zone.dnskey_ttl, out.policy.dnskey_ttl, now);
    Duration zone_ttl = std::max(out.policy.max_zone_ttl, out.policy.dnskey_ttl);
    if (published_max_ttl)
        zone_ttl = std::max(zone_ttl, Duration(std::chrono::seconds(*published_max_ttl)));
    out.published_zone_ttl = seconds(zone_ttl);
    out.timing.max_zone_ttl = kept_or(zone.zone_ttl, zone_ttl, now);
    out.timing.parent_ds_ttl = kept_or(zone.ds_ttl, out.policy.parent_ds_ttl, now);
    out.stored = SIGNET_TRY(store.keys_of(zone.id));
    if (zone.unsign_started) {
        // Going insecure (`signet zone unsign`): no key is made and none
        // moves while the parent removes the DS; the keys go all at once
        // when the zone is published unsigned.
        out.step.keys = out.stored;
        return out;
    }
    out.step = advance(out.stored, out.timing, now, signing);
    return out;
}

Result<KeyEntry> make_key(KeyToken& token, const ZoneEntry& zone, const KeyRequest& request, TimePoint now,
                          std::string_view locator)
{
    std::string label = fmt::format("{} {}", zone.name, key_role_to_text(request.role));
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
    key.goal = KeyGoal::Present;
    // A KSK has no signatures over the zone's data, a ZSK none over the
    // DNSKEY RRset and no DS; a CSK has all four.
    const bool keyset = request.role != KeyRole::ZSK, zone_data = request.role != KeyRole::KSK;
    key.dnskey = { RecordState::Hidden, now };
    key.krrsig = { keyset ? RecordState::Hidden : RecordState::NotApplicable, now };
    key.zrrsig = { zone_data ? RecordState::Hidden : RecordState::NotApplicable, now };
    key.ds = { keyset ? RecordState::Hidden : RecordState::NotApplicable, now };
    key.created = now;
    return key;
}

Result<void> make_keys(ZoneStore& store, KeyToken& token, ZoneStep& zs, TimePoint now)
{
    std::vector<KeyEntry> keys = zs.stored;
    // New keys start hidden; the step after their generation sets them moving.
    for (int round = 0; round < 2 && !zs.step.to_generate.empty(); ++round) {
        SIGNET_TRY(token.open());
        for (const auto& request : zs.step.to_generate) {
            auto key = [&]() -> Result<KeyEntry> {
                if (auto made = token.take_premade(zs.zone.id, request))
                    return std::move(*made);
                std::string locator = SIGNET_TRY(token.new_locator());
                SIGNET_TRY(store.add_key_intent(locator, zs.zone.id, now));
                return make_key(token, zs.zone, request, now, locator);
            }();
            if (!key) {
                for (size_t index : zs.generated)
                    (void)forget_key(store, token, keys[index].locator);
                zs.generated.clear();
                return fail(key.error());
            }
            keys.push_back(std::move(*key));
            zs.generated.push_back(keys.size() - 1);
            zs.reasons.push_back(request.reason);
        }
        // The step starts again from the stored keys plus the new ones, so
        // that its transitions are reported against what was stored.
        zs.step = advance(keys, zs.timing, now, zs.signing);
    }
    return {};
}

Result<void> store_step(ZoneStore& store, ZoneStep& zs, TimePoint now)
{
    auto& keys = zs.step.keys;
    auto event = [&](std::optional<int64_t> key_id, std::string kind, std::string detail) -> Result<void> {
        SIGNET_TRY(store.add_event({ 0, zs.zone.id, key_id, now, std::move(kind), std::move(detail) }));
        return {};
    };
    for (size_t index : zs.generated) {
        keys[index].id = SIGNET_TRY(store.add_key(keys[index]));
        SIGNET_TRY(store.remove_key_intent(keys[index].locator));
    }
    for (size_t i = 0; i < zs.generated.size(); ++i) {
        const KeyEntry& key = keys[zs.generated[i]];
        SIGNET_TRY(event(key.id, "generate", fmt::format("{} generated: {}", key_name(key), zs.reasons[i])));
    }
    for (size_t i = 0; i < keys.size() && i < zs.stored.size(); ++i) {
        if (!(keys[i] == zs.stored[i]))
            SIGNET_TRY(store.update_key(keys[i]));
    }
    for (size_t index : zs.step.retired)
        SIGNET_TRY(event(keys[index].id, "retire", fmt::format("{} has a successor and will be retired", key_name(keys[index]))));
    for (const auto& t : zs.step.transitions)
        SIGNET_TRY(event(keys[t.key].id, std::string(record_to_text(t.record)),
                         fmt::format("{} {} {} -> {}", key_name(keys[t.key]), record_to_text(t.record),
                                     record_state_to_text(t.from), record_state_to_text(t.to))));
    for (size_t index : zs.step.removed) {
        SIGNET_TRY(mark_for_destruction(store, keys[index], now));
        SIGNET_TRY(event(keys[index].id, "remove",
                         fmt::format("{} has left every cache and is destroyed in the token", key_name(keys[index]))));
    }
    return {};
}

void remember_published_ttls(ZoneEntry& zone, const ZoneStep& zs, TimePoint now)
{
    remember(zone.dnskey_ttl, seconds(zs.policy.dnskey_ttl), now);
    remember(zone.zone_ttl, zs.published_zone_ttl, now);
    remember(zone.ds_ttl, seconds(zs.policy.parent_ds_ttl), now);
}

std::vector<std::string> finish_step(ZoneStore& store, KeyToken& token, ZoneStep& zs, TimePoint now,
                                     const HandToParent& hand)
{
    std::vector<std::string> warnings;
    if (!zs.step.removed.empty()) {
        if (auto opened = token.open()) {
            // Not there: a lost key (`signet key lost`) has nothing left to
            // destroy. What cannot be destroyed now stays marked for the
            // next run or `signet key gc`.
            for (size_t index : zs.step.removed) {
                if (auto gone = forget_key(store, token, zs.step.keys[index].locator); !gone)
                    warnings.push_back(gone.error().to_string());
            }
        } else {
            warnings.push_back(opened.error().to_string());
        }
    }
    // The parent: hand the records to the configured commands.
    for (auto& key : zs.step.keys) {
        bool submit = key.ds_at_parent == DsAtParent::Submit && !zs.policy.ds_submit_command.empty();
        bool retract = key.ds_at_parent == DsAtParent::Retract && !zs.policy.ds_retract_command.empty();
        if (!submit && !retract)
            continue;
        auto recipient = hand(key, submit ? ParentRequest::Submit : ParentRequest::Retract);
        if (!recipient) {
            warnings.push_back(recipient.error().to_string());
            continue;
        }
        key.ds_at_parent = submit ? DsAtParent::Submitted : DsAtParent::Retracted;
        auto stored = store.transaction([&]() -> Result<void> {
            SIGNET_TRY(store.update_key(key));
            SIGNET_TRY(store.add_event({ 0, zs.zone.id, key.id, now, submit ? "ds-submitted" : "ds-retracted",
                                         fmt::format("{} given to `{}`", key_name(key), *recipient) }));
            return {};
        });
        if (!stored)
            warnings.push_back(stored.error().to_string());
    }
    return warnings;
}

void discard_generated(ZoneStore& store, KeyToken& token, const ZoneStep& zs)
{
    if (!token.open())
        return;
    for (size_t index : zs.generated)
        (void)forget_key(store, token, zs.step.keys[index].locator);
}

Result<void> forget_key(ZoneStore& store, KeyToken& token, std::string_view locator)
{
    auto gone = token.destroy(locator);
    if (!gone && gone.error().code() != ErrorCode::NotFound)
        return gone;
    (void)store.remove_key_intent(locator);
    return {};
}

Result<void> mark_for_destruction(ZoneStore& store, const KeyEntry& key, TimePoint now)
{
    return store.retain_key(key.locator, key.zone_id, now, now, fmt::format("{}, removed", key_name(key)));
}

Result<std::vector<std::string>> collect_unused_keys(ZoneStore& store, KeyToken& token, TimePoint now)
{
    auto locators = SIGNET_TRY(store.uncommitted_keys(now));
    if (locators.empty())
        return locators;
    SIGNET_TRY(token.open());
    std::vector<std::string> destroyed;
    for (const auto& locator : locators) {
        auto gone = token.destroy(locator);
        // Not there: the run died before the object was made, or the
        // object was destroyed before the intent could be cleared.
        if (gone || gone.error().code() == ErrorCode::NotFound) {
            SIGNET_TRY(store.remove_key_intent(locator));
            if (gone)
                destroyed.push_back(locator);
        }
    }
    return destroyed;
}

} // namespace signet::enforcer
