#include <signet/enforcer/key_actions.h>

#include <algorithm>

#include <fmt/format.h>

#include <signet/base/process.h>
#include <signet/enforcer/keystate.h>
#include <signet/enforcer/zone_step.h>

namespace signet::enforcer {

Result<KeyEntry> confirm_ds(ZoneStore& store, const ZoneEntry& zone, uint16_t key_tag, DsConfirmation confirmation,
                            TimePoint now)
{
    const bool seen = confirmation == DsConfirmation::Seen;
    auto keys = SIGNET_TRY(store.keys_of(zone.id));
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
    auto confirmed = seen ? confirm_ds_seen(*found, now) : confirm_ds_gone(*found, now);
    if (!confirmed)
        return fail(confirmed.error().with_context(fmt::format("zone '{}'", zone.name)));
    SIGNET_TRY(store.transaction([&]() -> Result<void> {
        SIGNET_TRY(store.update_key(*found));
        SIGNET_TRY(store.add_event({ 0, zone.id, found->id, now, seen ? "ds-seen" : "ds-gone",
                                     fmt::format("the parent {} the DS of {}", seen ? "publishes" : "no longer publishes",
                                                 key_name(*found)) }));
        return {};
    }));
    return *found;
}

Result<RolloverReport> request_rollover(ZoneStore& store, const ZoneEntry& zone, const Policy& policy, KeyRole role,
                                        Urgency urgency, TimePoint now)
{
    const bool emergency = urgency == Urgency::Emergency;
    auto keys = SIGNET_TRY(store.keys_of(zone.id));
    RolloverReport report;
    for (auto& key : keys) {
        if (key.removed || key.goal != KeyGoal::Present || key.role != role)
            continue;
        key.rollover_requested = now;
        key.emergency = key.emergency || emergency;
        report.keys.push_back(key);
    }
    if (report.keys.empty())
        return fail(ErrorCode::NotFound,
                    fmt::format("zone '{}' has no {} in use to roll (its policy '{}' uses {})", zone.name,
                                key_role_to_text(role), policy.name, key_layout_to_text(policy.keys)));
    SIGNET_TRY(store.transaction([&]() -> Result<void> {
        for (const auto& key : report.keys) {
            SIGNET_TRY(store.update_key(key));
            SIGNET_TRY(store.add_event({ 0, zone.id, key.id, now, emergency ? "emergency" : "rollover",
                                         fmt::format("{} rollover of {} asked for", emergency ? "emergency" : "a",
                                                     key_name(key)) }));
        }
        return {};
    }));
    switch (role) {
    case KeyRole::KSK: report.expected = ksk_rollover_time(policy); break;
    case KeyRole::ZSK: report.expected = zsk_rollover_time(policy); break;
    case KeyRole::CSK: report.expected = csk_rollover_time(policy); break;
    }
    return report;
}

Result<LostKeyReplacement> replace_lost_key(ZoneStore& store, KeyToken& token, const ZoneEntry& zone,
                                            uint16_t key_tag, TimePoint now)
{
    auto keys = SIGNET_TRY(store.keys_of(zone.id));
    auto shown = [](const RecordStatus& s) {
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
    KeyRequest request { lost.role, lost.algorithm, lost.bits, "replaces a lost key" };
    SIGNET_TRY(token.open());
    std::string locator = SIGNET_TRY(token.new_locator());
    SIGNET_TRY(store.add_key_intent(locator, zone.id, now));
    KeyEntry fresh = SIGNET_TRY(make_key(token, zone, request, now, locator));

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
    lost.goal = KeyGoal::Absent;
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

    auto stored = store.transaction([&]() -> Result<void> {
        fresh.id = SIGNET_TRY(store.add_key(fresh));
        SIGNET_TRY(store.remove_key_intent(fresh.locator));
        SIGNET_TRY(store.update_key(lost));
        SIGNET_TRY(store.add_event({ 0, zone.id, lost.id, now, "lost",
                                     fmt::format("{} declared lost: it no longer signs", key_name(lost)) }));
        SIGNET_TRY(store.add_event({ 0, zone.id, fresh.id, now, "generate",
                                     fmt::format("{} generated: replaces lost {}, signs at once", key_name(fresh),
                                                 key_name(lost)) }));
        return {};
    });
    if (!stored) {
        (void)forget_key(store, token, fresh.locator);
        return fail(stored.error());
    }
    return LostKeyReplacement { lost, fresh, chained };
}

} // namespace signet::enforcer
