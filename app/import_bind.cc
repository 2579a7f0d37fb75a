#include <signet/app/import.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <charconv>
#include <map>
#include <set>

#include <unistd.h>

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <signet/app/enforce.h>
#include <signet/base/excerpt.h>
#include <signet/base/regular_file.h>
#include <signet/crypto/dnssec.h>
#include <signet/dns/rdata.h>
#include <signet/dns/zone_reader.h>
#include <signet/enforcer/keystate.h>
#include <signet/signer/plan.h>

namespace signet::app {

namespace fs = std::filesystem;
using enforcer::DsAtParent;
using enforcer::KeyEntry;
using enforcer::KeyGoal;
using enforcer::KeyRole;
using enforcer::Record;
using enforcer::RecordState;

namespace {

// BIND's key files are a few KiB; a larger one is not one of them.
constexpr uint64_t max_key_file = 1 << 20;

// One "Name: value" line of a .private or .state file, or a "; Name: value"
// comment of a .key file.
struct Field {
    std::string value;
    uint32_t line = 0;
};

// A text file that someone else wrote, whole; the caller wipes it when it
// holds a private key.
Result<std::string> read_text(const fs::path& file)
{
    auto text = read_regular_file(file, max_key_file);
    if (!text)
        return fail(text.error().with_context(file.string()));
    return std::move(*text);
}

Error error_at(const fs::path& file, uint32_t line, std::string message)
{
    return Error(ErrorCode::Parse, std::move(message), SourceLocation { file.string(), line, 0 });
}

std::string_view trim(std::string_view text)
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
        text.remove_suffix(1);
    return text;
}

// The lines of `text`, trimmed; line N is at index N - 1.
std::vector<std::string_view> lines_of(std::string_view text)
{
    std::vector<std::string_view> lines;
    for (size_t start = 0; start < text.size();) {
        size_t end = std::min(text.find('\n', start), text.size());
        lines.push_back(trim(text.substr(start, end - start)));
        start = end + 1;
    }
    return lines;
}

// The "Name: value" lines of `text`; with `in_comments` only those of
// comments ("; Name: value", as a .key file has its times), else only the
// others.
Result<std::map<std::string, Field, std::less<>>> read_fields(std::string_view text, const fs::path& file,
                                                              bool in_comments)
{
    std::map<std::string, Field, std::less<>> fields;
    const auto lines = lines_of(text);
    for (uint32_t number = 1; number <= lines.size(); ++number) {
        std::string_view line = lines[number - 1];
        if (line.empty())
            continue;
        if (line.front() == ';') {
            if (!in_comments)
                continue;
            line = trim(line.substr(1));
        } else if (in_comments) {
            continue;
        }
        size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) {
            if (in_comments)
                continue; // "; This is a key-signing key, ..."
            return fail(error_at(file, number, fmt::format("'{}' is not 'Name: value'", excerpt(line))));
        }
        std::string name(trim(line.substr(0, colon)));
        if (fields.contains(name))
            return fail(error_at(file, number, fmt::format("{} appears twice", name)));
        fields.emplace(std::move(name), Field { std::string(trim(line.substr(colon + 1))), number });
    }
    return fields;
}

std::string_view first_word(std::string_view value) { return value.substr(0, value.find_first_of(" \t")); }

// BIND's times: YYYYMMDDHHMMSS, UTC (0 is "never" in some versions).
Result<std::optional<TimePoint>> bind_time(const Field& field, const fs::path& file, std::string_view name)
{
    std::string_view text = first_word(field.value);
    if (text == "0")
        return std::optional<TimePoint>();
    auto bad = [&] { return fail(error_at(file, field.line, fmt::format("{}: '{}' is not a time (YYYYMMDDHHMMSS)", name, excerpt(text)))); };
    if (text.size() != 14 || !std::ranges::all_of(text, [](char c) { return c >= '0' && c <= '9'; }))
        return bad();
    auto number = [&](size_t at, size_t size) {
        int value = 0;
        std::from_chars(text.data() + at, text.data() + at + size, value);
        return value;
    };
    std::chrono::year_month_day date { std::chrono::year(number(0, 4)), std::chrono::month(number(4, 2)),
                                       std::chrono::day(number(6, 2)) };
    int hour = number(8, 2), minute = number(10, 2), second = number(12, 2);
    if (!date.ok() || hour > 23 || minute > 59 || second > 60)
        return bad();
    return std::optional<TimePoint>(std::chrono::sys_days(date) + std::chrono::hours(hour)
                                    + std::chrono::minutes(minute) + std::chrono::seconds(second));
}

using Fields = std::map<std::string, Field, std::less<>>;

Result<std::optional<TimePoint>> time_field(const Fields& fields, std::string_view name, const fs::path& file)
{
    auto it = fields.find(name);
    if (it == fields.end())
        return std::optional<TimePoint>();
    return bind_time(it->second, file, name);
}

// The record line of a .key file: owner [TTL] [IN] DNSKEY flags 3 alg key.
struct DnskeyLine {
    std::string owner;
    std::optional<uint32_t> ttl;
    uint16_t flags = 0;
    uint8_t algorithm = 0;
    dns::Bytes public_key;
};

