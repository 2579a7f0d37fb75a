#include <signet/dns/zone_reader.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <span>

#include <fmt/format.h>

#include <signet/base/duration.h>
#include <signet/base/excerpt.h>
#include <signet/base/regular_file.h>

#include "detail/rdata_internal.h"

namespace signet::dns {

SourceLocation Diagnostics::where(uint16_t file, uint32_t line) const
{
    return SourceLocation { file < files.size() ? files[file] : std::string(), line, 0 };
}

Diagnostics Diagnostics::for_own_output()
{
    Diagnostics settings;
    constexpr uint64_t unlimited = std::numeric_limits<uint64_t>::max();
    settings.max_generated_records = unlimited;
    settings.max_total_generated_records = unlimited;
    settings.max_records = unlimited;
    settings.max_input_bytes = unlimited;
    settings.max_record_bytes = unlimited;
    return settings;
}

void Diagnostics::warn(Error warning)
{
    if (warnings.size() < max_warnings)
        warnings.push_back(std::move(warning));
    else
        ++omitted_warnings;
}

Result<uint32_t> parse_ttl(std::string_view text)
{
    auto seconds = parse_seconds(text, 0xffffffffu);
    if (!seconds) {
        switch (seconds.error()) {
        case SecondsError::Empty: return fail(ErrorCode::Parse, "empty TTL");
        case SecondsError::BadCharacter: return fail(ErrorCode::Parse, fmt::format("bad TTL '{}'", excerpt(text)));
        case SecondsError::UnitWithoutNumber:
            return fail(ErrorCode::Parse, fmt::format("bad TTL '{}': unit without a number", excerpt(text)));
        case SecondsError::NumberAfterUnits:
            return fail(ErrorCode::Parse,
                        fmt::format("bad TTL '{}': number without a unit after units", excerpt(text)));
        case SecondsError::TooLarge: break;
        }
    }
    if (!seconds || *seconds > 0x7fffffffu)
        return fail(ErrorCode::Parse, fmt::format("TTL '{}' exceeds 2147483647 seconds (RFC 2181 §8)", excerpt(text)));
    return static_cast<uint32_t>(*seconds);
}

namespace {

constexpr size_t max_include_depth = 20;

// A token of the current entry. Its text is a view of the entry's buffer,
// set once the entry is complete (the buffer may move while it grows).
struct RawToken {
    std::string_view text;
    bool quoted = false;
    uint32_t line = 0;
    uint32_t column = 0;
    size_t offset = 0; // in the entry buffer
    size_t length = 0;
};

// Physical lines from a file or from memory, as views valid until the next
// call. A source counts the octets it hands out against the read's budget
// (shared by the file and all it includes) and never holds more than one
// line of at most `max_line` octets: a longer line is reported and skipped
// without being kept, so /dev/zero-like input cannot grow a buffer.
class LineSource {
public:
    LineSource(size_t max_line, uint64_t& consumed, uint64_t budget)
        : max_line_(max_line)
        , consumed_(consumed)
        , budget_(budget)
    {
    }
    virtual ~LineSource() = default;
    // The next line without its end-of-line; false at the end, or once the
    // budget is spent (see over_budget). A line longer than max_line comes
    // back empty with `too_long` set.
    virtual bool next(std::string_view& line, bool& too_long) = 0;
    bool over_budget() const { return over_budget_; }

protected:
    // Counts `octets` read; false once the budget is spent.
    bool spend(uint64_t octets)
    {
        consumed_ += octets;
        if (consumed_ > budget_)
            over_budget_ = true;
        return !over_budget_;
    }

