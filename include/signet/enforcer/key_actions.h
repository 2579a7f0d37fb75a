// What the operator asks of a zone's keys between steps, applied to the
// store with its history: the parent's confirmation of a DS, a rollover by
// hand, and the replacement of a key whose private half is lost. The zone
// and its policy are the caller's to find; app/enforce.cc does that for a
// state dir.
#pragma once

#include <cstdint>
#include <vector>

#include <signet/base/clock.h>
#include <signet/base/duration.h>
#include <signet/base/error.h>
#include <signet/enforcer/key_token.h>
#include <signet/enforcer/model.h>
#include <signet/enforcer/policy.h>
#include <signet/enforcer/zone_store.h>

namespace signet::enforcer {

// What the parent was seen to do with a DS.
enum class DsConfirmation { Seen, Gone };

// `signet key ds-seen` / `ds-gone`: the parent publishes the DS of the
// zone's KSK or CSK with `key_tag`, or no longer does. Of several keys with
// the tag, one that waits for this confirmation. Returns the key as stored.
Result<KeyEntry> confirm_ds(ZoneStore& store, const ZoneEntry& zone, uint16_t key_tag, DsConfirmation confirmation,
                            TimePoint now);

struct RolloverReport {
    std::vector<KeyEntry> keys; // the keys to be rolled
    Duration expected {}; // how long the rollover takes at the least
};

// Whether a rollover asked for by hand is a compromised key's.
enum class Urgency { Planned, Emergency };

// `signet key rollover`: the zone's current key(s) of `role` roll at the
// next step, whatever their lifetime; an emergency marks them compromised.
Result<RolloverReport> request_rollover(ZoneStore& store, const ZoneEntry& zone, const Policy& policy, KeyRole role,
                                        Urgency urgency, TimePoint now);

struct LostKeyReplacement {
    KeyEntry lost; // as stored: no longer signing, leaving
    KeyEntry replacement; // as stored: published and signing from the next signing on
    // The parent may hold the lost key's DS: the replacement's DS is asked
    // for at once, and the old one's removal.
    bool ds_at_parent = false;
};

// `signet key lost`: the private key of a key that signs is gone from the
// token, so the safe rollover, which keeps the old key signing until its
// successor is in every cache, cannot be done. A key of the same role and
// algorithm, made in `token` (recorded as an intent first), takes over at
// once: its records start rumoured. The lost key stops signing and leaves;
// a lost ZSK's DNSKEY stays while its signatures may be cached, as the key
// states allow. On error the token is as it was.
Result<LostKeyReplacement> replace_lost_key(ZoneStore& store, KeyToken& token, const ZoneEntry& zone,
                                            uint16_t key_tag, TimePoint now);

} // namespace signet::enforcer
