// What the enforcer's orchestration (zone_step.h, key_actions.h) needs of a
// store: a zone's keys, adding and updating them, the intents that name
// token objects before they exist, the history, and transactions. KeyDb
// (SQLite) is the store Signet runs on; a test may keep the same in memory,
// so that the orchestration is tried without a database file.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <signet/base/clock.h>
#include <signet/base/error.h>
#include <signet/enforcer/model.h>

namespace signet::enforcer {

class ZoneStore {
public:
    virtual ~ZoneStore() = default;

    // Runs `body` so that either all of its changes are kept or none: when
    // it fails, what it changed is undone and its error returned. Calls may
    // nest; an inner failure undoes only the inner body's changes.
    virtual Result<void> transaction(const std::function<Result<void>()>& body) = 0;

    // The zone's keys (removed ones too), oldest first.
    virtual Result<std::vector<KeyEntry>> keys_of(int64_t zone_id) = 0;
    // Returns the new key's id. NotFound when the zone is not there.
    virtual Result<int64_t> add_key(KeyEntry key) = 0;
    // By id; NotFound when there is no such key.
    virtual Result<void> update_key(const KeyEntry& key) = 0;

    // A token object about to be made: the intent is kept (outside any
    // transaction it is kept at once) before the object exists, and goes
    // when the key is stored or the object destroyed. Whatever intent is
    // left names an object of a run that never committed.
    virtual Result<void> add_key_intent(std::string_view locator, int64_t zone_id, TimePoint now) = 0;
    virtual Result<void> remove_key_intent(std::string_view locator) = 0;
    // Locators of intents whose object may be destroyed at `now`: objects
    // no committed run knows, removed keys whose object is still there, and
    // retained keys past their purge time.
    virtual Result<std::vector<std::string>> uncommitted_keys(TimePoint now) = 0;
    // Names a token object for destruction at or after `purge_after`, in
    // the transaction that removes its key; `note` says whose it was.
    virtual Result<void> retain_key(std::string_view locator, int64_t zone_id, TimePoint now, TimePoint purge_after,
                                    std::string_view note)
        = 0;

    // Appends to the zone's history; returns the event's id.
    virtual Result<int64_t> add_event(KeyEvent event) = 0;

protected:
    ZoneStore() = default;
    ZoneStore(const ZoneStore&) = default;
    ZoneStore& operator=(const ZoneStore&) = default;
};

} // namespace signet::enforcer