    size_t max_line_;

private:
    uint64_t& consumed_;
    uint64_t budget_;
    bool over_budget_ = false;
};

std::string_view without_cr(std::string_view line)
{
    while (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    return line;
}

// Reads in large blocks and hands out lines in place: one system call per
// megabyte, no copy per line.
class FileLines final : public LineSource {
public:
    FileLines(int fd, size_t max_line, uint64_t& consumed, uint64_t budget)
        : LineSource(max_line, consumed, budget)
        , fd_(fd)
        // Room for the longest line allowed and its end, so the buffer never grows.
        , capacity_(std::max(initial_size, max_line + 2))
        , buffer_(std::make_unique_for_overwrite<char[]>(capacity_))
    {
        ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
    ~FileLines() override { ::close(fd_); }
    FileLines(const FileLines&) = delete;
    FileLines& operator=(const FileLines&) = delete;

    bool next(std::string_view& line, bool& too_long) override
    {
        too_long = false;
        while (!over_budget()) {
            const char* start = buffer_.get() + pos_;
            if (const void* newline = std::memchr(start, '\n', end_ - pos_)) {
                size_t length = static_cast<size_t>(static_cast<const char*>(newline) - start);
                pos_ += length + 1;
                if (length > max_line_) {
                    too_long = true;
                    line = {};
                } else {
                    line = without_cr(std::string_view(start, length));
                }
                return true;
            }
            if (end_ - pos_ > max_line_) {
                skip_line();
                too_long = true;
                line = {};
                return !over_budget();
            }
            if (eof_) {
                if (pos_ == end_)
                    return false;
                line = without_cr(std::string_view(start, end_ - pos_));
                pos_ = end_;
                return true;
            }
            fill();
        }
        return false;
    }

private:
    static constexpr size_t initial_size = size_t(1) << 20;

    // Keeps the unfinished line, then reads more after it.
    void fill()
    {
        size_t rest = end_ - pos_;
        if (pos_ > 0) {
            std::memmove(buffer_.get(), buffer_.get() + pos_, rest);
            pos_ = 0;
            end_ = rest;
        }
        ssize_t got = ::read(fd_, buffer_.get() + end_, capacity_ - end_);
        if (got < 0 && errno == EINTR)
            return;
        // A read error ends the file here, as end of file does.
        if (got <= 0)
            eof_ = true;
        else if (spend(static_cast<uint64_t>(got)))
            end_ += static_cast<size_t>(got);
    }

    // Drops the rest of an over-long line, reading on to its end.
    void skip_line()
    {
        pos_ = end_ = 0;
        while (!eof_ && !over_budget()) {
            fill();
            if (const void* newline = std::memchr(buffer_.get(), '\n', end_)) {
                pos_ = static_cast<size_t>(static_cast<const char*>(newline) - buffer_.get()) + 1;
                return;
            }
            pos_ = end_ = 0;
        }
    }

    int fd_;
    size_t capacity_;
    std::unique_ptr<char[]> buffer_;
    size_t pos_ = 0;
    size_t end_ = 0;
    bool eof_ = false;
};

class TextLines final : public LineSource {
public:
    TextLines(std::string_view text, size_t max_line, uint64_t& consumed, uint64_t budget)
        : LineSource(max_line, consumed, budget)
        , text_(text)
    {
    }
    bool next(std::string_view& line, bool& too_long) override
    {
        if (pos_ >= text_.size() || over_budget())
            return false;
        size_t end = text_.find('\n', pos_);
        if (end == std::string_view::npos)
            end = text_.size();
        if (!spend(end - pos_ + 1))
            return false;
        too_long = end - pos_ > max_line_;
        line = too_long ? std::string_view() : without_cr(text_.substr(pos_, end - pos_));
        pos_ = end + 1;
        return true;
    }

private:
    std::string_view text_;
    size_t pos_ = 0;
};

// Where one file's reading stands: RFC 1035 §5.1 says $ORIGIN and the last
// owner are restored after an $INCLUDE, so each file has its own.
struct FileState {
    Name origin;
    std::optional<Bytes> last_owner; // wire form
    uint16_t file = 0;
    std::filesystem::path directory;
};

class Reader {
public:
    Reader(const RecordSink& sink, Diagnostics& diagnostics);

    // Reads the file at the top of the read.
    void read_top_file(const std::filesystem::path& path, const Name& origin);
    void read_text(std::string_view text, std::string label, const Name& origin);

private:
    // Opens `path` for reading as a zone file: a regular file, opened so that
    // neither a FIFO nor a device can block or feed it endlessly. `shown` is
    // how messages name it. Returns -1 after reporting why not.
    int open_regular(const std::filesystem::path& path, std::string_view shown, const SourceLocation& where);
    // Whether the real path `real` is below one of the allowed directories.
    bool allowed(std::string_view real) const;
    void read_file(int fd, const std::string& real, const std::filesystem::path& path, const Name& origin,
                   std::optional<Bytes> owner, const SourceLocation& included_from);
    // Reports a limit reached and stops the read.
    void stop_read(const FileState& state, uint32_t line, std::string message)
    {
        error(state, line, 0, std::move(message));
        stopped_ = true;
    }
    void read_source(LineSource& lines, FileState& state);
    // Collects one entry (one line, or several joined by parentheses) into
    // entry_ and `tokens`. Returns false at the end of the source.
    bool next_entry(LineSource& lines, FileState& state, std::vector<RawToken>& tokens, bool& starts_blank);
    void handle_entry(std::span<RawToken> tokens, bool starts_blank, FileState& state);
    void handle_record(std::span<RawToken> tokens, bool starts_blank, FileState& state);
    void handle_generate(std::span<RawToken> tokens, FileState& state);
    void handle_include(std::span<RawToken> tokens, FileState& state);
    // Everything after the owner: [ttl] [class] type rdata...
    void emit(NameView owner, std::span<RawToken> rest, uint32_t line, FileState& state);

    void error(const FileState& state, uint32_t line, uint32_t column, std::string message)
    {
        diag_.errors.emplace_back(ErrorCode::Parse, std::move(message),
                                  SourceLocation { diag_.files[state.file], line, column });
    }
    void error(const FileState& state, const RawToken& token, std::string message)
    {
        error(state, token.line, token.column, std::move(message));
    }
    void warn(const FileState& state, uint32_t line, std::string message)
    {
        diag_.warn(Error(ErrorCode::Parse, std::move(message), SourceLocation { diag_.files[state.file], line, 0 }));
    }
    bool done() const { return stopped_ || diag_.full(); }

    const RecordSink& sink_;
    Diagnostics& diag_;
    std::uint32_t line_ = 0; // physical line of the current source
    std::vector<std::string> include_stack_; // real paths
    // Real paths of the directories $INCLUDE may read below: the top file's
    // own, then the configured ones.
    std::vector<std::string> allowed_;
    // What the read has produced so far, against the limits in diag_.
    uint64_t input_bytes_ = 0;
    uint64_t records_ = 0;
    uint64_t record_bytes_ = 0;
    uint64_t generated_ = 0;
    bool stopped_ = false;

    // Buffers reused from record to record, so that reading allocates
    // nothing per record once they have grown.
    std::string entry_; // the text of the current entry's tokens
    Bytes owner_; // wire form of a newly read owner
    std::vector<Token> rdata_tokens_;
    Bytes rdata_;

    std::optional<uint32_t> default_ttl_; // $TTL
    std::optional<uint32_t> last_ttl_; // the last TTL written out explicitly (RFC 1035 §5.1)
    std::optional<uint32_t> soa_minimum_;
    bool warned_no_ttl_ = false;
};

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// What a character is to the tokenizer, looked up in one load: the scan of
// tokens is the innermost loop of reading a zone.
enum CharClass : uint8_t {
    Plain = 0, // part of a token
    Blank = 1,
    Delimiter = 2, // ; ( ) " end an unquoted token
    Backslash = 3, // escapes the next character
};

constexpr std::array<uint8_t, 256> char_classes = [] {
    std::array<uint8_t, 256> classes {};
    classes[' '] = classes['\t'] = Blank;
    classes[';'] = classes['('] = classes[')'] = classes['"'] = Delimiter;
    classes['\\'] = Backslash;
    return classes;
}();

uint8_t char_class(char c) { return char_classes[static_cast<uint8_t>(c)]; }

bool Reader::next_entry(LineSource& lines, FileState& state, std::vector<RawToken>& tokens, bool& starts_blank)
{
    tokens.clear();
    entry_.clear();
    // The tokens' texts are views of entry_, made once it stops growing.
    auto finish = [&] {
        for (auto& token : tokens)
            token.text = std::string_view(entry_).substr(token.offset, token.length);
        return true;
    };
    std::string_view line;
    bool too_long = false;
    int depth = 0;
    uint32_t open_line = 0;
    bool first_line = true;
    size_t entry_length = 0; // of the entry's lines, which bounds tokens and entry_
    while (true) {
        if (!lines.next(line, too_long)) {
            if (lines.over_budget()) {
                stop_read(state, line_ + 1,
                     fmt::format("the zone's input is larger than {} octets (the limit on input bytes)",
                                 diag_.max_input_bytes));
                tokens.clear();
                return false;
            }
            if (depth > 0)
                error(state, open_line, 0, "'(' is never closed before the end of the file");
            return (!tokens.empty() || !first_line) && finish();
        }
        ++line_;
        if (first_line) {
            starts_blank = !line.empty() && is_blank(line[0]);
            first_line = false;
        }
        size_t i = 0;
        const size_t n = line.size();
        bool broken = false;
        entry_length += line.size();
        if (too_long) {
            error(state, line_, 0, fmt::format("line is longer than {} octets (the limit on line length)",
                                               diag_.max_line_length));
            broken = true;
        } else if (entry_length > diag_.max_line_length) {
            error(state, open_line, 0,
                  fmt::format("entry is longer than {} octets (the limit on line length, for lines joined by "
                              "parentheses)",
                              diag_.max_line_length));
            broken = true;
        }
        while (i < n && !broken) {
            char c = line[i];
            if (char_class(c) == Blank) {
                ++i;
                continue;
            }
            if (c == ';')
                break;
            if (c == '(') {
                if (depth > 0) {
                    error(state, line_, static_cast<uint32_t>(i + 1), "nested '(' is not allowed");
                    broken = true;
                    break;
                }
                depth = 1;
                open_line = line_;
                ++i;
                continue;
            }
            if (c == ')') {
                if (depth == 0) {
                    error(state, line_, static_cast<uint32_t>(i + 1), "')' without a matching '('");
                    broken = true;
                    break;
                }
                depth = 0;
                ++i;
                continue;
            }
            RawToken token;
            token.line = line_;
            token.column = static_cast<uint32_t>(i + 1);
            // Escapes stay in the text ("\." must stay apart from "."), so a
            // token is a run of the line, copied at once.
            size_t start = i;
            if (c == '"') {
                token.quoted = true;
                start = ++i;
                // TXT data is long: find the closing quote with memchr, and
                // step over escaped characters only when there are any.
                while (i < n) {
                    const char* quote = static_cast<const char*>(std::memchr(line.data() + i, '"', n - i));
                    size_t end = quote ? static_cast<size_t>(quote - line.data()) : n;
                    if (!std::memchr(line.data() + i, '\\', end - i)) {
                        i = end;
                        break;
                    }
                    while (i < end)
                        i += (line[i] == '\\' && i + 1 < n) ? 2 : 1;
                    if (i == end)
                        break;
                    // An escaped quote: keep looking after it.
                }
                if (i >= n) {
                    error(state, token, "quoted string is not closed on this line");
                    broken = true;
                    break;
                }
                token.offset = entry_.size();
                token.length = i - start;
                entry_.append(line.data() + start, i - start);
                ++i;
            } else {
                while (i < n) {
                    uint8_t kind = char_class(line[i]);
                    if (kind == Plain)
                        ++i;
                    else if (kind == Backslash)
                        i += i + 1 < n ? 2 : 1;
                    else
                        break;
                }
                token.offset = entry_.size();
                token.length = i - start;
                entry_.append(line.data() + start, i - start);
            }
            tokens.push_back(token);
        }
        if (broken) {
            // Skip the rest of this entry so one mistake yields one error.
            tokens.clear();
            while (depth > 0 && lines.next(line, too_long)) {
                ++line_;
                if (line.find(')') != std::string_view::npos)
                    depth = 0;
            }
            return true;
        }
        if (depth == 0)
            return finish();
    }
}

void Reader::read_source(LineSource& lines, FileState& state)
{
    // Each source has its own tokens: an $INCLUDE reads a file in the middle
    // of this one's entry.
    std::vector<RawToken> tokens;
    bool starts_blank = false;
    while (!done() && next_entry(lines, state, tokens, starts_blank)) {
        if (tokens.empty())
            continue;
        handle_entry(tokens, starts_blank, state);
    }
}

// The real path of `path` (every symbolic link and ".." resolved), or empty
// with errno set.
std::string real_path(const std::filesystem::path& path)
{
    std::unique_ptr<char, decltype(&std::free)> resolved(::realpath(path.c_str(), nullptr), &std::free);
    return resolved ? std::string(resolved.get()) : std::string();
}

Reader::Reader(const RecordSink& sink, Diagnostics& diagnostics)
    : sink_(sink)
    , diag_(diagnostics)
{
    // A configured directory that does not exist allows nothing.
    for (const auto& directory : diag_.include_directories) {
        std::string real = real_path(directory);
        if (!real.empty())
            allowed_.push_back(std::move(real));
    }
}

int Reader::open_regular(const std::filesystem::path& path, std::string_view shown, const SourceLocation& where)
{
    auto file = open_regular_file(path);
    if (!file) {
        // ErrorCode::Io whatever the cause: a zone file that is a FIFO is
        // no syntax error.
        const bool special = file.error().code() == ErrorCode::Parse;
        diag_.errors.emplace_back(ErrorCode::Io,
                                  fmt::format("cannot {} '{}': {}{}", special ? "read" : "open", shown,
                                              file.error().message(),
                                              special ? "; zone files must be regular files" : ""),
                                  where);
        return -1;
    }
    return file->fd.release();
}

bool Reader::allowed(std::string_view real) const
{
    for (const std::string& directory : allowed_) {
        if (directory == "/")
            return true;
        if (real.size() > directory.size() && real.starts_with(directory) && real[directory.size()] == '/')
            return true;
    }
    return false;
}

void Reader::read_top_file(const std::filesystem::path& path, const Name& origin)
{
    // The file itself is the operator's choice; what it may include is
    // confined to its own directory, named as the operator named the file
    // (a symbolic link to a zone file elsewhere keeps the link's directory).
    std::filesystem::path directory = path.parent_path();
    std::string root = real_path(directory.empty() ? std::filesystem::path(".") : directory);
    if (!root.empty())
        allowed_.insert(allowed_.begin(), root);
    const std::string shown = excerpt(path.string(), 4096);
    int fd = open_regular(path, shown, SourceLocation {});
    if (fd < 0)
        return;
    std::string real = real_path(path);
    read_file(fd, real.empty() ? path.string() : real, path, origin, std::nullopt, SourceLocation {});
}

void Reader::read_file(int fd, const std::string& real, const std::filesystem::path& path, const Name& origin,
                       std::optional<Bytes> owner, const SourceLocation& included_from)
{
    FileLines lines(fd, diag_.max_line_length, input_bytes_, diag_.max_input_bytes);
    if (std::find(include_stack_.begin(), include_stack_.end(), real) != include_stack_.end()) {
        diag_.errors.emplace_back(ErrorCode::Parse,
                                  fmt::format("$INCLUDE loop: '{}' includes itself", excerpt(path.string())),
                                  included_from);
        return;
    }
    if (include_stack_.size() >= max_include_depth) {
        diag_.errors.emplace_back(ErrorCode::Parse, fmt::format("$INCLUDE nested deeper than {}", max_include_depth),
                                  included_from);
        return;
    }
    if (diag_.files.size() >= 0xffff) {
        diag_.errors.emplace_back(ErrorCode::Parse, "too many included files", included_from);
        return;
    }
    // The name goes into every message about the file: printable only.
    diag_.files.push_back(excerpt(path.string(), 4096));
    FileState state { origin, std::move(owner), static_cast<uint16_t>(diag_.files.size() - 1),
                      path.parent_path() };
    include_stack_.push_back(real);
    uint32_t saved_line = line_;
    line_ = 0;
    read_source(lines, state);
    line_ = saved_line;
    include_stack_.pop_back();
}

void Reader::read_text(std::string_view text, std::string label, const Name& origin)
{
    TextLines lines(text, diag_.max_line_length, input_bytes_, diag_.max_input_bytes);
    diag_.files.push_back(std::move(label));
    FileState state { origin, std::nullopt, static_cast<uint16_t>(diag_.files.size() - 1), "." };
    line_ = 0;
    read_source(lines, state);
}

void Reader::handle_entry(std::span<RawToken> tokens, bool starts_blank, FileState& state)
{
    const RawToken& first = tokens[0];
    if (starts_blank || first.quoted || first.text.empty() || first.text[0] != '$') {
        handle_record(tokens, starts_blank, state);
        return;
    }
    std::string directive(first.text);
    std::transform(directive.begin(), directive.end(), directive.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    std::span<RawToken> args(tokens.begin() + 1, tokens.end());
    if (directive == "$ORIGIN") {
        if (args.size() != 1) {
            error(state, first, "$ORIGIN takes exactly one domain name");
            return;
        }
        auto name = Name::from_text(args[0].text, state.origin);
        if (!name) {
            error(state, args[0], name.error().message());
            return;
        }
        state.origin = std::move(*name);
    } else if (directive == "$TTL") {
        if (args.size() != 1) {
            error(state, first, "$TTL takes exactly one TTL");
            return;
        }
        auto ttl = parse_ttl(args[0].text);
        if (!ttl) {
            error(state, args[0], ttl.error().message());
            return;
        }
        default_ttl_ = *ttl;
    } else if (directive == "$INCLUDE") {
        handle_include(args, state);
    } else if (directive == "$GENERATE") {
        handle_generate(args, state);
    } else {
        error(state, first, fmt::format("unknown directive '{}'", excerpt(first.text)));
    }
}

void Reader::handle_include(std::span<RawToken> args, FileState& state)
{
    if (args.empty() || args.size() > 2) {
        error(state, line_, 1, "$INCLUDE takes a file name and an optional origin");
        return;
    }
    const RawToken& file = args[0];
    const SourceLocation where { diag_.files[state.file], file.line, file.column };
    const std::string shown = excerpt(file.text);
    std::filesystem::path path(file.text);
    if (path.is_relative())
        path = state.directory / path;
    Name origin = state.origin;
    if (args.size() == 2) {
        auto name = Name::from_text(args[1].text, state.origin);
        if (!name) {
            error(state, args[1], name.error().message());
            return;
        }
        origin = std::move(*name);
    }
    // Whoever writes the zone file must not make the signer read what they
    // could not read themselves: another customer's zone, the token PIN, the
    // signer's environment. So the file must resolve to a place below an
    // allowed directory before it is even opened (opening a device can have
    // effects of its own), and the file opened must be the one checked.
    std::string real = real_path(path);
    if (real.empty()) {
        int error = errno;
        diag_.errors.emplace_back(ErrorCode::Io, fmt::format("cannot open '{}': {}", shown, std::strerror(error)),
                                  where);
        return;
    }
    auto refuse_outside = [&] {
        std::string allowed_text = "no directory is allowed: text read from memory includes only from "
                                   "the include-directories, and none are set";
        if (!allowed_.empty())
            allowed_text = fmt::format("only files below '{}'{} may be included", excerpt(allowed_.front(), 4096),
                                       allowed_.size() > 1 ? " or the include-directories" : "");
        diag_.errors.emplace_back(
            ErrorCode::Parse,
            fmt::format("$INCLUDE '{}' is outside the zone file's directory ({})", shown, allowed_text),
            where);
    };
    if (!allowed(real)) {
        refuse_outside();
        return;
    }
    int fd = open_regular(real, shown, where);
    if (fd < 0)
        return;
    // A link along the path may have been changed between the check and the
    // open; what the descriptor refers to settles it.
    std::string opened = real_path(fmt::format("/proc/self/fd/{}", fd));
    if (!opened.empty() && !allowed(opened)) {
        ::close(fd);
        refuse_outside();
        return;
    }
    read_file(fd, opened.empty() ? real : opened, path, origin, state.last_owner, where);
}

void Reader::handle_record(std::span<RawToken> tokens, bool starts_blank, FileState& state)
{
    if (starts_blank) {
        if (!state.last_owner) {
            error(state, tokens[0], "record starts with a blank but there is no previous owner name");
            return;
        }
        emit(NameView::from_valid_wire(*state.last_owner), tokens, tokens[0].line, state);
        return;
    }
    const RawToken& first = tokens[0];
    if (first.quoted) {
        error(state, first, "owner name must not be quoted");
        return;
    }
    owner_.clear();
    auto owner = Name::append_from_text(first.text, state.origin, owner_);
    if (!owner) {
        error(state, first, owner.error().message());
        return;
    }
    // The new owner becomes the last one; swapping keeps both buffers.
    if (!state.last_owner)
        state.last_owner.emplace();
    std::swap(*state.last_owner, owner_);
    emit(NameView::from_valid_wire(*state.last_owner), tokens.subspan(1), first.line, state);
}

bool equal_ignoring_case(std::string_view text, std::string_view upper)
{
    if (text.size() != upper.size())
        return false;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c >= 'a' && c <= 'z')
            c = static_cast<char>(c - 32);
        if (c != upper[i])
            return false;
    }
    return true;
}

bool is_class_token(std::string_view text)
{
    if (text.size() < 2)
        return false;
    return equal_ignoring_case(text, "IN") || equal_ignoring_case(text, "CH") || equal_ignoring_case(text, "CS")
        || equal_ignoring_case(text, "HS") || equal_ignoring_case(text, "NONE") || equal_ignoring_case(text, "ANY")
        || (text.size() > 5 && equal_ignoring_case(text.substr(0, 5), "CLASS")
            && std::all_of(text.begin() + 5, text.end(), [](char c) { return c >= '0' && c <= '9'; }));
}

bool is_meta_type(RRType type)
{
    auto value = static_cast<uint16_t>(type);
    // OPT (RFC 6891) and the QTYPE/meta range 128-255 (RFC 6895 §3.1) never
    // appear in zone data.
    return value == 41 || (value >= 128 && value <= 255) || value == 0;
}

void Reader::emit(NameView owner, std::span<RawToken> rest, uint32_t line, FileState& state)
{
    std::optional<uint32_t> ttl;
    bool have_class = false;
    size_t i = 0;
    for (; i < rest.size() && i < 2; ++i) {
        const RawToken& token = rest[i];
        if (token.quoted)
            break;
        if (!ttl && !token.text.empty() && std::isdigit(static_cast<unsigned char>(token.text[0]))) {
            auto value = parse_ttl(token.text);
            if (!value) {
                error(state, token, value.error().message());
                return;
            }
            ttl = *value;
            continue;
        }
        if (!have_class && is_class_token(token.text)) {
            if (!equal_ignoring_case(token.text, "IN")) {
                error(state, token,
                      fmt::format("class {} is not supported: Signet reads class IN zones only", excerpt(token.text)));
                return;
            }
            have_class = true;
            continue;
        }
        break;
    }
    if (i >= rest.size()) {
        error(state, line, rest.empty() ? 0 : rest.back().column, "missing RR type");
        return;
    }
    const RawToken& type_token = rest[i];
    auto type = type_token.quoted ? std::nullopt : type_from_text(type_token.text);
    if (!type) {
        error(state, type_token, fmt::format("unknown RR type '{}'", excerpt(type_token.text)));
        return;
    }
    if (is_meta_type(*type)) {
        error(state, type_token, fmt::format("type {} cannot appear in a zone file", excerpt(type_token.text)));
        return;
    }
    rdata_tokens_.clear();
    for (size_t k = i + 1; k < rest.size(); ++k)
        rdata_tokens_.push_back(Token { rest[k].text, rest[k].quoted, rest[k].column });
    auto rdata = rdata_from_text(*type, rdata_tokens_, state.origin, rdata_);
    if (!rdata) {
        Error e = std::move(rdata.error());
        uint32_t error_line = line;
        uint32_t column = e.where() ? e.where()->column : 0;
        // The codec knows the column only; find the token's line.
        for (size_t k = i + 1; k < rest.size(); ++k) {
            if (rest[k].column == column) {
                error_line = rest[k].line;
                break;
            }
        }
        if (column == 0 && !rest.empty()) {
            column = rest.back().column;
            error_line = rest.back().line;
        }
        e.with_context(fmt::format("{} record", excerpt(type_token.text)));
        e.at(SourceLocation { diag_.files[state.file], error_line, column });
        diag_.errors.push_back(std::move(e));
        return;
    }

    if (*type == RRType::SOA && rdata_.size() >= 4) {
        const auto* p = reinterpret_cast<const uint8_t*>(rdata_.data() + rdata_.size() - 4);
        soa_minimum_ = (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
    }
    uint32_t effective_ttl = 0;
    if (ttl) {
        effective_ttl = *ttl;
        last_ttl_ = *ttl;
    } else if (default_ttl_) {
        effective_ttl = *default_ttl_;
    } else {
        // RFC 2308 §4 introduced $TTL; without it, RFC 1035 reuses the last
        // explicit TTL, and BIND falls back to the SOA MINIMUM field.
        std::optional<uint32_t> fallback = last_ttl_ ? last_ttl_ : soa_minimum_;
        if (!fallback) {
            error(state, type_token, "record has no TTL, and there is no $TTL or earlier TTL to use");
            return;
        }
        effective_ttl = *fallback;
        if (!warned_no_ttl_) {
            warned_no_ttl_ = true;
            warn(state, line,
                 fmt::format("no $TTL directive: records without a TTL get {} ({}); add $TTL (RFC 2308 §4)",
                             effective_ttl, last_ttl_ ? "the previous record's TTL" : "the SOA MINIMUM"));
        }
    }
    // The limits that bound what whoever keeps the records must hold.
    if (++records_ > diag_.max_records) {
        stop_read(state, line, fmt::format("the zone has more than {} records (the limit on records per zone)",
                                      diag_.max_records));
        return;
    }
    record_bytes_ += owner.wire().size() + rdata_.size();
    if (record_bytes_ > diag_.max_record_bytes) {
        stop_read(state, line,
             fmt::format("the zone's records take more than {} octets in wire form (the limit on record bytes)",
                         diag_.max_record_bytes));
        return;
    }
    sink_(RecordView { owner, *type, effective_ttl, rdata_, state.file, line });
}

// BIND's $GENERATE: "$GENERATE start-stop[/step] lhs [ttl] [class] type rhs".
// In lhs and rhs "$" is the iterator, "${offset,width,base}" formats it
// (base d, o, x, X, n or N for nibbles) and "\$" is a literal dollar sign.
Result<std::string> substitute(std::string_view pattern, int64_t value)
{
    std::string out;
    for (size_t i = 0; i < pattern.size(); ++i) {
        char c = pattern[i];
        if (c == '\\' && i + 1 < pattern.size()) {
            out += c;
            out += pattern[++i];
            continue;
        }
        if (c != '$') {
            out += c;
            continue;
        }
        int64_t offset = 0;
        unsigned width = 0;
        char base = 'd';
        if (i + 1 < pattern.size() && pattern[i + 1] == '{') {
            size_t close = pattern.find('}', i + 2);
            if (close == std::string_view::npos)
                return fail(ErrorCode::Parse, "'${' without a closing '}'");
            std::string_view spec = pattern.substr(i + 2, close - i - 2);
            std::vector<std::string_view> parts;
            size_t start = 0;
            while (true) {
                size_t comma = spec.find(',', start);
                parts.push_back(spec.substr(start, comma - start));
                if (comma == std::string_view::npos)
                    break;
                start = comma + 1;
            }
            if (parts.size() > 3)
                return fail(ErrorCode::Parse, fmt::format("bad modifier '${{{}}}'", excerpt(spec)));
            auto number = [&](std::string_view text, auto& target) -> bool {
                if (text.empty())
                    return true;
                auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), target);
                return ec == std::errc() && ptr == text.data() + text.size();
            };
            if (!number(parts[0], offset) || (parts.size() > 1 && !number(parts[1], width)) || width > 255)
                return fail(ErrorCode::Parse, fmt::format("bad modifier '${{{}}}'", excerpt(spec)));
            if (parts.size() > 2) {
                if (parts[2].size() != 1 || std::string_view("doxXnN").find(parts[2][0]) == std::string_view::npos)
                    return fail(ErrorCode::Parse, fmt::format("bad base in modifier '${{{}}}'", excerpt(spec)));
                base = parts[2][0];
            }
            i = close;
        }
        int64_t v = value + offset;
        if (v < 0)
            return fail(ErrorCode::Parse, "$GENERATE value with offset is negative");
        auto u = static_cast<uint64_t>(v);
        switch (base) {
        case 'd': out += fmt::format("{:0{}d}", u, width); break;
        case 'o': out += fmt::format("{:0{}o}", u, width); break;
        case 'x': out += fmt::format("{:0{}x}", u, width); break;
        case 'X': out += fmt::format("{:0{}X}", u, width); break;
        default: {
            // Nibbles, least significant first, as in ip6.arpa names.
            const char* digits = base == 'n' ? "0123456789abcdef" : "0123456789ABCDEF";
            unsigned count = 0;
            std::string nibbles;
            do {
                if (!nibbles.empty())
                    nibbles += '.';
                nibbles += digits[u & 0xf];
                u >>= 4;
                ++count;
            } while ((u != 0 || count < width) && count < 64);
            out += nibbles;
        }
        }
    }
    return out;
}

void Reader::handle_generate(std::span<RawToken> args, FileState& state)
{
    if (args.size() < 4) {
        error(state, line_, 1, "$GENERATE needs a range, a left-hand side, a type and a right-hand side");
        return;
    }
    const RawToken& range = args[0];
    int64_t start = 0, stop = 0, step = 1;
    {
        std::string_view text = range.text;
        size_t dash = text.find('-');
        size_t slash = text.find('/');
        auto parse = [](std::string_view s, int64_t& out) {
            auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
            return !s.empty() && ec == std::errc() && ptr == s.data() + s.size() && out >= 0;
        };
        if (dash == std::string_view::npos || !parse(text.substr(0, dash), start)
            || !parse(text.substr(dash + 1, slash == std::string_view::npos ? std::string_view::npos : slash - dash - 1),
                      stop)
            || (slash != std::string_view::npos && (!parse(text.substr(slash + 1), step) || step == 0))
            || stop < start) {
            error(state, range, fmt::format("bad $GENERATE range '{}': use start-stop[/step]", excerpt(range.text)));
            return;
        }
        const uint64_t count = static_cast<uint64_t>((stop - start) / step) + 1;
        if (count > diag_.max_generated_records) {
            error(state, range,
                  fmt::format("$GENERATE range '{}' makes more than {} records", excerpt(range.text),
                              diag_.max_generated_records));
            return;
        }
        // Checked before any record is made: the records of a range that
        // cannot all be made are not worth making.
        if (count > diag_.max_total_generated_records - std::min(generated_, diag_.max_total_generated_records)) {
            stop_read(state, range.line,
                 fmt::format("$GENERATE range '{}' makes {} records, which with the {} made before is more than {} "
                             "(the limit on generated records per zone)",
                             excerpt(range.text), count, generated_, diag_.max_total_generated_records));
            return;
        }
        generated_ += count;
    }
    const RawToken& lhs = args[1];
    std::span<RawToken> rest = args.subspan(2);
    for (int64_t value = start; value <= stop && !done(); value += step) {
        auto owner_text = substitute(lhs.text, value);
        if (!owner_text) {
            error(state, lhs, owner_text.error().message());
            return;
        }
        auto owner = Name::from_text(*owner_text, state.origin);
        if (!owner) {
            error(state, lhs, owner.error().message());
            return;
        }
        std::vector<RawToken> expanded(rest.begin(), rest.end());
        // The substituted texts; reserved so that they never move.
        std::vector<std::string> texts;
        texts.reserve(expanded.size());
        // [ttl] [class] type are not substituted; everything after them is.
        bool seen_type = false;
        for (auto& token : expanded) {
            if (!seen_type) {
                if (!token.quoted && type_from_text(token.text) && !is_class_token(token.text))
                    seen_type = true;
                continue;
            }
            auto text = substitute(token.text, value);
            if (!text) {
                error(state, token, text.error().message());
                return;
            }
            texts.push_back(std::move(*text));
            token.text = texts.back();
        }
        emit(*owner, expanded, lhs.line, state);
    }
}

} // namespace

bool read_master_file(const std::filesystem::path& path, const Name& origin, const RecordSink& sink,
                      Diagnostics& diagnostics)
{
    size_t before = diagnostics.errors.size();
    Reader reader(sink, diagnostics);
    reader.read_top_file(path, origin);
    return diagnostics.errors.size() == before;
}

bool read_master_text(std::string_view text, std::string label, const Name& origin, const RecordSink& sink,
                      Diagnostics& diagnostics)
{
    size_t before = diagnostics.errors.size();
    Reader reader(sink, diagnostics);
    reader.read_text(text, std::move(label), origin);
    return diagnostics.errors.size() == before;
}

} // namespace signet::dns
