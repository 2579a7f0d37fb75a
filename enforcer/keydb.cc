#include <signet/enforcer/keydb.h>

#include <limits>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

#include <fmt/format.h>
#include <sqlite3.h>

#include <signet/dns/rdata.h>

namespace signet::enforcer {

namespace {

// Migration N (counting from 1) takes a store from user_version N-1 to N.
// A migration that has been released never changes: fix or extend the
// schema by adding the next one. Column names are the contract with
// anything else that reads the file (sqlite3 on the command line, backups).
constexpr std::array<std::string_view, 8> migrations {
    R"sql(
CREATE TABLE zone (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,            -- "example.nl.": absolute, lower-case
    input_path TEXT NOT NULL,
    output_path TEXT NOT NULL,
    policy TEXT NOT NULL,
    serial INTEGER CHECK (serial BETWEEN 0 AND 4294967295), -- last published SOA serial
    signed_at INTEGER,                    -- times are Unix seconds
    nsec3_salt TEXT,                      -- hex; '' is the empty salt
    nsec3_salt_created INTEGER,
    created INTEGER NOT NULL
) STRICT;

CREATE TABLE key (
    id INTEGER PRIMARY KEY,
    zone_id INTEGER NOT NULL REFERENCES zone (id) ON DELETE CASCADE,
    locator TEXT NOT NULL,                -- hex CKA_ID in the token
    algorithm INTEGER NOT NULL CHECK (algorithm BETWEEN 0 AND 255),
    bits INTEGER NOT NULL CHECK (bits >= 0),
    role TEXT NOT NULL CHECK (role IN ('ksk', 'zsk', 'csk')),
    key_tag INTEGER NOT NULL CHECK (key_tag BETWEEN 0 AND 65535),
    flags INTEGER NOT NULL CHECK (flags BETWEEN 0 AND 65535),
    dnskey_rdata BLOB NOT NULL,
    goal TEXT NOT NULL CHECK (goal IN ('present', 'absent')),
    ds_state TEXT NOT NULL CHECK (ds_state IN ('na', 'hidden', 'rumoured', 'omnipresent', 'unretentive')),
    ds_since INTEGER NOT NULL,
    dnskey_state TEXT NOT NULL CHECK (dnskey_state IN ('na', 'hidden', 'rumoured', 'omnipresent', 'unretentive')),
    dnskey_since INTEGER NOT NULL,
    krrsig_state TEXT NOT NULL CHECK (krrsig_state IN ('na', 'hidden', 'rumoured', 'omnipresent', 'unretentive')),
    krrsig_since INTEGER NOT NULL,
    zrrsig_state TEXT NOT NULL CHECK (zrrsig_state IN ('na', 'hidden', 'rumoured', 'omnipresent', 'unretentive')),
    zrrsig_since INTEGER NOT NULL,
    ds_at_parent TEXT NOT NULL
        CHECK (ds_at_parent IN ('unsubmitted', 'submit', 'submitted', 'seen', 'retract', 'retracted')),
    created INTEGER NOT NULL,
    published INTEGER,
    active INTEGER,
    retired INTEGER,
    removed INTEGER,
    UNIQUE (zone_id, locator)
) STRICT;

CREATE TABLE key_event (
    id INTEGER PRIMARY KEY,
    zone_id INTEGER NOT NULL REFERENCES zone (id) ON DELETE CASCADE,
    key_id INTEGER REFERENCES key (id) ON DELETE SET NULL,
    time INTEGER NOT NULL,
    event TEXT NOT NULL,
    detail TEXT NOT NULL
) STRICT;

CREATE INDEX key_event_by_zone ON key_event (zone_id, time);
CREATE INDEX key_event_by_key ON key_event (key_id);
)sql",
    // 2: what the enforcer needs for rollovers: a rollover asked for by
    // hand, and the largest TTLs that caches may still hold.
    R"sql(
ALTER TABLE key ADD COLUMN rollover_requested INTEGER;
ALTER TABLE key ADD COLUMN emergency INTEGER NOT NULL DEFAULT 0 CHECK (emergency IN (0, 1));
ALTER TABLE zone ADD COLUMN dnskey_ttl_high INTEGER;
ALTER TABLE zone ADD COLUMN dnskey_ttl_high_until INTEGER;
ALTER TABLE zone ADD COLUMN zone_ttl_high INTEGER;
ALTER TABLE zone ADD COLUMN zone_ttl_high_until INTEGER;
ALTER TABLE zone ADD COLUMN ds_ttl_high INTEGER;
ALTER TABLE zone ADD COLUMN ds_ttl_high_until INTEGER;
)sql",
    // 3: TLSA bindings (tlsa module): the certificate files a zone's TLSA
    // records are derived from at every signing, and what was published.
    R"sql(
CREATE TABLE tlsa_binding (
    id INTEGER PRIMARY KEY,
    zone_id INTEGER NOT NULL REFERENCES zone (id) ON DELETE CASCADE,
    host TEXT NOT NULL,                   -- "mail.example.nl.": absolute, lower-case
    port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    proto TEXT NOT NULL CHECK (proto IN ('tcp', 'udp', 'sctp')),
    cert_path TEXT NOT NULL,
    chain_path TEXT,
    records TEXT NOT NULL,                -- "3 1 1,2 1 1"
    next_cert_path TEXT,                  -- the certificate the service changes to next
    next_chain_path TEXT,
    ttl INTEGER NOT NULL CHECK (ttl BETWEEN 0 AND 2147483647),
    published TEXT NOT NULL DEFAULT '',   -- lines "RDATA-HEX SINCE": in the last signed output since SINCE
    pending TEXT NOT NULL DEFAULT '',     -- the same, for the signing that started at pending_at
    pending_at INTEGER,
    created INTEGER NOT NULL,
    UNIQUE (zone_id, host, port, proto)
) STRICT;
)sql",
    // 4: state that must not silently vanish: the earliest signature
    // expiration of the published output, which file that output is (so an
    // interrupted publication can be told from a committed one), and keys
    // about to be made in the token (so that objects of a run that never
    // committed can be found and destroyed, and nobody else's).
    R"sql(