Result<DnskeyLine> read_dnskey_line(std::string_view text, const fs::path& file)
{
    std::optional<DnskeyLine> found;
    const auto lines = lines_of(text);
    for (uint32_t number = 1; number <= lines.size(); ++number) {
        std::string_view line = lines[number - 1];
        if (line.empty() || line.front() == ';')
            continue;
        auto where = [&](std::string message) { return fail(error_at(file, number, std::move(message))); };
        if (found)
            return where("a key file holds one DNSKEY record, and this is a second");
        std::vector<std::string_view> words;
        for (size_t i = 0; i < line.size();) {
            size_t next = line.find_first_of(" \t", i);
            if (next == std::string_view::npos)
                next = line.size();
            if (next > i)
                words.push_back(line.substr(i, next - i));
            i = next + 1;
        }
        DnskeyLine out;
        size_t i = 0;
        if (words.empty())
            continue;
        out.owner = std::string(words[i++]);
        if (i < words.size() && std::isdigit(static_cast<unsigned char>(words[i].front()))) {
            uint32_t ttl = 0;
            auto [ptr, ec] = std::from_chars(words[i].data(), words[i].data() + words[i].size(), ttl);
            if (ec != std::errc() || ptr != words[i].data() + words[i].size() || ttl > 0x7fffffff)
                return where(fmt::format("'{}' is not a TTL", excerpt(words[i])));
            out.ttl = ttl;
            ++i;
        }
        if (i < words.size() && (words[i] == "IN" || words[i] == "in"))
            ++i;
        if (i + 4 >= words.size() || (words[i] != "DNSKEY" && words[i] != "dnskey"))
            return where("not a DNSKEY record (owner [TTL] [IN] DNSKEY flags 3 algorithm key)");
        ++i;
        unsigned flags = 0, protocol = 0, algorithm = 0;
        for (auto [word, value, max] : { std::tuple { words[i], &flags, 65535u }, { words[i + 1], &protocol, 255u },
                                         { words[i + 2], &algorithm, 255u } }) {
            auto [ptr, ec] = std::from_chars(word.data(), word.data() + word.size(), *value);
            if (ec != std::errc() || ptr != word.data() + word.size() || *value > max)
                return where(fmt::format("'{}' is not a number up to {}", excerpt(word), max));
        }
        if (protocol != 3)
            return where(fmt::format("DNSKEY protocol {}, not 3", protocol));
        std::string base64;
        for (size_t w = i + 3; w < words.size(); ++w)
            base64 += words[w];
        auto key = dns::from_base64(base64);
        if (!key || key->empty())
            return where("the public key is not base64");
        out.flags = static_cast<uint16_t>(flags);
        out.algorithm = static_cast<uint8_t>(algorithm);
        out.public_key = std::move(*key);
        found = std::move(out);
    }
    if (!found)
        return fail(error_at(file, 0, "no DNSKEY record"));
    return std::move(*found);
}

Result<std::optional<RecordState>> state_field(const Fields& fields, std::string_view name, const fs::path& file)
{
    auto it = fields.find(name);
    if (it == fields.end())
        return std::optional<RecordState>();
    std::string_view text = first_word(it->second.value);
    auto state = enforcer::record_state_from_text(text);
    if (!state || *state == RecordState::NotApplicable)
        return fail(error_at(file, it->second.line,
                             fmt::format("{}: '{}' is not hidden, rumoured, omnipresent or unretentive", name,
                                         excerpt(text))));
    return state;
}

Result<std::optional<bool>> yes_no_field(const Fields& fields, std::string_view name, const fs::path& file)
{
    auto it = fields.find(name);
    if (it == fields.end())
        return std::optional<bool>();
    std::string_view text = first_word(it->second.value);
    if (text == "yes")
        return std::optional<bool>(true);
    if (text == "no")
        return std::optional<bool>(false);
    return fail(error_at(file, it->second.line, fmt::format("{}: '{}' is not yes or no", name, excerpt(text))));
}

// The fields of a .state file that Signet reads; others are named in the
// report as not carried.
constexpr std::array state_fields_read { "Algorithm", "Length", "Lifetime", "KSK", "ZSK", "Generated", "Published",
                                         "Active", "Retired", "Removed", "DSPublish", "DSRemoved", "DNSKEYChange",
                                         "ZRRSIGChange", "KRRSIGChange", "DSChange", "DNSKEYState", "ZRRSIGState",
                                         "KRRSIGState", "DSState", "GoalState", "Predecessor", "Successor",
                                         "PublishCDS", "DeleteCDS" };

