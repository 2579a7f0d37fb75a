#include <signet/app/zones.h>

#include <algorithm>

#include <fmt/format.h>

#include <signet/app/hooks.h>
#include <signet/base/excerpt.h>
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
            ++i;
            bool closed = false;
            while (i < line.size()) {
                char d = line[i++];
                if (d == '"') {
                    closed = true;
                    break;
                }
                if (d == '\\' && i < line.size() && (line[i] == '"' || line[i] == '\\'))
                    d = line[i++];
                field += d;
            }
            if (!closed)
                return fail(ErrorCode::Parse, "a quoted field is not closed");
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

// Every problem of a list in one error, a line each.
bool is_inside(const fs::path& path, const fs::path& dir)
{
    std::error_code ec;
    fs::path p = fs::weakly_canonical(path, ec);
    fs::path d = fs::weakly_canonical(dir, ec);
    auto [end, unused] = std::mismatch(d.begin(), d.end(), p.begin(), p.end());
    return end == d.end();
}

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
        enforcer::ZoneEntry zone;
        zone.name = *name;
        zone.input = wanted.input;
        zone.output = wanted.output;
        zone.policy = wanted.policy;
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
        std::ranges::stable_sort(problems, {}, [](const Error& e) { return e.where() ? e.where()->line : 0; });
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

} // namespace signet::app