ALTER TABLE zone ADD COLUMN expires INTEGER;
ALTER TABLE zone ADD COLUMN output_id TEXT;
ALTER TABLE zone ADD COLUMN unsign_started INTEGER;  -- `signet zone unsign`: going insecure since
ALTER TABLE zone ADD COLUMN insecure_since INTEGER;  -- the unsigned zone is published since
CREATE TABLE key_intent (
    locator TEXT PRIMARY KEY,             -- hex CKA_ID the token object gets
    zone_id INTEGER NOT NULL,
    created INTEGER NOT NULL
) STRICT;
)sql",
    // 5: keys of a zone removed with --force stay in the token until their
    // purge time (NULL: an intent of a run, collected at once).
    R"sql(
ALTER TABLE key_intent ADD COLUMN purge_after INTEGER;
ALTER TABLE key_intent ADD COLUMN note TEXT NOT NULL DEFAULT '';
)sql",
    // 6: the journal of published versions: what each signing changed
    // (dns::ZoneSnapshot of the records removed and added), for IXFR and
    // `signet zone diff`; written in the signing's own transaction.
    R"sql(
CREATE TABLE journal (
    zone_id INTEGER NOT NULL REFERENCES zone (id) ON DELETE CASCADE,
    serial_from INTEGER NOT NULL CHECK (serial_from BETWEEN 0 AND 4294967295),
    serial_to INTEGER NOT NULL CHECK (serial_to BETWEEN 0 AND 4294967295),
    time INTEGER NOT NULL,
    removed BLOB NOT NULL,
    added BLOB NOT NULL,
    seq INTEGER PRIMARY KEY                 -- the order versions were published in
) STRICT;
CREATE INDEX journal_zone ON journal (zone_id, seq);
)sql",
    // 7: the remotes ([remote.NAME] in signet.toml) a zone may be
    // transferred to, for signetd's DNS service.
    R"sql(
ALTER TABLE zone ADD COLUMN allow_transfer TEXT NOT NULL DEFAULT '';  -- remote names, comma-separated
)sql",
    // 8: the remotes signetd sends a NOTIFY (RFC 1996) when the zone has a
    // new version.
    R"sql(
ALTER TABLE zone ADD COLUMN notify TEXT NOT NULL DEFAULT '';  -- remote names, comma-separated
)sql",
};

const std::string& path_string(const std::filesystem::path& path) { return path.native(); }

// Zone columns in the order of the SELECTs and of the parameters ?1..?21.
constexpr std::string_view zone_columns
    = "name, input_path, output_path, policy, serial, signed_at, nsec3_salt, nsec3_salt_created, created, "
      "dnskey_ttl_high, dnskey_ttl_high_until, zone_ttl_high, zone_ttl_high_until, ds_ttl_high, ds_ttl_high_until, "
      "expires, output_id, unsign_started, insecure_since, allow_transfer, notify";

std::string join_names(const std::vector<std::string>& names)
{
    std::string out;
    for (const auto& name : names)
        out += (out.empty() ? "" : ",") + name;
    return out;
}

std::vector<std::string> split_names(std::string_view text)
{
    std::vector<std::string> out;
    while (!text.empty()) {
        size_t comma = text.find(',');
        if (comma != 0)
            out.emplace_back(text.substr(0, comma));
        if (comma == std::string_view::npos)
            break;
        text.remove_prefix(comma + 1);
    }
    return out;
}

void bind_zone(sqlite::Statement& statement, const ZoneEntry& zone)
{
    statement.bind_text(1, zone.name)
        .bind_text(2, path_string(zone.input))
        .bind_text(3, path_string(zone.output))
        .bind_text(4, zone.policy)
        .bind_optional_int(5, zone.serial)
        .bind_optional_time(6, zone.signed_at)
        .bind_optional_text(7, zone.nsec3_salt)
        .bind_optional_time(8, zone.nsec3_salt_created)
        .bind_time(9, zone.created);
    int index = 10;
    for (const KeptTtl* kept : { &zone.dnskey_ttl, &zone.zone_ttl, &zone.ds_ttl }) {
        statement.bind_optional_int(index, kept->ttl).bind_optional_time(index + 1, kept->until);
        index += 2;
    }
    statement.bind_optional_time(16, zone.expires)
        .bind_text(17, zone.output_id)
        .bind_optional_time(18, zone.unsign_started)
        .bind_optional_time(19, zone.insecure_since)
        .bind_text(20, join_names(zone.allow_transfer))
        .bind_text(21, join_names(zone.notify));
}