// The states of a key from dnssec-policy's .state file.
Result<void> apply_state_file(BindKey& out, const fs::path& file, TimePoint now)
{
    std::string text = SIGNET_TRY(read_text(file));
    Fields fields = SIGNET_TRY(read_fields(text, file, false));
    KeyEntry& key = out.key;
    auto ksk = SIGNET_TRY(yes_no_field(fields, "KSK", file));
    auto zsk = SIGNET_TRY(yes_no_field(fields, "ZSK", file));
    if (ksk && zsk) {
        if (!*ksk && !*zsk)
            return fail(error_at(file, fields.at("KSK").line, "the key is neither a KSK nor a ZSK"));
        key.role = *ksk && *zsk ? KeyRole::CSK : *ksk ? KeyRole::KSK : KeyRole::ZSK;
    }
    if (auto it = fields.find("Lifetime"); it != fields.end()) {
        int64_t seconds = 0;
        std::string_view value = first_word(it->second.value);
        auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
        if (ec != std::errc() || ptr != value.data() + value.size() || seconds < 0)
            return fail(error_at(file, it->second.line, fmt::format("Lifetime: '{}' is not seconds", excerpt(value))));
        if (seconds > 0)
            out.lifetime = Duration(seconds);
    }
    auto time = [&](std::string_view name) { return time_field(fields, name, file); };
    auto generated = SIGNET_TRY(time("Generated"));
    auto published = SIGNET_TRY(time("Published"));
    auto active = SIGNET_TRY(time("Active"));
    auto retired = SIGNET_TRY(time("Retired"));
    auto ds_publish = SIGNET_TRY(time("DSPublish"));
    auto ds_removed = SIGNET_TRY(time("DSRemoved"));
    if (generated)
        key.created = *generated;
    auto past = [&](const std::optional<TimePoint>& t) { return t && *t <= now ? t : std::nullopt; };

    const bool keyset = key.role != KeyRole::ZSK, zone_data = key.role != KeyRole::KSK;
    struct Kind {
        Record record;
        const char* state;
        const char* change;
        bool applies;
    };
    for (const Kind& kind : { Kind { Record::Dnskey, "DNSKEYState", "DNSKEYChange", true },
                              Kind { Record::Krrsig, "KRRSIGState", "KRRSIGChange", keyset },
                              Kind { Record::Zrrsig, "ZRRSIGState", "ZRRSIGChange", zone_data },
                              Kind { Record::Ds, "DSState", "DSChange", keyset } }) {
        enforcer::RecordStatus status { kind.applies ? RecordState::Hidden : RecordState::NotApplicable, now };
        auto state = SIGNET_TRY(state_field(fields, kind.state, file));
        if (state && !kind.applies && *state != RecordState::Hidden)
            return fail(error_at(file, fields.at(kind.state).line,
                                 fmt::format("{} is {} for a key that has no such record", kind.state,
                                             enforcer::record_state_to_text(*state))));
        if (kind.applies && state) {
            status.state = *state;
            auto change = SIGNET_TRY(time(kind.change));
            status.since = past(change).value_or(now);
        }
        switch (kind.record) {
        case Record::Dnskey: key.dnskey = status; break;
        case Record::Krrsig: key.krrsig = status; break;
        case Record::Zrrsig: key.zrrsig = status; break;
        case Record::Ds: key.ds = status; break;
        }
    }
    auto goal = fields.find("GoalState");
    if (goal == fields.end())
        return fail(error_at(file, 0, "no GoalState: not a state file of dnssec-policy"));
    std::string_view goal_text = first_word(goal->second.value);
    if (goal_text == "omnipresent")
        key.goal = KeyGoal::Present;
    else if (goal_text == "hidden")
        key.goal = KeyGoal::Absent;
    else
        return fail(error_at(file, goal->second.line,
                             fmt::format("GoalState: '{}' is not omnipresent or hidden", excerpt(goal_text))));

    // The parent: BIND moves a DS to omnipresent only once it was told the
    // parent publishes it (DSPublish), and one to hidden once it is gone
    // (DSRemoved); Signet asks `signet key ds-seen` and `ds-gone` for the same.
    // `confirmed`: when BIND was told so; else Signet asks again, `asked`.
    auto moving = [&](const std::optional<TimePoint>& confirmed, DsAtParent done, DsAtParent asked,
                      std::string_view what) {
        if (past(confirmed)) {
            key.ds_at_parent = done;
            key.ds.since = *confirmed;
            return;
        }
        key.ds_at_parent = asked;
        out.notes.push_back(fmt::format("{}: the DS is to {} the parent, which has not been confirmed: Signet asks "
                                        "for it again",
                                        key_name(key), what));
    };
    switch (key.ds.state) {
    case RecordState::Omnipresent: key.ds_at_parent = DsAtParent::Seen; break;
    case RecordState::Rumoured: moving(ds_publish, DsAtParent::Seen, DsAtParent::Submit, "be at"); break;
    case RecordState::Unretentive: moving(ds_removed, DsAtParent::Unsubmitted, DsAtParent::Retract, "leave"); break;
    default: key.ds_at_parent = DsAtParent::Unsubmitted; break;
    }
    if (key.dnskey.state != RecordState::Hidden)
        key.published = past(published).value_or(key.dnskey.since);
    bool signed_with = key.krrsig.state != RecordState::Hidden && key.krrsig.state != RecordState::NotApplicable;
    signed_with = signed_with || (key.zrrsig.state != RecordState::Hidden && key.zrrsig.state != RecordState::NotApplicable);
    if (signed_with)
        key.active = past(active).value_or(now);
    if (key.goal == KeyGoal::Absent && key.active)
        key.retired = past(retired).value_or(now);
    out.removed = done_with(key);
    for (const auto& [name, field] : fields)
        if (std::ranges::find(state_fields_read, name) == state_fields_read.end())
            out.notes.push_back(fmt::format("{}: {} in {} is not carried", key_name(key), name, file.filename().string()));
    return {};
}

