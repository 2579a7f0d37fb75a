#include <signet/enforcer/sqlite.h>

#include <cctype>
#include <chrono>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>
#include <sqlite3.h>

namespace signet::enforcer::sqlite {

namespace {

constexpr int busy_timeout_ms = 5000;

// The start of a statement, whitespace collapsed, to say which one failed.
std::string describe(std::string_view sql)
{
    constexpr size_t max_length = 48;
    std::string out;
    for (char c : sql) {
        bool space = std::isspace(static_cast<unsigned char>(c));
        if (space && (out.empty() || out.back() == ' '))
            continue;
        if (out.size() == max_length) {
            out += "...";
            break;
        }
        out.push_back(space ? ' ' : c);
    }
    while (!out.empty() && out.back() == ' ')
        out.pop_back();
    return out;
}

} // namespace

Result<Db> Db::open(const std::filesystem::path& path)
{
    sqlite3* handle = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) {
        std::string message = handle ? sqlite3_errmsg(handle) : sqlite3_errstr(rc);
        sqlite3_close_v2(handle);
        return fail(ErrorCode::Database, fmt::format("{}: opening: {}", path.string(), message));
    }
    Db db(handle, path.string());
    sqlite3_extended_result_codes(handle, 1);
    sqlite3_busy_timeout(handle, busy_timeout_ms);
    // Readers never wait for the writer under WAL, and a command that only
    // lists zones never blocks `signet sign`.
    std::string mode = SIGNET_TRY(db.query_text("PRAGMA journal_mode=WAL"));
    if (mode != "wal")
        return fail(ErrorCode::Database,
                    fmt::format("{}: cannot use the WAL journal (got '{}'): is it on a network file system?",
                                db.path(), mode));
    SIGNET_TRY(db.exec("PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL"));
    return db;
}

Result<Db> Db::open_read_only(const std::filesystem::path& path)
{
    sqlite3* handle = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &handle, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        std::string message = handle ? sqlite3_errmsg(handle) : sqlite3_errstr(rc);
        sqlite3_close_v2(handle);
        return fail(ErrorCode::Database, fmt::format("{}: opening: {}", path.string(), message));
    }
    sqlite3_extended_result_codes(handle, 1);
    sqlite3_busy_timeout(handle, busy_timeout_ms);
    return Db(handle, path.string());
}

namespace detail {

// The finished statements of one connection, by SQL text, to be handed out
// again. Signet's SQL is a fixed set of texts (values are bound, never
// formatted in), so the cache stays small; `limit` bounds it all the same.
struct StatementCache {
    static constexpr size_t limit = 128;
    std::unordered_multimap<std::string, sqlite3_stmt*> idle;
    bool closed = false;

    void finalize_all()
    {
        for (auto& [sql, statement] : idle)
            sqlite3_finalize(statement);
        idle.clear();
    }
};

} // namespace detail

Db::Db(sqlite3* db, std::string path)
    : db_(db)
    , path_(std::move(path))
    , cache_(std::make_shared<detail::StatementCache>())
{
}

Db::Db(Db&& other) noexcept
    : db_(std::exchange(other.db_, nullptr))
    , path_(std::move(other.path_))
    , cache_(std::move(other.cache_))
{
}

Db& Db::operator=(Db&& other) noexcept
{
    if (this != &other) {
        close();
        db_ = std::exchange(other.db_, nullptr);
        path_ = std::move(other.path_);
        cache_ = std::move(other.cache_);
    }
    return *this;
}

Db::~Db() { close(); }

void Db::close()
{
    // Statements still out finalize themselves when they are done; close_v2
    // defers the close until then.
    if (cache_) {
        cache_->finalize_all();
        cache_->closed = true;
    }
    if (db_)
        sqlite3_close_v2(db_);
    db_ = nullptr;
}

Error Db::error(std::string_view what) const
{
    return Error(ErrorCode::Database, fmt::format("{}: {}: {}", path_, what, sqlite3_errmsg(db_)));
}

Result<void> Db::exec(std::string_view sql, std::string_view what)
{
    std::string text(sql);
    char* message = nullptr;
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string reason = message ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        return fail(ErrorCode::Database,
                    fmt::format("{}: {}: {}", path_, what.empty() ? describe(sql) : std::string(what), reason));
    }
    return {};
}

Result<Statement> Db::prepare(std::string_view sql)
{
    std::string text(sql);
    if (auto cached = cache_->idle.find(text); cached != cache_->idle.end()) {
        sqlite3_stmt* statement = cached->second;
        cache_->idle.erase(cached);
        return Statement(statement, path_, describe(sql), std::move(text), cache_);
    }
    sqlite3_stmt* statement = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &statement,
                                nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(statement);
        return fail(error(fmt::format("preparing {}", describe(sql))));
    }
    if (!statement)
        return fail(ErrorCode::Internal, fmt::format("{}: no statement in '{}'", path_, describe(sql)));
    return Statement(statement, path_, describe(sql), std::move(text), cache_);
}

Result<int64_t> Db::query_int(std::string_view sql)
{
    Statement statement = SIGNET_TRY(prepare(sql));
    if (!SIGNET_TRY(statement.step()))
        return fail(ErrorCode::Database, fmt::format("{}: {}: no result", path_, describe(sql)));
    return statement.column_int(0);
}

Result<std::string> Db::query_text(std::string_view sql)
{
    Statement statement = SIGNET_TRY(prepare(sql));
    if (!SIGNET_TRY(statement.step()))
        return fail(ErrorCode::Database, fmt::format("{}: {}: no result", path_, describe(sql)));
    return statement.column_text(0);
}

int64_t Db::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }

int64_t Db::changes() const { return sqlite3_changes64(db_); }

bool Db::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

Statement::Statement(sqlite3_stmt* statement, std::string path, std::string what, std::string sql,
                     std::shared_ptr<detail::StatementCache> cache)
    : statement_(statement)
    , path_(std::move(path))
    , what_(std::move(what))
    , sql_(std::move(sql))
    , cache_(std::move(cache))
{
}

Statement::Statement(Statement&& other) noexcept
    : statement_(std::exchange(other.statement_, nullptr))
    , path_(std::move(other.path_))
    , what_(std::move(other.what_))
    , sql_(std::move(other.sql_))
    , cache_(std::move(other.cache_))
    , bind_failure_(other.bind_failure_)
    , last_code_(other.last_code_)
{
}

Statement& Statement::operator=(Statement&& other) noexcept
{
    if (this != &other) {
        release();
        statement_ = std::exchange(other.statement_, nullptr);
        path_ = std::move(other.path_);
        what_ = std::move(other.what_);
        sql_ = std::move(other.sql_);
        cache_ = std::move(other.cache_);
        bind_failure_ = other.bind_failure_;
        last_code_ = other.last_code_;
    }
    return *this;
}

Statement::~Statement() { release(); }

void Statement::release()
{
    if (!statement_)
        return;
    if (cache_ && !cache_->closed && cache_->idle.size() < detail::StatementCache::limit) {
        // Reset: a statement left between rows holds a read transaction.
        sqlite3_reset(statement_);
        sqlite3_clear_bindings(statement_);
        cache_->idle.emplace(std::move(sql_), statement_);
    } else {
        sqlite3_finalize(statement_);
    }
    statement_ = nullptr;
}

Error Statement::error(std::string_view message) const
{
    return Error(ErrorCode::Database, fmt::format("{}: {}: {}", path_, what_, message));
}

void Statement::check_bind(int rc)
{
    if (rc != SQLITE_OK && bind_failure_ == 0)
        bind_failure_ = rc;
}

Statement& Statement::bind_int(int index, int64_t value)
{
    check_bind(sqlite3_bind_int64(statement_, index, value));
    return *this;
}

Statement& Statement::bind_optional_int(int index, std::optional<int64_t> value)
{
    return value ? bind_int(index, *value) : bind_null(index);
}

Statement& Statement::bind_text(int index, std::string_view value)
{
    // An empty view may have a null data pointer, which SQLite would bind as
    // NULL rather than as ''.
    check_bind(sqlite3_bind_text64(statement_, index, value.empty() ? "" : value.data(), value.size(),
                                   SQLITE_TRANSIENT, SQLITE_UTF8));
    return *this;
}

Statement& Statement::bind_optional_text(int index, const std::optional<std::string>& value)
{
    return value ? bind_text(index, *value) : bind_null(index);
}

Statement& Statement::bind_blob(int index, std::string_view bytes)
{
    check_bind(sqlite3_bind_blob64(statement_, index, bytes.empty() ? "" : bytes.data(), bytes.size(),
                                   SQLITE_TRANSIENT));
    return *this;
}

Statement& Statement::bind_time(int index, TimePoint value)
{
    return bind_int(index, static_cast<int64_t>(value.time_since_epoch().count()));
}

Statement& Statement::bind_optional_time(int index, std::optional<TimePoint> value)
{
    return value ? bind_time(index, *value) : bind_null(index);
}

Statement& Statement::bind_null(int index)
{
    check_bind(sqlite3_bind_null(statement_, index));
    return *this;
}

Result<bool> Statement::step()
{
    if (bind_failure_ != SQLITE_OK) {
        last_code_ = bind_failure_;
        return fail(error(fmt::format("binding a parameter: {}", sqlite3_errstr(bind_failure_))));
    }
    last_code_ = sqlite3_step(statement_);
    if (last_code_ == SQLITE_ROW)
        return true;
    if (last_code_ == SQLITE_DONE)
        return false;
    Error failure = error(sqlite3_errmsg(sqlite3_db_handle(statement_)));
    // Leaves the statement ready to run again; the message is taken first.
    sqlite3_reset(statement_);
    return fail(std::move(failure));
}

Result<void> Statement::run()
{
    while (SIGNET_TRY(step())) { }
    return {};
}

void Statement::reset()
{
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
    bind_failure_ = SQLITE_OK;
    last_code_ = 0;
}

bool Statement::column_is_null(int column) const { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }

int64_t Statement::column_int(int column) const { return sqlite3_column_int64(statement_, column); }

std::optional<int64_t> Statement::column_optional_int(int column) const
{
    if (column_is_null(column))
        return std::nullopt;
    return column_int(column);
}

std::string Statement::column_text(int column) const
{
    const unsigned char* text = sqlite3_column_text(statement_, column);
    int size = sqlite3_column_bytes(statement_, column);
    if (!text)
        return {};
    return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(size));
}

std::optional<std::string> Statement::column_optional_text(int column) const
{
    if (column_is_null(column))
        return std::nullopt;
    return column_text(column);
}

std::string Statement::column_blob(int column) const
{
    const void* data = sqlite3_column_blob(statement_, column);
    int size = sqlite3_column_bytes(statement_, column);
    if (!data)
        return {};
    return std::string(static_cast<const char*>(data), static_cast<size_t>(size));
}

TimePoint Statement::column_time(int column) const { return TimePoint(std::chrono::seconds(column_int(column))); }

std::optional<TimePoint> Statement::column_optional_time(int column) const
{
    if (column_is_null(column))
        return std::nullopt;
    return column_time(column);
}

} // namespace signet::enforcer::sqlite