// A row of "SELECT id, <zone_columns>".
ZoneEntry read_zone(const sqlite::Statement& row)
{
    ZoneEntry zone;
    zone.id = row.column_int(0);
    zone.name = row.column_text(1);
    zone.input = row.column_text(2);
    zone.output = row.column_text(3);
    zone.policy = row.column_text(4);
    if (auto serial = row.column_optional_int(5))
        zone.serial = static_cast<uint32_t>(*serial);
    zone.signed_at = row.column_optional_time(6);
    zone.nsec3_salt = row.column_optional_text(7);
    zone.nsec3_salt_created = row.column_optional_time(8);
    zone.created = row.column_time(9);
    int column = 10;
    for (KeptTtl* kept : { &zone.dnskey_ttl, &zone.zone_ttl, &zone.ds_ttl }) {
        if (auto ttl = row.column_optional_int(column))
            kept->ttl = static_cast<uint32_t>(*ttl);
        kept->until = row.column_optional_time(column + 1);
        column += 2;
    }
    zone.expires = row.column_optional_time(16);
    zone.output_id = row.column_optional_text(17).value_or("");
    zone.unsign_started = row.column_optional_time(18);
    zone.insecure_since = row.column_optional_time(19);
    zone.allow_transfer = split_names(row.column_optional_text(20).value_or(""));
    zone.notify = split_names(row.column_optional_text(21).value_or(""));
    return zone;
}

// Key columns in the order of the SELECTs and of the parameters ?1..?25.
constexpr std::string_view key_columns
    = "zone_id, locator, algorithm, bits, role, key_tag, flags, dnskey_rdata, goal, "
      "ds_state, ds_since, dnskey_state, dnskey_since, krrsig_state, krrsig_since, zrrsig_state, zrrsig_since, "
      "ds_at_parent, created, published, active, retired, removed, rollover_requested, emergency";

void bind_key(sqlite::Statement& statement, const KeyEntry& key)
{
    statement.bind_int(1, key.zone_id)
        .bind_text(2, key.locator)
        .bind_int(3, static_cast<int64_t>(key.algorithm))
        .bind_int(4, static_cast<int64_t>(key.bits))
        .bind_text(5, key_role_to_text(key.role))
        .bind_int(6, static_cast<int64_t>(key.key_tag))
        .bind_int(7, static_cast<int64_t>(key.flags))
        .bind_blob(8, key.dnskey_rdata)
        .bind_text(9, key_goal_to_text(key.goal));
    int index = 10;
    for (const RecordStatus* status : { &key.ds, &key.dnskey, &key.krrsig, &key.zrrsig }) {
        statement.bind_text(index, record_state_to_text(status->state)).bind_time(index + 1, status->since);
        index += 2;
    }
    statement.bind_text(18, ds_at_parent_to_text(key.ds_at_parent))
        .bind_time(19, key.created)
        .bind_optional_time(20, key.published)
        .bind_optional_time(21, key.active)
        .bind_optional_time(22, key.retired)
        .bind_optional_time(23, key.removed)
        .bind_optional_time(24, key.rollover_requested)
        .bind_int(25, key.emergency ? 1 : 0);
}

// Reads the text of an enum column; the CHECK constraints keep other text
// out, but a file edited by hand may still hold some.
template <typename E>
Result<E> read_enum(const sqlite::Statement& row, int column, std::optional<E> (*from_text)(std::string_view),
                    std::string_view what, const std::string& path, int64_t key_id)
{
    std::string text = row.column_text(column);
    if (auto value = from_text(text))
        return *value;
    return fail(ErrorCode::Database, fmt::format("{}: key id {}: bad {} '{}'", path, key_id, what, text));
}

// A row of "SELECT id, <key_columns>".
Result<KeyEntry> read_key(const sqlite::Statement& row, const std::string& path)
{
    KeyEntry key;
    key.id = row.column_int(0);
    key.zone_id = row.column_int(1);
    key.locator = row.column_text(2);
    key.algorithm = static_cast<crypto::Algorithm>(row.column_int(3));
    key.bits = static_cast<unsigned>(row.column_int(4));
    key.role = SIGNET_TRY(read_enum(row, 5, key_role_from_text, "role", path, key.id));
    key.key_tag = static_cast<uint16_t>(row.column_int(6));
    key.flags = static_cast<uint16_t>(row.column_int(7));
    key.dnskey_rdata = row.column_blob(8);
    key.goal = SIGNET_TRY(read_enum(row, 9, key_goal_from_text, "goal", path, key.id));
    int column = 10;
    for (RecordStatus* status : { &key.ds, &key.dnskey, &key.krrsig, &key.zrrsig }) {
        status->state = SIGNET_TRY(read_enum(row, column, record_state_from_text, "record state", path, key.id));
        status->since = row.column_time(column + 1);
        column += 2;
    }
    key.ds_at_parent = SIGNET_TRY(read_enum(row, 18, ds_at_parent_from_text, "ds_at_parent", path, key.id));
    key.created = row.column_time(19);
    key.published = row.column_optional_time(20);
    key.active = row.column_optional_time(21);
    key.retired = row.column_optional_time(22);
    key.removed = row.column_optional_time(23);
    key.rollover_requested = row.column_optional_time(24);
    key.emergency = row.column_int(25) != 0;
    return key;
}