// Without a .state file: the states that BIND's timing metadata (publish,
// activate, inactive, delete) imply at `now`, with the policy's timings for
// how long a record takes to reach every cache.
Result<void> derive_states(BindKey& out, const Fields& timing, const fs::path& file, const enforcer::Policy& policy,
                           TimePoint now)
{
    KeyEntry& key = out.key;
    auto time = [&](std::string_view name) { return time_field(timing, name, file); };
    auto created = SIGNET_TRY(time("Created"));
    auto publish = SIGNET_TRY(time("Publish"));
    auto activate = SIGNET_TRY(time("Activate"));
    auto inactive = SIGNET_TRY(time("Inactive"));
    auto remove = SIGNET_TRY(time("Delete"));
    auto revoke = SIGNET_TRY(time("Revoke"));
    auto reached = [&](const std::optional<TimePoint>& t) { return t && *t <= now; };
    if (created)
        key.created = *created;
    if (reached(revoke))
        return fail(error_at(file, timing.at("Revoke").line, "a revoked key (RFC 5011) cannot be carried over"));
    const bool keyset = key.role != KeyRole::ZSK, zone_data = key.role != KeyRole::KSK;
    auto na = [&](bool applies) { return enforcer::RecordStatus { applies ? RecordState::Hidden : RecordState::NotApplicable, now }; };
    key.dnskey = na(true);
    key.krrsig = na(keyset);
    key.zrrsig = na(zone_data);
    key.ds = na(keyset);
    if (reached(remove)) {
        out.removed = true;
        key.goal = KeyGoal::Absent;
        return {};
    }
    const Duration dnskey_wait = policy.dnskey_ttl + policy.zone_propagation_delay;
    const Duration signature_wait = std::max(policy.max_zone_ttl, policy.dnskey_ttl) + policy.zone_propagation_delay;
    // Published at `since`: everywhere once `wait` has passed.
    auto introduced = [&](TimePoint since, Duration wait) {
        return enforcer::RecordStatus { since + wait <= now ? RecordState::Omnipresent : RecordState::Rumoured, since };
    };
    auto withdrawn = [&](TimePoint since, Duration wait) {
        return enforcer::RecordStatus { since + wait <= now ? RecordState::Hidden : RecordState::Unretentive, since };
    };
    key.goal = reached(inactive) ? KeyGoal::Absent : KeyGoal::Present;
    if (reached(publish)) {
        key.dnskey = introduced(*publish, dnskey_wait);
        key.published = *publish;
    }
    if (reached(activate) && reached(publish)) {
        key.active = *activate;
        if (keyset)
            key.krrsig = introduced(std::max(*publish, *activate), dnskey_wait);
        if (zone_data)
            key.zrrsig = introduced(*activate, signature_wait);
        if (reached(inactive)) {
            key.retired = *inactive;
            if (keyset)
                key.krrsig = withdrawn(*inactive, dnskey_wait);
            if (zone_data)
                key.zrrsig = withdrawn(*inactive, signature_wait);
        }
    }
    if (keyset && key.active) {
        // BIND's timing metadata says nothing of the parent. A KSK in use
        // is taken to have its DS there, one retired to have had it removed.
        if (key.goal == KeyGoal::Present) {
            key.ds = { RecordState::Omnipresent, *key.active };
            key.ds_at_parent = DsAtParent::Seen;
            out.notes.push_back(fmt::format("{}: no state file: its DS is taken to be at the parent (check with `signet ds`)", key_name(key)));
        } else {
            key.ds = { RecordState::Unretentive, *key.retired };
            key.ds_at_parent = DsAtParent::Retract;
            out.notes.push_back(fmt::format("{}: no state file: its DS is taken to be leaving the parent", key_name(key)));
        }
    }
    return {};
}

// K<zone>+<alg>+<tag>: the algorithm and tag the name promises.
std::optional<std::pair<unsigned, unsigned>> name_says(const fs::path& key_file)
{
    std::string stem = key_file.stem().string();
    size_t tag_at = stem.rfind('+');
    if (tag_at == std::string::npos || tag_at < 4)
        return std::nullopt;
    size_t alg_at = stem.rfind('+', tag_at - 1);
    if (alg_at == std::string::npos)
        return std::nullopt;
    unsigned alg = 0, tag = 0;
    auto a = std::from_chars(stem.data() + alg_at + 1, stem.data() + tag_at, alg);
    auto t = std::from_chars(stem.data() + tag_at + 1, stem.data() + stem.size(), tag);
    if (a.ec != std::errc() || t.ec != std::errc() || a.ptr != stem.data() + tag_at || t.ptr != stem.data() + stem.size())
        return std::nullopt;
    return std::pair { alg, tag };
}

