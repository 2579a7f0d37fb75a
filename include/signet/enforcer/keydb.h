// The enforcer's store: zones, their keys with the state of each key's
// records, and the history of what happened to them, in one SQLite file.
// The values it keeps are in model.h; the enforcer's orchestration reaches
// it through ZoneStore (zone_store.h).
// The schema is versioned with PRAGMA user_version and migrated forward when
// an older file is opened; a file from a newer Signet is refused.
//
// Tables (migration 1; migration 2 adds rollover requests and kept TTLs;
// migration 4 the published output's expiry and identity, and key_intent;
// migration 5 lets a key_intent keep an object until a purge time):
//   zone       one row per registered zone; `name` is unique, lower-case,
//              absolute, with its final dot
//   key        one row per key of a zone (ON DELETE CASCADE with its zone)
//   key_event  the history of a zone (ON DELETE CASCADE with its zone); an
//              event keeps its row when its key is removed (key_id = NULL)
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <signet/base/clock.h>
#include <signet/base/error.h>
#include <signet/enforcer/model.h>
#include <signet/enforcer/sqlite.h>
#include <signet/enforcer/zone_store.h>

namespace signet::enforcer {

// One connection to the store. Use it from one thread at a time; several
// KeyDb objects (in threads or processes) may use one file at once: readers
// see the last committed state and a writer waits up to 5 s for another.
class KeyDb final : public ZoneStore {
public:
    // The schema version this code writes (PRAGMA user_version).
    static int schema_version();

    // Opens the store, migrating an older schema in one transaction. Refuses
    // a newer schema, and a store that is missing, empty or has no schema:
    // only create() makes one.
    static Result<KeyDb> open(const std::filesystem::path& path);
    // Creates a new store for `signet init`; refuses when the file exists.
    static Result<KeyDb> create(const std::filesystem::path& path);

    const std::string& path() const { return db_.path(); }
    // For tests and tools that need a query KeyDb does not offer.
    sqlite::Db& db() { return db_; }

    // Runs `body` in one transaction (BEGIN IMMEDIATE ... COMMIT, so it waits
    // for any other writer first); when `body` fails, every change it made is
    // rolled back and its error returned. Calls may nest: an inner call is a
    // SAVEPOINT, so its failure undoes only its own changes and the outer
    // body decides what to do with the error.
    Result<void> transaction(const std::function<Result<void>()>& body) override;

    // Zones. Names are normalised (see normalise_zone_name) before they are
    // stored or looked up.
    Result<int64_t> add_zone(ZoneEntry zone); // Conflict when the name is taken
    Result<std::optional<ZoneEntry>> find_zone(std::string_view name);
    Result<std::vector<ZoneEntry>> list_zones(); // by name
    Result<void> update_zone(const ZoneEntry& zone); // by id; NotFound, or Conflict on a taken name
    Result<void> remove_zone(std::string_view name); // with its keys and events; NotFound

    // The journal of published versions, oldest first. Adding an entry
    // drops the oldest ones beyond `max_versions` or `max_bytes` (of the
    // zone's entries together).
    Result<void> add_journal_entry(const JournalEntry& entry, uint64_t max_versions, uint64_t max_bytes);
    Result<void> clear_journal(int64_t zone_id);
    Result<std::vector<JournalEntry>> journal_of(int64_t zone_id);

    // Keys.
    Result<int64_t> add_key(KeyEntry key) override; // NotFound when the zone is not there
    Result<std::vector<KeyEntry>> keys_of(int64_t zone_id) override; // by id (age)
    Result<void> update_key(const KeyEntry& key) override; // by id; NotFound
    Result<void> remove_key(int64_t key_id); // NotFound

    // Keys about to be made in the token: an intent is written (and
    // committed) before the token object exists, and goes when the key's
    // row is stored or the object destroyed. Whatever intent is left names
    // a token object of a run that never committed.
    Result<void> add_key_intent(std::string_view locator, int64_t zone_id, TimePoint now) override;
    Result<void> remove_key_intent(std::string_view locator) override;
    // Locators of intents with no key in use whose object may go at `now`:
    // objects no committed run knows, keys marked removed whose object was
    // not destroyed yet, and retained keys past their purge time.
    Result<std::vector<std::string>> uncommitted_keys(TimePoint now) override;
    // A token object to destroy at or after `purge_after`, written in the
    // transaction that removes its key (so that a run killed before the
    // object is destroyed leaves it named). The keys of a zone removed while
    // a parent may still hold their DS (`zone remove --force`) stay until
    // the purge delay is over, so that a store restored from a backup still
    // finds them; `note` says whose they were.
    Result<void> retain_key(std::string_view locator, int64_t zone_id, TimePoint now, TimePoint purge_after,
                            std::string_view note) override;
    struct RetainedKey {
        std::string locator;
        TimePoint purge_after;
        std::string note;
    };
    Result<std::vector<RetainedKey>> retained_keys(); // by purge time

    // History.
    Result<int64_t> add_event(KeyEvent event) override;
    Result<std::vector<KeyEvent>> events_of(int64_t zone_id); // by time, then in order of writing

private:
    explicit KeyDb(sqlite::Db db)
        : db_(std::move(db))
    {
    }
    Result<void> migrate();

    sqlite::Db db_;
    int depth_ = 0; // of nested transaction() calls
};

// TLSA bindings (migration 3, table tlsa_binding; the values are in
// model.h). Conflict when the zone has a binding for the same host, port
// and proto; NotFound when the zone is not there.
Result<int64_t> add_tlsa_binding(KeyDb& db, TlsaBindingEntry binding);
// By host, port, proto.
Result<std::vector<TlsaBindingEntry>> tlsa_bindings_of(KeyDb& db, int64_t zone_id);
Result<void> update_tlsa_binding(KeyDb& db, const TlsaBindingEntry& binding); // by id; NotFound, Conflict
Result<void> remove_tlsa_binding(KeyDb& db, int64_t binding_id); // NotFound

} // namespace signet::enforcer