Error not_found(std::string message) { return Error(ErrorCode::NotFound, std::move(message)); }

} // namespace

int KeyDb::schema_version() { return static_cast<int>(migrations.size()); }

Result<KeyDb> KeyDb::open(const std::filesystem::path& path)
{
    // Only `signet init` makes a store. A store that is missing or empty
    // here was lost (a deleted file, a restore gone wrong); making a new one
    // would orphan every key in the token and sign nothing, with exit 0.
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        int error = errno;
        if (error == ENOENT)
            return fail(ErrorCode::Database,
                        fmt::format("{}: the key store is missing; restore it from a backup (it holds every zone's "
                                    "keys and their states); only `signet init` makes a new one",
                                    path.string()));
        return fail(ErrorCode::Database, fmt::format("{}: {}", path.string(), std::strerror(error)));
    }
    if (!S_ISREG(info.st_mode))
        return fail(ErrorCode::Database, fmt::format("{}: the key store is not a regular file", path.string()));
    if (info.st_size == 0)
        return fail(ErrorCode::Database,
                    fmt::format("{}: the key store is empty (0 bytes); restore it from a backup; only `signet init` "
                                "makes a new one",
                                path.string()));
    KeyDb store(SIGNET_TRY(sqlite::Db::open(path)));
    int64_t version = SIGNET_TRY(store.db_.query_int("PRAGMA user_version"));
    if (version == 0)
        return fail(ErrorCode::Database,
                    fmt::format("{}: not a Signet key store (no schema); restore the store from a backup", path.string()));
    SIGNET_TRY(store.migrate());
    return store;
}

Result<KeyDb> KeyDb::create(const std::filesystem::path& path)
{
    // O_EXCL: two `signet init` at once cannot both win.
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        int error = errno;
        if (error == EEXIST)
            return fail(ErrorCode::Conflict, fmt::format("{}: exists already; not overwriting it", path.string()));
        return fail(ErrorCode::Io, fmt::format("{}: creating: {}", path.string(), std::strerror(error)));
    }
    ::close(fd);
    auto store = [&]() -> Result<KeyDb> {
        KeyDb made(SIGNET_TRY(sqlite::Db::open(path)));
        SIGNET_TRY(made.migrate());
        return made;
    }();
    if (!store) {
        std::error_code ignored;
        for (const char* suffix : { "", "-wal", "-shm" })
            std::filesystem::remove(path.string() + suffix, ignored);
    }
    return store;
}

Result<void> KeyDb::migrate()
{
    const int64_t latest = schema_version();
    auto check = [&](int64_t version) -> Result<void> {
        if (version > latest)
            return fail(ErrorCode::Database,
                        fmt::format("{}: the store has schema version {}, newer than this Signet knows ({}); "
                                    "use a newer Signet or restore a backup",
                                    path(), version, latest));
        if (version < 0)
            return fail(ErrorCode::Database, fmt::format("{}: bad schema version {}", path(), version));
        return {};
    };
    int64_t version = SIGNET_TRY(db_.query_int("PRAGMA user_version"));
    SIGNET_TRY(check(version));
    if (version == latest)
        return {};
    return transaction([&]() -> Result<void> {
        // Again under the write lock: another process may have migrated.
        int64_t from = SIGNET_TRY(db_.query_int("PRAGMA user_version"));
        SIGNET_TRY(check(from));
        for (int64_t next = from + 1; next <= latest; ++next)
            SIGNET_TRY(db_.exec(migrations[static_cast<size_t>(next - 1)],
                                fmt::format("migrating the store to schema version {}", next)));
        return db_.exec(fmt::format("PRAGMA user_version = {}", latest));
    });
}

Result<void> KeyDb::transaction(const std::function<Result<void>()>& body)
{
    const bool outer = depth_ == 0;
    const std::string savepoint = fmt::format("signet_{}", depth_);
    SIGNET_TRY(db_.exec(outer ? std::string("BEGIN IMMEDIATE") : "SAVEPOINT " + savepoint));
    auto undo = [&] {
        // SQLite may have rolled back the whole transaction itself (a full
        // disk, for one); then there is nothing left to undo here.
        if (!db_.in_transaction())
            return;
        if (outer)
            static_cast<void>(db_.exec("ROLLBACK"));
        else
            static_cast<void>(db_.exec(fmt::format("ROLLBACK TO {0}; RELEASE {0}", savepoint)));
    };
    ++depth_;
    Result<void> result;
    try {
        result = body();
    } catch (...) {
        --depth_;
        undo();
        throw;
    }
    --depth_;
    if (result)
        result = db_.exec(outer ? std::string("COMMIT") : "RELEASE " + savepoint);
    if (!result)
        undo();
    return result;
}