fs::path beside(const fs::path& key_file, std::string_view extension)
{
    fs::path out = key_file;
    out.replace_extension(extension);
    return out;
}

} // namespace

Result<BindKey> read_bind_key(const fs::path& key_file, const enforcer::Policy& policy, TimePoint now,
                              std::optional<KeyRole> role)
{
    BindKey out;
    out.key_file = key_file;
    std::string text = SIGNET_TRY(read_text(key_file));
    DnskeyLine line = SIGNET_TRY(read_dnskey_line(text, key_file));
    auto zone = enforcer::normalise_zone_name(line.owner);
    if (!zone)
        return fail(error_at(key_file, 0, fmt::format("'{}' is not a zone name", excerpt(line.owner))));
    out.zone = std::move(*zone);
    out.ttl = line.ttl;
    auto algorithm = crypto::algorithm_from_text(std::to_string(line.algorithm));
    if (!algorithm)
        return fail(error_at(key_file, 0, fmt::format("DNSSEC algorithm {} is not one Signet signs with", line.algorithm)));
    KeyEntry& key = out.key;
    key.algorithm = *algorithm;
    key.flags = line.flags;
    if (!(key.flags & crypto::dnskey_flag_zone))
        return fail(error_at(key_file, 0, "the DNSKEY is not a zone key (flags without 256)"));
    if (key.flags & crypto::dnskey_flag_revoke)
        return fail(error_at(key_file, 0, "a revoked key (RFC 5011) cannot be carried over"));
    key.dnskey_rdata = crypto::make_dnskey_rdata(key.flags, key.algorithm, line.public_key);
    key.key_tag = crypto::key_tag(key.dnskey_rdata);
    if (auto said = name_says(key_file); said && (said->first != line.algorithm || said->second != key.key_tag))
        return fail(error_at(key_file, 0,
                             fmt::format("the file is named for algorithm {} key {}, its DNSKEY is algorithm {} key {}",
                                         said->first, said->second, line.algorithm, key.key_tag)));
    if (crypto::is_rsa(key.algorithm)) {
        auto fields = crypto::parse_dnskey(key.dnskey_rdata);
        std::string_view pk = fields->public_key;
        size_t exponent = pk.empty() ? 0 : static_cast<uint8_t>(pk[0]);
        size_t at = 1;
        if (exponent == 0 && pk.size() >= 3) {
            exponent = (static_cast<uint8_t>(pk[1]) << 8) | static_cast<uint8_t>(pk[2]);
            at = 3;
        }
        if (pk.size() <= at + exponent)
            return fail(error_at(key_file, 0, "the RSA public key is cut short"));
        std::string_view modulus = pk.substr(at + exponent);
        while (!modulus.empty() && modulus.front() == '\0')
            modulus.remove_prefix(1);
        key.bits = static_cast<unsigned>(modulus.size() * 8);
        if (!modulus.empty())
            key.bits -= std::countl_zero(static_cast<uint8_t>(modulus.front()));
    } else {
        key.bits = crypto::fixed_key_bits(key.algorithm);
    }
    key.role = role ? *role : (key.flags & crypto::dnskey_flag_sep) ? KeyRole::KSK : KeyRole::ZSK;
    key.created = now;
    key.goal = KeyGoal::Present;

    fs::path state_file = beside(key_file, ".state");
    std::error_code ec;
    if (fs::exists(state_file, ec)) {
        out.has_state = true;
        SIGNET_TRY(apply_state_file(out, state_file, now));
    } else {
        Fields timing = SIGNET_TRY(read_fields(text, key_file, true));
        SIGNET_TRY(derive_states(out, timing, key_file, policy, now));
    }
    restart_signature_swap(key, now);
    return out;
}

