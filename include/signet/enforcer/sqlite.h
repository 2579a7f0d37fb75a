// Thin owners for an SQLite connection and its prepared statements, with
// SQLite failures turned into Errors ("<db path>: <what>: <sqlite message>").
// A connection is used by one thread at a time (it is opened without
// SQLite's own mutex); threads that need the store at once open their own.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <signet/base/clock.h>
#include <signet/base/error.h>

struct sqlite3;
struct sqlite3_stmt;

namespace signet::enforcer::sqlite {

namespace detail {
struct StatementCache;
}

class Statement;

class Db {
public:
    // Opens the database file, creating an empty one when it is missing, and
    // sets it up for Signet: extended result codes, a 5 s busy timeout, WAL
    // journal (refused when the file system cannot do it), foreign keys on,
    // synchronous=NORMAL.
    static Result<Db> open(const std::filesystem::path& path);
    // Opens another program's database to read only: nothing in the file
    // changes (its journal mode neither); missing is an error.
    static Result<Db> open_read_only(const std::filesystem::path& path);

    Db(Db&& other) noexcept;
    Db& operator=(Db&& other) noexcept;
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;
    ~Db();

    // Runs one or more statements that take no parameters; rows they
    // return are ignored. A failure names `what`, or else the start of `sql`.
    Result<void> exec(std::string_view sql, std::string_view what = {});
    // A statement for `sql`. The connection keeps the statements it made
    // and hands a finished one out again for the same SQL, reset and with
    // its parameters cleared, so that a query run per zone is compiled once.
    Result<Statement> prepare(std::string_view sql);
    // The first column of the first row of `sql` (for PRAGMAs and counts).
    Result<int64_t> query_int(std::string_view sql);
    Result<std::string> query_text(std::string_view sql);

    // The rowid of the last INSERT, and the rows the last statement changed.
    int64_t last_insert_id() const;
    int64_t changes() const;
    // True inside BEGIN ... COMMIT (false in autocommit mode).
    bool in_transaction() const;

    const std::string& path() const { return path_; }
    sqlite3* handle() const { return db_; }
    // An Error with the path, `what`, and SQLite's message for the last
    // failure on this connection.
    Error error(std::string_view what) const;

private:
    Db(sqlite3* db, std::string path);
    void close();

    sqlite3* db_ = nullptr;
    std::string path_;
    std::shared_ptr<detail::StatementCache> cache_; // shared with the statements handed out
};

// A prepared statement. Parameters count from 1 and columns from 0, as in
// SQLite; the bind_optional_* functions bind NULL for nullopt. A failed bind
// is remembered and reported by the next step().
class Statement {
public:
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    Statement& bind_int(int index, int64_t value);
    Statement& bind_optional_int(int index, std::optional<int64_t> value);
    Statement& bind_text(int index, std::string_view value);
    Statement& bind_optional_text(int index, const std::optional<std::string>& value);
    Statement& bind_blob(int index, std::string_view bytes);
    // Times are stored as integer Unix seconds.
    Statement& bind_time(int index, TimePoint value);
    Statement& bind_optional_time(int index, std::optional<TimePoint> value);
    Statement& bind_null(int index);

    // Runs to the next row: true when a row is ready to read, false when the
    // statement is done.
    Result<bool> step();
    // Runs to completion (INSERT, UPDATE, DELETE), ignoring any rows.
    Result<void> run();
    // Makes the statement ready to run again, with every parameter NULL.
    void reset();
    // The extended result code of the last step() (SQLITE_CONSTRAINT_UNIQUE,
    // ...), for callers that turn particular failures into their own errors.
    int last_code() const { return last_code_; }

    bool column_is_null(int column) const;
    int64_t column_int(int column) const;
    std::optional<int64_t> column_optional_int(int column) const;
    std::string column_text(int column) const;
    std::optional<std::string> column_optional_text(int column) const;
    std::string column_blob(int column) const;
    TimePoint column_time(int column) const;
    std::optional<TimePoint> column_optional_time(int column) const;

private:
    friend class Db;
    Statement(sqlite3_stmt* statement, std::string path, std::string what, std::string sql,
              std::shared_ptr<detail::StatementCache> cache);
    // Back to the connection's cache (or finalized when it is closed).
    void release();
    void check_bind(int rc);
    Error error(std::string_view message) const;

    sqlite3_stmt* statement_ = nullptr;
    std::string path_; // of the database, for messages
    std::string what_; // the start of the SQL, for messages
    std::string sql_; // the whole SQL: the key in the cache
    std::shared_ptr<detail::StatementCache> cache_;
    int bind_failure_ = 0; // first failed bind's result code
    int last_code_ = 0;
};

} // namespace signet::enforcer::sqlite