Result<int64_t> KeyDb::add_zone(ZoneEntry zone)
{
    zone.name = SIGNET_TRY(normalise_zone_name(zone.name));
    auto insert = SIGNET_TRY(
        db_.prepare(fmt::format("INSERT INTO zone ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
                                "?18, ?19, ?20, ?21)", zone_columns)));
    bind_zone(insert, zone);
    auto done = insert.run();
    if (!done) {
        if (insert.last_code() == SQLITE_CONSTRAINT_UNIQUE)
            return fail(ErrorCode::Conflict, fmt::format("zone {} exists already", zone.name));
        return fail(done.error());
    }
    return db_.last_insert_id();
}

Result<std::optional<ZoneEntry>> KeyDb::find_zone(std::string_view name)
{
    std::string normal = SIGNET_TRY(normalise_zone_name(name));
    auto select = SIGNET_TRY(db_.prepare(fmt::format("SELECT id, {} FROM zone WHERE name = ?1", zone_columns)));
    select.bind_text(1, normal);
    if (!SIGNET_TRY(select.step()))
        return std::optional<ZoneEntry>();
    return std::optional<ZoneEntry>(read_zone(select));
}

Result<std::vector<ZoneEntry>> KeyDb::list_zones()
{
    auto select = SIGNET_TRY(db_.prepare(fmt::format("SELECT id, {} FROM zone ORDER BY name", zone_columns)));
    std::vector<ZoneEntry> zones;
    while (SIGNET_TRY(select.step()))
        zones.push_back(read_zone(select));
    return zones;
}

Result<void> KeyDb::add_key_intent(std::string_view locator, int64_t zone_id, TimePoint now)
{
    auto insert = SIGNET_TRY(db_.prepare("INSERT INTO key_intent (locator, zone_id, created) VALUES (?1, ?2, ?3)"));
    insert.bind_text(1, locator).bind_int(2, zone_id).bind_time(3, now);
    return insert.run();
}

Result<void> KeyDb::remove_key_intent(std::string_view locator)
{
    auto remove = SIGNET_TRY(db_.prepare("DELETE FROM key_intent WHERE locator = ?1"));
    remove.bind_text(1, locator);
    return remove.run();
}

Result<std::vector<std::string>> KeyDb::uncommitted_keys(TimePoint now)
{
    auto select = SIGNET_TRY(db_.prepare("SELECT locator FROM key_intent WHERE locator NOT IN "
                                         "(SELECT locator FROM key WHERE removed IS NULL) "
                                         "AND (purge_after IS NULL OR purge_after <= ?1) ORDER BY created, locator"));
    select.bind_time(1, now);
    std::vector<std::string> out;
    while (SIGNET_TRY(select.step()))
        out.push_back(select.column_text(0));
    return out;
}

Result<void> KeyDb::retain_key(std::string_view locator, int64_t zone_id, TimePoint now, TimePoint purge_after,
                               std::string_view note)
{
    auto insert = SIGNET_TRY(db_.prepare("INSERT OR REPLACE INTO key_intent (locator, zone_id, created, purge_after, "
                                         "note) VALUES (?1, ?2, ?3, ?4, ?5)"));
    insert.bind_text(1, locator).bind_int(2, zone_id).bind_time(3, now).bind_time(4, purge_after).bind_text(5, note);
    return insert.run();
}

Result<std::vector<KeyDb::RetainedKey>> KeyDb::retained_keys()
{
    auto select = SIGNET_TRY(db_.prepare(
        "SELECT locator, purge_after, note FROM key_intent WHERE purge_after IS NOT NULL ORDER BY purge_after, locator"));
    std::vector<RetainedKey> out;
    while (SIGNET_TRY(select.step()))
        out.push_back({ select.column_text(0), select.column_time(1), select.column_text(2) });
    return out;
}

Result<void> KeyDb::update_zone(const ZoneEntry& zone)
{
    ZoneEntry normal = zone;
    normal.name = SIGNET_TRY(normalise_zone_name(zone.name));
    auto update = SIGNET_TRY(db_.prepare(
        "UPDATE zone SET name = ?1, input_path = ?2, output_path = ?3, policy = ?4, serial = ?5, signed_at = ?6, "
        "nsec3_salt = ?7, nsec3_salt_created = ?8, created = ?9, dnskey_ttl_high = ?10, dnskey_ttl_high_until = ?11, "
        "zone_ttl_high = ?12, zone_ttl_high_until = ?13, ds_ttl_high = ?14, ds_ttl_high_until = ?15, expires = ?16, "
        "output_id = ?17, unsign_started = ?18, insecure_since = ?19, allow_transfer = ?20, notify = ?21 "
        "WHERE id = ?22"));
    bind_zone(update, normal);
    update.bind_int(22, zone.id);
    auto done = update.run();
    if (!done) {
        if (update.last_code() == SQLITE_CONSTRAINT_UNIQUE)
            return fail(ErrorCode::Conflict, fmt::format("zone {} exists already", normal.name));
        return fail(done.error());
    }
    if (db_.changes() == 0)
        return fail(not_found(fmt::format("zone {} (id {}) is not registered", normal.name, zone.id)));
    return {};
}