Result<crypto::p11::PrivateKeyParts> read_bind_private_key(const BindKey& bind)
{
    fs::path file = beside(bind.key_file, ".private");
    std::string text = SIGNET_TRY(read_text(file));
    auto fields = read_fields(text, file, false);
    OPENSSL_cleanse(text.data(), text.size());
    if (!fields)
        return fail(fields.error());
    crypto::p11::PrivateKeyParts parts;
    parts.algorithm = bind.key.algorithm;
    auto wipe = [&] {
        for (auto& [name, field] : *fields)
            OPENSSL_cleanse(field.value.data(), field.value.size());
    };
    auto get = [&](std::string_view name, dns::Bytes& into) -> Result<void> {
        auto it = fields->find(name);
        if (it == fields->end())
            return fail(error_at(file, 0, fmt::format("no {}", name)));
        auto decoded = dns::from_base64(it->second.value);
        if (!decoded || decoded->empty())
            return fail(error_at(file, it->second.line, fmt::format("{} is not base64", name)));
        into = std::move(*decoded);
        return {};
    };
    auto read = [&]() -> Result<void> {
        if (auto format = fields->find("Private-key-format");
            format == fields->end() || !format->second.value.starts_with("v1."))
            return fail(error_at(file, format == fields->end() ? 0 : format->second.line,
                                 "not a BIND private key file (Private-key-format: v1.x)"));
        auto algorithm = fields->find("Algorithm");
        unsigned number = 0;
        std::string_view word = algorithm == fields->end() ? std::string_view() : first_word(algorithm->second.value);
        if (algorithm == fields->end() || std::from_chars(word.data(), word.data() + word.size(), number).ec != std::errc()
            || crypto::algorithm_from_text(std::to_string(number)) != bind.key.algorithm)
            return fail(error_at(file, algorithm == fields->end() ? 0 : algorithm->second.line,
                                 fmt::format("the algorithm is not the DNSKEY's ({})",
                                             crypto::algorithm_to_text(bind.key.algorithm))));
        for (const char* hsm : { "Label", "Engine" })
            if (fields->contains(hsm))
                return fail(error_at(file, fields->at(hsm).line,
                                     "the private key is kept in an HSM by BIND (Label/Engine), not in this file: "
                                     "it cannot be read from here"));
        if (crypto::is_rsa(bind.key.algorithm)) {
            SIGNET_TRY(get("Modulus", parts.modulus));
            SIGNET_TRY(get("PublicExponent", parts.public_exponent));
            SIGNET_TRY(get("PrivateExponent", parts.private_exponent));
            SIGNET_TRY(get("Prime1", parts.prime1));
            SIGNET_TRY(get("Prime2", parts.prime2));
            SIGNET_TRY(get("Exponent1", parts.exponent1));
            SIGNET_TRY(get("Exponent2", parts.exponent2));
            SIGNET_TRY(get("Coefficient", parts.coefficient));
        } else {
            SIGNET_TRY(get("PrivateKey", parts.private_value));
            parts.public_key = std::string(crypto::parse_dnskey(bind.key.dnskey_rdata)->public_key);
        }
        return {};
    };
    auto done = read();
    wipe();
    if (!done)
        return fail(done.error());
    return parts;
}

bool done_with(const KeyEntry& key)
{
    return key.goal == KeyGoal::Absent
        && std::ranges::all_of(std::array { key.dnskey, key.krrsig, key.zrrsig, key.ds }, [](const auto& s) {
               return s.state == RecordState::Hidden || s.state == RecordState::NotApplicable;
           });
}

void restart_signature_swap(KeyEntry& key, TimePoint now)
{
    if (key.zrrsig.state == RecordState::Rumoured || key.zrrsig.state == RecordState::Unretentive)
        key.zrrsig.since = std::max(key.zrrsig.since, now);
}

std::optional<uint32_t> published_serial(const fs::path& signed_zone, std::string_view zone)
{
    auto file = open_regular_file(signed_zone);
    if (!file)
        return std::nullopt;
    // The head of the file is enough; the entry cut at its end is not read.
    std::string head(64 * 1024, '\0');
    ssize_t got = ::read(file->fd.get(), head.data(), head.size());
    if (got <= 0)
        return std::nullopt;
    head.resize(static_cast<size_t>(got));
    if (head.size() == 64 * 1024)
        head.resize(head.rfind('\n') == std::string::npos ? 0 : head.rfind('\n') + 1);
    auto apex = dns::Name::from_text(zone, dns::Name());
    if (!apex)
        return std::nullopt;
    std::optional<uint32_t> serial;
    dns::Diagnostics diagnostics;
    dns::read_master_text(head, signed_zone.string(), *apex, [&](const dns::RecordView& record) {
        if (!serial && record.type == dns::RRType::SOA && record.owner == apex->view() && record.rdata.size() >= 20) {
            std::string_view fields = record.rdata.substr(record.rdata.size() - 20);
            serial = (uint32_t(uint8_t(fields[0])) << 24) | (uint32_t(uint8_t(fields[1])) << 16)
                | (uint32_t(uint8_t(fields[2])) << 8) | uint32_t(uint8_t(fields[3]));
        }
    }, diagnostics);
    return serial;
}

namespace {

// The .key files of `dir`, by zone.
Result<std::map<std::string, std::vector<fs::path>>> key_files_by_zone(const fs::path& dir)
{
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec)
        return fail(ErrorCode::Io, fmt::format("{}: {}", dir.string(), ec.message()));
    std::map<std::string, std::vector<fs::path>> out;
    for (const auto& entry : it) {
        std::string name = entry.path().filename().string();
        if (!name.starts_with("K") || !name.ends_with(".key") || !entry.is_regular_file(ec))
            continue;
        size_t plus = name.rfind('+', name.rfind('+') - 1);
        if (plus == std::string::npos || plus < 2)
            continue;
        auto zone = enforcer::normalise_zone_name(name.substr(1, plus - 1));
        if (!zone)
            continue;
        out[*zone].push_back(entry.path());
    }
    for (auto& [zone, files] : out)
        std::ranges::sort(files);
    return out;
}

