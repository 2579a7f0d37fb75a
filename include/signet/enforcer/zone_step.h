// One zone's step, around the pure advance() (keystate.h): the keys read
// from the store, the timing raised to the TTLs caches may still hold, the
// keys the step asks for made in the token (each recorded as an intent
// first) and the step taken again with them, what is stored afterwards, and
// after the commit the destruction of removed keys and the DS handed to the
// parent. The store and the token come in through ZoneStore and KeyToken,
// so none of this knows SQLite or PKCS#11; app/enforce.cc is the glue to a
// state dir (its configuration, token and hooks).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <signet/base/clock.h>
#include <signet/base/error.h>
#include <signet/enforcer/key_token.h>
#include <signet/enforcer/keystate.h>
#include <signet/enforcer/model.h>
#include <signet/enforcer/policy.h>
#include <signet/enforcer/zone_store.h>

namespace signet::enforcer {

// One zone's step, with (after make_keys) the keys it asked for in the token.
struct ZoneStep {
    ZoneEntry zone;
    bool signing = false; // as for advance()
    Policy policy; // as configured
    Policy timing; // the policy with its TTLs raised to what caches may still hold
    std::vector<KeyEntry> stored; // the keys as they were
    Step step;
    std::vector<size_t> generated; // keys of step.keys made in the token by this step
    std::vector<std::string> reasons; // why, for each of `generated`
    uint32_t published_zone_ttl = 0; // the largest TTL the signed zone carries
};

// The step for `zone` at `now` as its stored keys allow it, before any key
// it asks for is made. `policy` is the zone's policy as configured;
// `published_max_ttl` the largest TTL the signed zone will carry, when
// known. A zone going insecure keeps its keys as they are.
Result<ZoneStep> plan_step(ZoneStore& store, const ZoneEntry& zone, const Policy& policy, TimePoint now,
                           bool signing, std::optional<uint32_t> published_max_ttl = std::nullopt);

// Makes the keys a planned step asks for (taking those made ahead first,
// recording every other one as an intent before it is made) and steps again
// with them. On error the token is as it was.
Result<void> make_keys(ZoneStore& store, KeyToken& token, ZoneStep& step, TimePoint now);

// A new key for `request`, made in the token under `locator`, whose intent
// the caller has recorded first: goal present, every record its role has
// hidden (the others not applicable), DNSKEY flags and key tag set.
Result<KeyEntry> make_key(KeyToken& token, const ZoneEntry& zone, const KeyRequest& request, TimePoint now,
                          std::string_view locator);

// Writes the step's keys (the new ones added, their intents cleared, the
// changed ones updated), names the removed keys' token objects for
// destruction, and writes the history; call inside ZoneStore::transaction.
Result<void> store_step(ZoneStore& store, ZoneStep& step, TimePoint now);

// After a signing with the step: the TTLs just published, kept in `zone`
// while caches may still hold larger ones (the caller stores the zone).
void remember_published_ttls(ZoneEntry& zone, const ZoneStep& step, TimePoint now);

// What the parent is to be asked for a key's DS.
enum class ParentRequest { Submit, Retract };
// Hands a key's DS (and DNSKEY) to the parent through the policy's
// ds-submit or ds-retract command. Returns the command as the history
// names it, or an error whose text is the warning for the operator.
using HandToParent = std::function<Result<std::string>(const KeyEntry& key, ParentRequest request)>;

// After the store has committed the step: destroys the keys whose records
// have left every cache, and hands to the parent, through `hand`, each DS
// that is to be submitted or withdrawn and has a command in the policy
// (the key then stored as submitted or retracted). Returns warnings.
std::vector<std::string> finish_step(ZoneStore& store, KeyToken& token, ZoneStep& step, TimePoint now,
                                     const HandToParent& hand);

// Takes the step's new keys out of the token again (after a failure).
void discard_generated(ZoneStore& store, KeyToken& token, const ZoneStep& step);

// Destroys a key no committed run knows (or one marked for destruction)
// and clears its intent; an object already gone counts as destroyed. The
// error is the token's when it could not be destroyed (the intent stays,
// for the next run).
Result<void> forget_key(ZoneStore& store, KeyToken& token, std::string_view locator);

// Inside the transaction that removes `key`: names its token object for
// destruction, so that the object is destroyed even when the run is killed
// between the commit and forget_key.
Result<void> mark_for_destruction(ZoneStore& store, const KeyEntry& key, TimePoint now);

// Destroys the token objects that a run recorded as about to be made and
// never committed, and those marked for destruction whose time has come;
// nothing else in the token. Returns the locators destroyed.
Result<std::vector<std::string>> collect_unused_keys(ZoneStore& store, KeyToken& token, TimePoint now);

} // namespace signet::enforcer