Result<void> KeyDb::remove_zone(std::string_view name)
{
    std::string normal = SIGNET_TRY(normalise_zone_name(name));
    auto remove = SIGNET_TRY(db_.prepare("DELETE FROM zone WHERE name = ?1"));
    remove.bind_text(1, normal);
    SIGNET_TRY(remove.run());
    if (db_.changes() == 0)
        return fail(not_found(fmt::format("zone {} is not registered", normal)));
    return {};
}

Result<int64_t> KeyDb::add_key(KeyEntry key)
{
    auto insert = SIGNET_TRY(db_.prepare(fmt::format(
        "INSERT INTO key ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
        "?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)",
        key_columns)));
    bind_key(insert, key);
    auto done = insert.run();
    if (!done) {
        if (insert.last_code() == SQLITE_CONSTRAINT_FOREIGNKEY)
            return fail(not_found(fmt::format("zone id {} is not registered", key.zone_id)));
        if (insert.last_code() == SQLITE_CONSTRAINT_UNIQUE)
            return fail(ErrorCode::Conflict,
                        fmt::format("key {} is a key of zone id {} already", key.locator, key.zone_id));
        return fail(done.error());
    }
    return db_.last_insert_id();
}

Result<std::vector<KeyEntry>> KeyDb::keys_of(int64_t zone_id)
{
    auto select = SIGNET_TRY(
        db_.prepare(fmt::format("SELECT id, {} FROM key WHERE zone_id = ?1 ORDER BY id", key_columns)));
    select.bind_int(1, zone_id);
    std::vector<KeyEntry> keys;
    while (SIGNET_TRY(select.step()))
        keys.push_back(SIGNET_TRY(read_key(select, path())));
    return keys;
}

Result<void> KeyDb::update_key(const KeyEntry& key)
{
    auto update = SIGNET_TRY(db_.prepare(
        "UPDATE key SET zone_id = ?1, locator = ?2, algorithm = ?3, bits = ?4, role = ?5, key_tag = ?6, flags = ?7, "
        "dnskey_rdata = ?8, goal = ?9, ds_state = ?10, ds_since = ?11, dnskey_state = ?12, dnskey_since = ?13, "
        "krrsig_state = ?14, krrsig_since = ?15, zrrsig_state = ?16, zrrsig_since = ?17, ds_at_parent = ?18, "
        "created = ?19, published = ?20, active = ?21, retired = ?22, removed = ?23, rollover_requested = ?24, "
        "emergency = ?25 WHERE id = ?26"));
    bind_key(update, key);
    update.bind_int(26, key.id);
    auto done = update.run();
    if (!done) {
        if (update.last_code() == SQLITE_CONSTRAINT_FOREIGNKEY)
            return fail(not_found(fmt::format("zone id {} is not registered", key.zone_id)));
        if (update.last_code() == SQLITE_CONSTRAINT_UNIQUE)
            return fail(ErrorCode::Conflict,
                        fmt::format("key {} is a key of zone id {} already", key.locator, key.zone_id));
        return fail(done.error());
    }
    if (db_.changes() == 0)
        return fail(not_found(fmt::format("key id {} is not in the store", key.id)));
    return {};
}

Result<void> KeyDb::remove_key(int64_t key_id)
{
    auto remove = SIGNET_TRY(db_.prepare("DELETE FROM key WHERE id = ?1"));
    remove.bind_int(1, key_id);
    SIGNET_TRY(remove.run());
    if (db_.changes() == 0)
        return fail(not_found(fmt::format("key id {} is not in the store", key_id)));
    return {};
}

Result<int64_t> KeyDb::add_event(KeyEvent event)
{
    auto insert = SIGNET_TRY(
        db_.prepare("INSERT INTO key_event (zone_id, key_id, time, event, detail) VALUES (?1, ?2, ?3, ?4, ?5)"));
    insert.bind_int(1, event.zone_id)
        .bind_optional_int(2, event.key_id)
        .bind_time(3, event.time)
        .bind_text(4, event.event)
        .bind_text(5, event.detail);
    auto done = insert.run();
    if (!done) {
        if (insert.last_code() == SQLITE_CONSTRAINT_FOREIGNKEY)
            return fail(not_found(fmt::format("event '{}': zone id {} or key id {} is not in the store", event.event,
                                              event.zone_id, event.key_id.value_or(0))));
        return fail(done.error());
    }
    return db_.last_insert_id();
}

Result<std::vector<KeyEvent>> KeyDb::events_of(int64_t zone_id)
{
    auto select = SIGNET_TRY(db_.prepare(
        "SELECT id, zone_id, key_id, time, event, detail FROM key_event WHERE zone_id = ?1 ORDER BY time, id"));
    select.bind_int(1, zone_id);
    std::vector<KeyEvent> events;
    while (SIGNET_TRY(select.step())) {
        KeyEvent event;
        event.id = select.column_int(0);
        event.zone_id = select.column_int(1);
        event.key_id = select.column_optional_int(2);
        event.time = select.column_time(3);
        event.event = select.column_text(4);
        event.detail = select.column_text(5);
        events.push_back(std::move(event));
    }
    return events;
}