std::string layout_text(enforcer::KeyLayout layout) { return std::string(enforcer::key_layout_to_text(layout)); }

// Reads the keys of one registered zone and says what stands in the way.
ImportedZone plan_zone(Context& context, const enforcer::ZoneEntry& zone, const std::vector<fs::path>& files,
                       TimePoint now)
{
    ImportedZone out;
    out.zone = zone.name;
    out.policy = zone.policy;
    out.files = files;
    auto policy = context.policy(zone.policy);
    if (!policy) {
        out.problems.push_back(policy.error().to_string());
        return out;
    }
    auto stored = context.db.keys_of(zone.id);
    if (!stored)
        out.problems.push_back(stored.error().to_string());
    else if (std::ranges::any_of(*stored, [](const KeyEntry& k) { return !k.removed; }))
        out.problems.push_back("the zone has keys in Signet already: only a zone without keys takes imported ones");
    if (files.empty())
        out.problems.push_back("no key files for the zone in the directory");
    std::vector<BindKey> keys;
    for (const auto& file : files) {
        auto key = read_bind_key(file, **policy, now);
        if (!key) {
            out.problems.push_back(key.error().to_string());
            continue;
        }
        if (key->zone != zone.name) {
            out.problems.push_back(fmt::format("{}: the key is for zone '{}'", file.string(), key->zone));
            continue;
        }
        auto private_key = read_bind_private_key(*key);
        if (!private_key)
            out.problems.push_back(private_key.error().to_string());
        if (key->removed) {
            out.notes.push_back(fmt::format("{}: BIND is done with it (nothing of it published or cached): left out",
                                            enforcer::key_name(key->key)));
            continue;
        }
        keys.push_back(std::move(*key));
    }
    // Keys from dnssec-keygen alone: with no ZSK beside them, SEP keys sign
    // everything, as BIND does then.
    if (std::ranges::none_of(keys, [](const BindKey& k) { return k.has_state || k.key.role == KeyRole::ZSK; })) {
        for (auto& key : keys) {
            auto csk = read_bind_key(key.key_file, **policy, now, KeyRole::CSK);
            if (csk)
                key = std::move(*csk);
        }
    }
    for (auto& key : keys) {
        key.key.zone_id = zone.id; // the first keys' lives are spread by zone (enforcer::first_life_spread)
        out.notes.insert(out.notes.end(), key.notes.begin(), key.notes.end());
        if (key.ttl && std::chrono::seconds(*key.ttl) > (*policy)->dnskey_ttl)
            out.dnskey_ttl = std::max(out.dnskey_ttl.value_or(0), *key.ttl);
        const auto& entry = key.key;
        if (entry.goal != KeyGoal::Present)
            continue;
        if (entry.algorithm != (*policy)->algorithm)
            out.problems.push_back(fmt::format("{}: policy '{}' signs with {}: choose a policy with algorithm = \"{}\", "
                                               "or the zone would roll its algorithm at once",
                                               enforcer::key_name(entry), zone.policy,
                                               crypto::algorithm_to_text((*policy)->algorithm),
                                               crypto::algorithm_to_text(entry.algorithm)));
        const bool csk = entry.role == KeyRole::CSK;
        if (csk != ((*policy)->keys == enforcer::KeyLayout::Csk))
            out.problems.push_back(fmt::format("{}: policy '{}' has keys = \"{}\": choose one with keys = \"{}\", "
                                               "or the zone would roll its keys at once",
                                               enforcer::key_name(entry), zone.policy, layout_text((*policy)->keys),
                                               csk ? "csk" : "ksk+zsk"));
        if (crypto::is_rsa(entry.algorithm) && entry.bits != (*policy)->rsa_bits)
            out.notes.push_back(fmt::format("{}: {} bits; its successor will have the policy's {}",
                                            enforcer::key_name(entry), entry.bits, (*policy)->rsa_bits));
        auto role_lifetime = entry.role == KeyRole::KSK ? (*policy)->ksk_lifetime
            : entry.role == KeyRole::ZSK               ? (*policy)->zsk_lifetime
                                                       : (*policy)->csk_lifetime;
        if (key.has_state && key.lifetime != role_lifetime)
            out.notes.push_back(fmt::format("{}: BIND's lifetime {} is not carried: policy '{}' says {}",
                                            enforcer::key_name(entry),
                                            key.lifetime ? format_duration(*key.lifetime) : "unlimited", zone.policy,
                                            role_lifetime ? format_duration(*role_lifetime) : "unlimited"));
        out.keys.push_back(entry);
        out.key_files.push_back(key.key_file);
    }
    for (auto& key : keys) {
        if (key.key.goal != KeyGoal::Present) {
            out.keys.push_back(key.key);
            out.key_files.push_back(key.key_file);
        }
    }
    if (out.dnskey_ttl)
        out.notes.push_back(fmt::format("BIND's DNSKEY TTL {} is above the policy's {}: Signet times its rollovers with "
                                        "{} until caches can no longer hold it",
                                        *out.dnskey_ttl, (*policy)->dnskey_ttl.count(), *out.dnskey_ttl));
    out.serial = published_serial(zone.output, zone.name);
    if (out.serial && (!zone.serial || *out.serial != *zone.serial))
        out.notes.push_back(fmt::format("the output {} has serial {}: Signet's serials continue above it",
                                        zone.output.string(), *out.serial));
    if (out.keys.empty() && out.problems.empty())
        out.problems.push_back("no key of the zone is in use");
    else if (out.problems.empty() && !enforcer::is_valid_dnssec_state(out.keys))
        out.problems.push_back("the states BIND recorded do not make a chain of trust that validates: "
                               "import when BIND has taken the zone to a stable state");
    return out;
}

} // namespace

