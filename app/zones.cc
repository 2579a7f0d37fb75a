#include <signet/app/zones.h>

#include <algorithm>
#include <cstring>
#include <strings.h>
#include <set>

#include <fmt/format.h>

#include <signet/app/hooks.h>
#include <signet/base/excerpt.h>
#include <signet/base/regular_file.h>
#include <signet/enforcer/model.h>

namespace signet::app {

namespace fs = std::filesystem;

namespace {

// How many wrong lines one error names; the rest are counted.
constexpr size_t errors_named = 20;

bool same_file(const fs::path& a, const fs::path& b)
{
    std::error_code ec;
    if (fs::exists(a, ec) && fs::exists(b, ec))
        return fs::equivalent(a, b, ec);
    return fs::weakly_canonical(a, ec) == fs::weakly_canonical(b, ec);
}

// A quoted string whose opening quote is at text[i]: its value, with a
// backslash taking the next character as it is; `i` is left after the
// closing quote. Nothing when it is not closed.
std::optional<std::string> read_quoted(std::string_view text, size_t& i)
{
    std::string value;
    for (++i; i < text.size();) {
        char c = text[i++];
        if (c == '"')
            return value;
        if (c == '\\' && i < text.size())
            c = text[i++];
        value += c;
    }
    return std::nullopt;
}

// The fields of one line of a list, or what is wrong with it.
Result<std::vector<std::string>> split_fields(std::string_view line)
{
    std::vector<std::string> fields;
    size_t i = 0;
    while (i < line.size()) {
        char c = line[i];
        if (c == ' ' || c == '\t' || c == '\r') {
            ++i;
            continue;
        }
        if (c == '#')
            break;
        std::string field;
        if (c == '"') {
            auto quoted = read_quoted(line, i);
            if (!quoted)
                return fail(ErrorCode::Parse, "a quoted field is not closed");
            field = std::move(*quoted);
            if (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r' && line[i] != '#')
                return fail(ErrorCode::Parse, "a quoted field must end at a space");
        } else {
            while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r' && line[i] != '#')
                field += line[i++];
            if (field.find('"') != std::string::npos)
                return fail(ErrorCode::Parse, fmt::format("a quote inside the field '{}'", excerpt(field)));
        }
        fields.push_back(std::move(field));
    }
    return fields;
}

bool is_inside(const fs::path& path, const fs::path& dir)
{
    std::error_code ec;
    fs::path p = fs::weakly_canonical(path, ec);
    fs::path d = fs::weakly_canonical(dir, ec);
    auto [end, unused] = std::mismatch(d.begin(), d.end(), p.begin(), p.end());
    return end == d.end();
}

// Every problem of a list in one error, a line each.
Error all_problems(const std::vector<Error>& problems, std::string_view where)
{
    std::string text;
    for (size_t i = 0; i < problems.size() && i < errors_named; ++i)
        text += problems[i].to_string() + "\n";
    if (problems.size() > errors_named)
        text += fmt::format("... and {} more\n", problems.size() - errors_named);
    text += fmt::format("{}: {} problem{}; no zone was added", where, problems.size(), problems.size() == 1 ? "" : "s");
    return Error(problems.front().code(), std::move(text));
}

// --- BIND configurations ----------------------------------------------------

// The largest named.conf (or included file) read: far beyond any real one.
constexpr uint64_t max_named_conf_bytes = 64ULL << 20;
constexpr int max_include_depth = 16;
constexpr int max_block_depth = 32;

struct ConfToken {
    enum Kind { Word, String, Open, Close, End } kind;
    std::string text;
    uint32_t line = 0;
};

struct ConfTokens {
    std::vector<ConfToken> tokens;
    std::optional<Error> error; // where reading stopped, if it did
};

// named.conf's tokens: words, quoted strings, braces and semicolons, with
// the three comment styles BIND reads (//, #, /* */) dropped.
ConfTokens conf_tokens(std::string_view text, const std::string& file)
{
    ConfTokens out;
    uint32_t line = 1;
    size_t i = 0;
    auto stop = [&](std::string what, uint32_t at) {
        out.error = Error(ErrorCode::Parse, std::move(what), SourceLocation { file, at });
        return out;
    };
    while (i < text.size()) {
        const char c = text[i];
        const char next = i + 1 < text.size() ? text[i + 1] : '\0';
        if (c == '\n') {
            ++line;
            ++i;
        } else if (c == ' ' || c == '\t' || c == '\r') {
            ++i;
        } else if (c == '\0') {
            return stop("a NUL octet", line);
        } else if (c == '#' || (c == '/' && next == '/')) {
            while (i < text.size() && text[i] != '\n')
                ++i;
        } else if (c == '/' && next == '*') {
            size_t end = text.find("*/", i + 2);
            if (end == std::string_view::npos)
                return stop("a comment is not closed", line);
            line += static_cast<uint32_t>(std::count(text.begin() + static_cast<ptrdiff_t>(i),
                                                     text.begin() + static_cast<ptrdiff_t>(end), '\n'));
            i = end + 2;
        } else if (c == '{' || c == '}' || c == ';') {
            out.tokens.push_back({ c == '{' ? ConfToken::Open : c == '}' ? ConfToken::Close : ConfToken::End,
                                   std::string(1, c), line });
            ++i;
        } else if (c == '"') {
            const size_t start = i;
            auto value = read_quoted(text, i);
            if (!value)
                return stop("a quoted string is not closed", line);
            out.tokens.push_back({ ConfToken::String, std::move(*value), line });
            line += static_cast<uint32_t>(std::count(text.begin() + static_cast<ptrdiff_t>(start),
                                                     text.begin() + static_cast<ptrdiff_t>(i), '\n'));
        } else {
            const size_t start = i;
            while (i < text.size() && !std::strchr(" \t\r\n{};\"#", text[i])
                   && !(text[i] == '/' && i + 1 < text.size() && (text[i + 1] == '/' || text[i + 1] == '*')))
                ++i;
            out.tokens.push_back({ ConfToken::Word, std::string(text.substr(start, i - start)), line });
        }
    }
    return out;
}

// A statement: its words (and quoted strings), then an optional block of
// statements, then ';'.
struct ConfStatement {
    std::vector<ConfToken> words;
    std::optional<std::vector<ConfStatement>> block;
    uint32_t line = 0;

    bool is(std::string_view keyword) const { return !words.empty() && words[0].kind == ConfToken::Word && words[0].text == keyword; }
    // The value of `keyword VALUE;` inside the block, if there is one.
    const ConfToken* value_of(std::string_view keyword) const
    {
        if (block) {
            for (const auto& inner : *block) {
                if (inner.is(keyword) && inner.words.size() >= 2)
                    return &inner.words[1];
            }
        }
        return nullptr;
    }
};

Result<std::vector<ConfStatement>> conf_statements(const std::vector<ConfToken>& tokens, size_t& i,
                                                   std::optional<uint32_t> opened_at, const std::string& file,
                                                   int depth)
{
    auto at = [&](uint32_t line) { return SourceLocation { file, line }; };
    std::vector<ConfStatement> statements;
    while (i < tokens.size()) {
        const ConfToken& first = tokens[i];
        if (first.kind == ConfToken::Close) {
            if (!opened_at)
                return fail(Error(ErrorCode::Parse, "'}' without its '{'", at(first.line)));
            ++i;
            return statements;
        }
        if (first.kind == ConfToken::End) {
            ++i;
            continue;
        }
        ConfStatement statement;
        statement.line = first.line;
        while (i < tokens.size() && (tokens[i].kind == ConfToken::Word || tokens[i].kind == ConfToken::String))
            statement.words.push_back(tokens[i++]);
        if (i < tokens.size() && tokens[i].kind == ConfToken::Open) {
            if (depth >= max_block_depth)
                return fail(Error(ErrorCode::Parse, "blocks nested too deep", at(tokens[i].line)));
            const uint32_t line = tokens[i++].line;
            statement.block = SIGNET_TRY(conf_statements(tokens, i, line, file, depth + 1));
        }
        if (i >= tokens.size())
            return fail(Error(ErrorCode::Parse, "the statement has no ';' at its end", at(statement.line)));
        if (tokens[i].kind != ConfToken::End)
            return fail(Error(ErrorCode::Parse, fmt::format("'{}' where ';' ends the statement", excerpt(tokens[i].text)),
                              at(tokens[i].line)));
        ++i;
        statements.push_back(std::move(statement));
    }
    if (opened_at)
        return fail(Error(ErrorCode::Parse, "the block is not closed with '}'", at(*opened_at)));
    return statements;
}

class NamedConfReader {
public:
    NamedConfReader(ZoneList& list, const fs::path& output_dir, const std::string& policy)
        : list_(list)
        , output_dir_(output_dir)
        , policy_(policy)
    {
    }

    void read(std::string_view text, const std::string& file, const fs::path& directory, int depth)
    {
        auto tokens = conf_tokens(text, file);
        if (tokens.error) {
            list_.problems.push_back(std::move(*tokens.error));
            return;
        }
        size_t i = 0;
        auto statements = conf_statements(tokens.tokens, i, std::nullopt, file, 0);
        if (!statements) {
            list_.problems.push_back(std::move(statements.error()));
            return;
        }
        walk(*statements, file, directory, depth);
    }

    // Every zone found, its file taken from `options { directory }` (or
    // named.conf's directory) when relative.
    void finish(const fs::path& conf_directory)
    {
        fs::path base = conf_directory;
        if (directory_)
            base = directory_->is_absolute() ? *directory_ : conf_directory / *directory_;
        for (auto& zone : zones_) {
            zone.input = base / zone.input;
            list_.zones.push_back(std::move(zone));
        }
    }

private:
    void walk(const std::vector<ConfStatement>& statements, const std::string& file, const fs::path& directory,
              int depth)
    {
        auto at = [&](uint32_t line) { return SourceLocation { file, line }; };
        for (const auto& statement : statements) {
            if (statement.is("include") && statement.words.size() >= 2) {
                include(statement, file, directory, depth);
            } else if (statement.is("options")) {
                if (const ConfToken* dir = statement.value_of("directory"))
                    directory_ = fs::path(dir->text);
            } else if (statement.is("view") && statement.block) {
                walk(*statement.block, file, directory, depth);
            } else if (statement.is("zone")) {
                zone(statement, at(statement.line));
            }
        }
    }

    void include(const ConfStatement& statement, const std::string& file, const fs::path& directory, int depth)
    {
        const SourceLocation where { file, statement.line };
        fs::path path = directory / statement.words[1].text;
        if (depth >= max_include_depth) {
            list_.problems.push_back(Error(ErrorCode::Parse, "includes nested too deep", where));
            return;
        }
        std::error_code ec;
        fs::path canonical = fs::weakly_canonical(path, ec);
        if (!included_.insert(canonical).second) {
            list_.problems.push_back(Error(ErrorCode::Parse, fmt::format("{} is included twice", path.string()), where));
            return;
        }
        auto text = read_regular_file(path, max_named_conf_bytes);
        if (!text) {
            list_.problems.push_back(Error(ErrorCode::Io, fmt::format("include {}: {}", path.string(),
                                                                      text.error().message()),
                                           where));
            return;
        }
        read(*text, path.string(), path.parent_path(), depth + 1);
    }

    void skip(const SourceLocation& where, std::string_view name, std::string_view why)
    {
        list_.skipped.push_back(fmt::format("{}:{}: zone '{}': {}", where.file, where.line, excerpt(name), why));
    }

    void zone(const ConfStatement& statement, const SourceLocation& where)
    {
        if (statement.words.size() < 2 || !statement.block) {
            list_.problems.push_back(Error(ErrorCode::Parse, "a zone statement is: zone NAME [CLASS] { ... };", where));
            return;
        }
        std::string name = statement.words[1].text;
        if (statement.words.size() >= 3 && ::strcasecmp(statement.words[2].text.c_str(), "in") != 0)
            return skip(where, name, "class " + excerpt(statement.words[2].text));
        const ConfToken* type = statement.value_of("type");
        if (!type)
            return skip(where, name, statement.value_of("in-view") ? "no type (in-view)" : "no type");
        if (type->text != "primary" && type->text != "master")
            return skip(where, name, "type " + excerpt(type->text));
        const ConfToken* zone_file = statement.value_of("file");
        if (!zone_file)
            return skip(where, name, "no file");
        // The output is named after the zone: a name that cannot be a file
        // name is refused here (the store refuses other bad names later).
        std::string stem = name;
        if (stem.size() > 1 && stem.back() == '.')
            stem.pop_back();
        if (stem == ".")
            stem = "root";
        if (stem.empty() || stem.starts_with('.') || stem.find('/') != std::string::npos
            || stem.find('\0') != std::string::npos) {
            list_.problems.push_back(Error(ErrorCode::Parse,
                                           fmt::format("zone '{}': no output file can be named after it", excerpt(name)),
                                           where));
            return;
        }
        ZoneToAdd zone;
        zone.name = name;
        zone.input = fs::path(zone_file->text);
        zone.output = output_dir_ / (stem + ".signed");
        zone.policy = policy_;
        zone.where = where;
        zones_.push_back(std::move(zone));
    }

    ZoneList& list_;
    const fs::path& output_dir_;
    const std::string& policy_;
    std::optional<fs::path> directory_;
    std::set<fs::path> included_;
    std::vector<ZoneToAdd> zones_;
};
} // namespace

Result<void> check_zone_paths(Context& context, const enforcer::ZoneEntry& zone, Neighbours neighbours)
{
    auto refuse = [&](std::string why) {
        return fail(ErrorCode::Conflict, fmt::format("zone '{}': {}", zone.name, why));
    };
    if (is_inside(zone.output, context.state_dir))
        return refuse(fmt::format("the output {} is inside the state directory {}; the signer would overwrite its "
                                  "own state",
                                  zone.output.string(), context.state_dir.string()));
    if (same_file(zone.output, zone.input))
        return refuse(fmt::format("the output {} is the input; signing would replace the unsigned zone",
                                  zone.output.string()));
    if (neighbours == Neighbours::Checked) {
        ZonePaths others;
        for (const auto& other : SIGNET_TRY(context.db.list_zones()))
            others.add(other);
        if (auto clash = others.clash(zone))
            return refuse(*clash);
    }
    return {};
}

void ZonePaths::add(const enforcer::ZoneEntry& zone)
{
    by_file_name_[zone.input.filename().string()].push_back({ zone.input, zone.name, zone.id, false });
    by_file_name_[zone.output.filename().string()].push_back({ zone.output, zone.name, zone.id, true });
}

std::optional<std::string> ZonePaths::clash(const enforcer::ZoneEntry& zone) const
{
    auto uses = [&](const fs::path& path) -> const std::vector<Use>& {
        static const std::vector<Use> none;
        auto it = by_file_name_.find(path.filename().string());
        return it == by_file_name_.end() ? none : it->second;
    };
    auto other = [&](const Use& use) { return use.id != zone.id || use.zone != zone.name; };
    for (const auto& use : uses(zone.output)) {
        if (other(use) && same_file(zone.output, use.path))
            return use.output ? fmt::format("the output {} is the output of zone '{}' too", zone.output.string(), use.zone)
                              : fmt::format("the output {} is the input of zone '{}'", zone.output.string(), use.zone);
    }
    for (const auto& use : uses(zone.input)) {
        if (use.output && other(use) && same_file(zone.input, use.path))
            return fmt::format("the input {} is the output of zone '{}'", zone.input.string(), use.zone);
    }
    return std::nullopt;
}

ZoneList read_zone_list(std::string_view text, const std::string& file, const fs::path& base)
{
    ZoneList list;
    list.file = file;
    std::vector<Error>& problems = list.problems;
    size_t line_number = 0;
    while (!text.empty()) {
        size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        ++line_number;
        const SourceLocation where { file, static_cast<uint32_t>(line_number) };
        auto fields = split_fields(line);
        if (!fields) {
            problems.push_back(std::move(fields.error().at(where)));
            continue;
        }
        if (fields->empty())
            continue;
        if (fields->size() < 3 || fields->size() > 4) {
            problems.push_back(Error(ErrorCode::Parse,
                                     fmt::format("{} field{}; a zone's line is: name input output [policy]",
                                                 fields->size(), fields->size() == 1 ? "" : "s"),
                                     where));
            continue;
        }
        ZoneToAdd zone;
        zone.name = (*fields)[0];
        zone.input = base / (*fields)[1];
        zone.output = base / (*fields)[2];
        if (fields->size() == 4)
            zone.policy = (*fields)[3];
        zone.where = where;
        list.zones.push_back(std::move(zone));
    }
    return list;
}

Result<AddedZones> add_zones(Context& context, const ZoneList& list, TimePoint now)
{
    std::vector<Error> problems = list.problems;
    auto problem = [&](const ZoneToAdd& zone, ErrorCode code, std::string what) {
        problems.push_back(Error(code, std::move(what), zone.where));
    };
    const auto stored = SIGNET_TRY(context.db.list_zones());
    std::map<std::string, const enforcer::ZoneEntry*> stored_by_name;
    ZonePaths paths;
    for (const auto& zone : stored) {
        stored_by_name[zone.name] = &zone;
        paths.add(zone);
    }
    AddedZones report;
    std::vector<enforcer::ZoneEntry> adding;
    std::map<std::string, const std::optional<SourceLocation>*> listed; // name -> where it was listed first
    for (const auto& wanted : list.zones) {
        auto name = enforcer::normalise_zone_name(wanted.name);
        if (!name) {
            problem(wanted, name.error().code(), fmt::format("'{}': {}", excerpt(wanted.name), name.error().message()));
            continue;
        }
        if (auto checked = check_zone_name(context.config, wanted.name); !checked) {
            problem(wanted, checked.error().code(), checked.error().message());
            continue;
        }
        if (auto [it, fresh] = listed.emplace(*name, &wanted.where); !fresh) {
            const auto& first = *it->second;
            problem(wanted, ErrorCode::Conflict,
                    first ? fmt::format("zone '{}' is listed twice (first at line {})", *name, first->line)
                          : fmt::format("zone '{}' is given twice", *name));
            continue;
        }
        if (auto policy = context.policy(wanted.policy); !policy) {
            problem(wanted, policy.error().code(), policy.error().message());
            continue;
        }
        auto unknown_remote = [&](const std::vector<std::string>& remotes) -> const std::string* {
            auto it = std::ranges::find_if(remotes,
                                           [&](const std::string& r) { return !context.config.remotes.contains(r); });
            return it == remotes.end() ? nullptr : &*it;
        };
        const std::string* unknown = unknown_remote(wanted.allow_transfer);
        if (!unknown)
            unknown = unknown_remote(wanted.notify);
        if (unknown) {
            problem(wanted, ErrorCode::Usage, fmt::format("no [remote.{}] in {}", *unknown, context.config.path.string()));
            continue;
        }
        enforcer::ZoneEntry zone;
        zone.name = *name;
        zone.input = wanted.input;
        zone.output = wanted.output;
        zone.policy = wanted.policy;
        zone.allow_transfer = wanted.allow_transfer;
        zone.notify = wanted.notify;
        zone.created = now;
        if (auto it = stored_by_name.find(zone.name); it != stored_by_name.end()) {
            const enforcer::ZoneEntry& known = *it->second;
            if (wanted.where && known.input == zone.input && known.output == zone.output && known.policy == zone.policy) {
                report.unchanged.push_back(zone.name);
            } else if (!wanted.where) {
                problem(wanted, ErrorCode::Conflict, fmt::format("zone {} exists already", zone.name));
            } else {
                problem(wanted, ErrorCode::Conflict, fmt::format("zone '{}' is registered already, with input {}, output {} and policy {} "
                                            "(`signet zone set` changes them)",
                                            zone.name, known.input.string(), known.output.string(), known.policy));
            }
            continue;
        }
        std::error_code ec;
        if (!fs::exists(zone.input, ec)) {
            problem(wanted, ErrorCode::Io, fmt::format("{}: no such file", zone.input.string()));
            continue;
        }
        if (!fs::is_regular_file(zone.input, ec)) {
            problem(wanted, ErrorCode::Io, fmt::format("{}: not a regular file", zone.input.string()));
            continue;
        }
        if (auto checked = check_zone_paths(context, zone, Neighbours::Unchecked); !checked) {
            problem(wanted, checked.error().code(), checked.error().message());
            continue;
        }
        if (auto clash = paths.clash(zone)) {
            problem(wanted, ErrorCode::Conflict, fmt::format("zone '{}': {}", zone.name, *clash));
            continue;
        }
        paths.add(zone);
        adding.push_back(std::move(zone));
    }
    if (problems.size() == 1 && list.file.empty())
        return fail(std::move(problems.front())); // one zone from the command line
    if (!problems.empty()) {
        std::ranges::stable_sort(problems, {}, [](const Error& e) {
            return e.where() ? std::pair(e.where()->file, e.where()->line) : std::pair(std::string(), 0u);
        });
        return fail(all_problems(problems, list.file.empty() ? "the zones" : list.file));
    }
    SIGNET_TRY(context.db.transaction([&]() -> Result<void> {
        for (auto& zone : adding) {
            zone.id = SIGNET_TRY(context.db.add_zone(zone));
            SIGNET_TRY(context.db.add_event({ 0, zone.id, std::nullopt, zone.created, "add",
                                              fmt::format("policy {}, input {}, output {}", zone.policy,
                                                          zone.input.string(), zone.output.string()) }));
        }
        return {};
    }));
    for (const auto& zone : adding)
        report.added.push_back(zone.name);
    return report;
}

Result<std::vector<std::string>> parse_remote_names(const Config& config, std::string_view option,
                                                    std::string_view text)
{
    std::vector<std::string> names;
    auto empty_name = [&] {
        return fail(ErrorCode::Usage, fmt::format("{}: an empty remote name; give NAME,NAME,...", option));
    };
    while (!text.empty()) {
        size_t comma = text.find(',');
        std::string name(text.substr(0, comma));
        if (name.empty())
            return empty_name();
        if (!config.remotes.contains(name))
            return fail(ErrorCode::Usage, fmt::format("{}: no [remote.{}] in {}", option, excerpt(name),
                                                      config.path.string()));
        if (std::ranges::find(names, name) == names.end())
            names.push_back(std::move(name));
        if (comma == std::string_view::npos)
            break;
        text.remove_prefix(comma + 1);
        if (text.empty())
            return empty_name();
    }
    return names;
}

bool is_named_conf(std::string_view text)
{
    // A zone statement: `zone NAME [CLASS] {`, in the tokens read before any
    // error (a broken configuration is still one, and says where it breaks).
    auto read = conf_tokens(text, "");
    const auto& tokens = read.tokens;
    for (size_t i = 0; i + 2 < tokens.size(); ++i) {
        if (tokens[i].kind != ConfToken::Word || tokens[i].text != "zone" || tokens[i + 1].kind == ConfToken::Open)
            continue;
        if (tokens[i + 2].kind == ConfToken::Open || (i + 3 < tokens.size() && tokens[i + 3].kind == ConfToken::Open))
            return true;
    }
    return false;
}

ZoneList read_named_conf(std::string_view text, const std::string& file, const fs::path& directory,
                         const fs::path& output_dir, const std::string& policy)
{
    ZoneList list;
    list.file = file;
    NamedConfReader reader(list, output_dir, policy);
    reader.read(text, file, directory, 0);
    reader.finish(directory);
    return list;
}

} // namespace signet::app