// ---------------------------------------------------------------------------
// The journal (migration 6).

Result<void> KeyDb::add_journal_entry(const JournalEntry& entry, uint64_t max_versions, uint64_t max_bytes)
{
    auto insert = SIGNET_TRY(db_.prepare(
        "INSERT INTO journal (zone_id, serial_from, serial_to, time, removed, added) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    insert.bind_int(1, entry.zone_id)
        .bind_int(2, entry.serial_from)
        .bind_int(3, entry.serial_to)
        .bind_time(4, entry.time)
        .bind_blob(5, entry.removed)
        .bind_blob(6, entry.added);
    SIGNET_TRY(insert.run());
    // The newest versions that fit both bounds stay.
    auto sizes = SIGNET_TRY(db_.prepare(
        "SELECT seq, length(removed) + length(added) FROM journal WHERE zone_id = ?1 ORDER BY seq DESC"));
    sizes.bind_int(1, entry.zone_id);
    uint64_t versions = 0, bytes = 0;
    std::optional<int64_t> oldest_kept;
    while (SIGNET_TRY(sizes.step())) {
        bytes += static_cast<uint64_t>(sizes.column_int(1));
        if (++versions > max_versions || bytes > max_bytes)
            break;
        oldest_kept = sizes.column_int(0);
    }
    auto trim = SIGNET_TRY(db_.prepare("DELETE FROM journal WHERE zone_id = ?1 AND seq < ?2"));
    trim.bind_int(1, entry.zone_id).bind_int(2, oldest_kept.value_or(std::numeric_limits<int64_t>::max()));
    return trim.run();
}

Result<void> KeyDb::clear_journal(int64_t zone_id)
{
    auto remove = SIGNET_TRY(db_.prepare("DELETE FROM journal WHERE zone_id = ?1"));
    remove.bind_int(1, zone_id);
    return remove.run();
}

Result<std::vector<JournalEntry>> KeyDb::journal_of(int64_t zone_id)
{
    auto select = SIGNET_TRY(db_.prepare("SELECT zone_id, serial_from, serial_to, time, removed, added FROM journal "
                                         "WHERE zone_id = ?1 ORDER BY seq"));
    select.bind_int(1, zone_id);
    std::vector<JournalEntry> entries;
    while (SIGNET_TRY(select.step())) {
        JournalEntry entry;
        entry.zone_id = select.column_int(0);
        entry.serial_from = static_cast<uint32_t>(select.column_int(1));
        entry.serial_to = static_cast<uint32_t>(select.column_int(2));
        entry.time = select.column_time(3);
        entry.removed = select.column_blob(4);
        entry.added = select.column_blob(5);
        entries.push_back(std::move(entry));
    }
    return entries;
}

// ---------------------------------------------------------------------------
// TLSA bindings (migration 3).

namespace {

// Binding columns in the order of the SELECTs and of the parameters ?1..?14.
constexpr std::string_view tlsa_columns
    = "zone_id, host, port, proto, cert_path, chain_path, records, next_cert_path, next_chain_path, ttl, "
      "published, pending, pending_at, created";

std::optional<std::string> optional_path(const std::optional<std::filesystem::path>& path)
{
    return path ? std::optional<std::string>(path->native()) : std::nullopt;
}

// One line per record: "RDATA-HEX SINCE", SINCE in Unix seconds.
std::string publications_to_text(const std::vector<TlsaPublication>& publications)
{
    std::string out;
    for (const auto& p : publications)
        out += fmt::format("{} {}\n", dns::to_hex(p.rdata), p.since.time_since_epoch().count());
    return out;
}

Result<std::vector<TlsaPublication>> publications_from_text(std::string_view text, const std::string& path,
                                                            int64_t id)
{
    std::vector<TlsaPublication> out;
    size_t at = 0;
    while (at < text.size()) {
        size_t end = text.find('\n', at);
        std::string_view line = text.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
        at = end == std::string_view::npos ? text.size() : end + 1;
        if (line.empty())
            continue;
        size_t space = line.find(' ');
        auto rdata = space == std::string_view::npos ? Result<dns::Bytes>(fail(ErrorCode::Parse, "no time"))
                                                     : dns::from_hex(line.substr(0, space));
        int64_t since = 0;
        bool time_ok = space != std::string_view::npos && !line.substr(space + 1).empty()
            && std::ranges::all_of(line.substr(space + 1), [](char c) { return c >= '0' && c <= '9'; });
        if (time_ok)
            since = std::stoll(std::string(line.substr(space + 1)));
        if (!rdata || !time_ok)
            return fail(ErrorCode::Database,
                        fmt::format("{}: TLSA binding id {}: bad publication '{}'", path, id, line));
        out.push_back({ std::move(*rdata), TimePoint(std::chrono::seconds(since)) });
    }
    return out;
}

void bind_tlsa(sqlite::Statement& statement, const TlsaBindingEntry& binding)
{
    statement.bind_int(1, binding.zone_id)
        .bind_text(2, binding.host)
        .bind_int(3, binding.port)
        .bind_text(4, binding.proto)
        .bind_text(5, path_string(binding.cert))
        .bind_optional_text(6, optional_path(binding.chain))
        .bind_text(7, binding.records)
        .bind_optional_text(8, optional_path(binding.next_cert))
        .bind_optional_text(9, optional_path(binding.next_chain))
        .bind_int(10, binding.ttl)
        .bind_text(11, publications_to_text(binding.published))
        .bind_text(12, publications_to_text(binding.pending))
        .bind_optional_time(13, binding.pending_at)
        .bind_time(14, binding.created);
}

// A row of "SELECT id, <tlsa_columns>".
Result<TlsaBindingEntry> read_tlsa(const sqlite::Statement& row, const std::string& path)
{
    TlsaBindingEntry binding;
    binding.id = row.column_int(0);
    binding.zone_id = row.column_int(1);
    binding.host = row.column_text(2);
    binding.port = static_cast<uint16_t>(row.column_int(3));
    binding.proto = row.column_text(4);
    binding.cert = row.column_text(5);
    if (auto chain = row.column_optional_text(6))
        binding.chain = *chain;
    binding.records = row.column_text(7);
    if (auto next = row.column_optional_text(8))
        binding.next_cert = *next;
    if (auto next_chain = row.column_optional_text(9))
        binding.next_chain = *next_chain;
    binding.ttl = static_cast<uint32_t>(row.column_int(10));
    binding.published = SIGNET_TRY(publications_from_text(row.column_text(11), path, binding.id));
    binding.pending = SIGNET_TRY(publications_from_text(row.column_text(12), path, binding.id));
    binding.pending_at = row.column_optional_time(13);
    binding.created = row.column_time(14);
    return binding;
}

Error tlsa_conflict(const TlsaBindingEntry& binding)
{
    return Error(ErrorCode::Conflict, fmt::format("zone id {} has a TLSA binding for {} port {}/{} already",
                                                  binding.zone_id, binding.host, binding.port, binding.proto));
}

} // namespace

Result<int64_t> add_tlsa_binding(KeyDb& db, TlsaBindingEntry binding)
{
    binding.host = SIGNET_TRY(normalise_zone_name(binding.host));
    auto insert = SIGNET_TRY(db.db().prepare(fmt::format(
        "INSERT INTO tlsa_binding ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        tlsa_columns)));
    bind_tlsa(insert, binding);
    auto done = insert.run();
    if (!done) {
        if (insert.last_code() == SQLITE_CONSTRAINT_FOREIGNKEY)
            return fail(not_found(fmt::format("zone id {} is not registered", binding.zone_id)));
        if (insert.last_code() == SQLITE_CONSTRAINT_UNIQUE)
            return fail(tlsa_conflict(binding));
        return fail(done.error());
    }
    return db.db().last_insert_id();
}

Result<std::vector<TlsaBindingEntry>> tlsa_bindings_of(KeyDb& db, int64_t zone_id)
{
    auto select = SIGNET_TRY(db.db().prepare(fmt::format(
        "SELECT id, {} FROM tlsa_binding WHERE zone_id = ?1 ORDER BY host, port, proto", tlsa_columns)));
    select.bind_int(1, zone_id);
    std::vector<TlsaBindingEntry> bindings;
    while (SIGNET_TRY(select.step()))
        bindings.push_back(SIGNET_TRY(read_tlsa(select, db.path())));
    return bindings;
}

Result<void> update_tlsa_binding(KeyDb& db, const TlsaBindingEntry& binding)
{
    TlsaBindingEntry normal = binding;
    normal.host = SIGNET_TRY(normalise_zone_name(binding.host));
    auto update = SIGNET_TRY(db.db().prepare(
        "UPDATE tlsa_binding SET zone_id = ?1, host = ?2, port = ?3, proto = ?4, cert_path = ?5, chain_path = ?6, "
        "records = ?7, next_cert_path = ?8, next_chain_path = ?9, ttl = ?10, published = ?11, pending = ?12, "
        "pending_at = ?13, created = ?14 WHERE id = ?15"));
    bind_tlsa(update, normal);
    update.bind_int(15, binding.id);
    auto done = update.run();
    if (!done) {
        if (update.last_code() == SQLITE_CONSTRAINT_FOREIGNKEY)
            return fail(not_found(fmt::format("zone id {} is not registered", binding.zone_id)));
        if (update.last_code() == SQLITE_CONSTRAINT_UNIQUE)
            return fail(tlsa_conflict(normal));
        return fail(done.error());
    }
    if (db.db().changes() == 0)
        return fail(not_found(fmt::format("TLSA binding id {} is not in the store", binding.id)));
    return {};
}

Result<void> remove_tlsa_binding(KeyDb& db, int64_t binding_id)
{
    auto remove = SIGNET_TRY(db.db().prepare("DELETE FROM tlsa_binding WHERE id = ?1"));
    remove.bind_int(1, binding_id);
    SIGNET_TRY(remove.run());
    if (db.db().changes() == 0)
        return fail(not_found(fmt::format("TLSA binding id {} is not in the store", binding_id)));
    return {};
}

} // namespace signet::enforcer