Result<ImportReport> import_bind(Context& context, const BindImportOptions& options, const Clock& clock)
{
    const TimePoint now = clock.now();
    auto by_zone = SIGNET_TRY(key_files_by_zone(options.key_dir));
    ImportReport report;
    std::vector<enforcer::ZoneEntry> zones;
    if (options.zones.empty()) {
        for (const auto& [name, files] : by_zone) {
            auto zone = SIGNET_TRY(context.db.find_zone(name));
            if (zone)
                zones.push_back(std::move(*zone));
            else
                report.left_out.push_back(name);
        }
        if (zones.empty())
            return fail(ErrorCode::NotFound, fmt::format("{}: no key files of a registered zone", options.key_dir.string()));
    } else {
        std::set<std::string> asked;
        for (const auto& name : options.zones) {
            auto zone = SIGNET_TRY(context.zone(name));
            if (asked.insert(zone.name).second)
                zones.push_back(std::move(zone));
        }
        for (const auto& [name, files] : by_zone)
            if (!asked.contains(name))
                report.left_out.push_back(name);
    }
    bool clean = true;
    for (const auto& zone : zones) {
        auto it = by_zone.find(zone.name);
        report.zones.push_back(plan_zone(context, zone, it == by_zone.end() ? std::vector<fs::path>() : it->second, now));
        clean = clean && report.zones.back().problems.empty();
    }
    if (!clean || options.dry_run)
        return report;

    // Each key goes into the token under a locator recorded first as an
    // intent (committed), so that a run killed before the store commits
    // leaves only objects `signet key gc` destroys.
    crypto::p11::KeyStore& token = *SIGNET_TRY(context.token());
    std::vector<std::string> made;
    auto undo = [&](Error error) -> Result<ImportReport> {
        for (const auto& locator : made)
            (void)forget_key(context, token, locator);
        return fail(std::move(error));
    };
    for (size_t z = 0; z < zones.size(); ++z) {
        for (size_t k = 0; k < report.zones[z].keys.size(); ++k) {
            KeyEntry& key = report.zones[z].keys[k];
            auto locator = crypto::p11::KeyStore::new_locator();
            if (!locator)
                return undo(locator.error());
            if (auto intent = context.db.add_key_intent(*locator, zones[z].id, now); !intent)
                return undo(intent.error());
            made.push_back(*locator);
            BindKey bind;
            bind.key_file = report.zones[z].key_files[k];
            bind.key = key;
            auto parts = read_bind_private_key(bind);
            if (!parts)
                return undo(parts.error());
            auto imported = token.import(*parts, fmt::format("{} {}", zones[z].name, enforcer::key_role_to_text(key.role)),
                                         *locator);
            if (!imported)
                return undo(imported.error().with_context(fmt::format("{} of zone '{}'", enforcer::key_name(key), zones[z].name)));
            if (crypto::make_dnskey_rdata(key.flags, key.algorithm, imported->public_key) != key.dnskey_rdata)
                return undo(Error(ErrorCode::Crypto, fmt::format("{} of zone '{}': the token holds another public key",
                                                                 enforcer::key_name(key), zones[z].name)));
            key.locator = *locator;
            key.zone_id = zones[z].id;
        }
    }
    auto stored = context.db.transaction([&]() -> Result<void> {
        for (size_t z = 0; z < zones.size(); ++z) {
            auto& imported = report.zones[z];
            for (auto& key : imported.keys) {
                key.id = SIGNET_TRY(context.db.add_key(key));
                SIGNET_TRY(context.db.remove_key_intent(key.locator));
                SIGNET_TRY(context.db.add_event({ 0, zones[z].id, key.id, now, "import",
                                                  fmt::format("{} imported from {}", enforcer::key_name(key),
                                                              options.key_dir.string()) }));
            }
            enforcer::ZoneEntry zone = zones[z];
            if (imported.serial && (!zone.serial || signer::serial_greater(*imported.serial, *zone.serial)))
                zone.serial = imported.serial;
            if (imported.dnskey_ttl)
                zone.dnskey_ttl = { imported.dnskey_ttl, std::nullopt };
            SIGNET_TRY(context.db.update_zone(zone));
        }
        return {};
    });
    if (!stored)
        return undo(stored.error());
    report.imported = true;
    return report;
}

} // namespace signet::app
