#include <signet/app/import.h>

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <pugixml.hpp>

#include <signet/app/zones.h>
#include <signet/base/atomic_file.h>
#include <signet/base/duration.h>
#include <signet/base/excerpt.h>
#include <signet/base/hex.h>
#include <signet/base/regular_file.h>
#include <signet/crypto/dnssec.h>
#include <signet/dns/rdata.h>
#include <signet/enforcer/keystate.h>
#include <signet/enforcer/sqlite.h>
#include <signet/signer/plan.h>

namespace signet::app {

namespace fs = std::filesystem;
namespace sqlite = enforcer::sqlite;
using enforcer::DsAtParent;
using enforcer::KeyEntry;
using enforcer::KeyGoal;
using enforcer::KeyRole;
using enforcer::RecordState;

namespace {

// OpenDNSSEC 2.x's enumerations as its enforcer stores them in kasp.db.
constexpr int ods_role_ksk = 1, ods_role_zsk = 2, ods_role_csk = 3;
constexpr int ods_state_ds = 0, ods_state_rrsig = 1, ods_state_dnskey = 2, ods_state_rrsigdnskey = 3;
constexpr int ods_denial_nsec = 0, ods_denial_nsec3 = 1;

std::optional<RecordState> ods_record_state(int64_t code)
{
    switch (code) {
    case 0: return RecordState::Hidden;
    case 1: return RecordState::Rumoured;
    case 2: return RecordState::Omnipresent;
    case 3: return RecordState::Unretentive;
    case 4: return RecordState::NotApplicable;
    default: return std::nullopt;
    }
}

std::optional<enforcer::SerialPolicy> ods_serial(int64_t code)
{
    switch (code) {
    case 0: return enforcer::SerialPolicy::Counter;
    case 1: return enforcer::SerialPolicy::Datecounter;
    case 2: return enforcer::SerialPolicy::Unixtime;
    case 3: return enforcer::SerialPolicy::Keep;
    default: return std::nullopt;
    }
}

struct Repository {
    std::string name;
    fs::path module;
    std::string token;
    std::optional<std::string> pin; // conf.xml may hold it
};

struct OdsConf {
    std::vector<Repository> repositories;
    fs::path database; // the enforcer's SQLite file
};

constexpr uint64_t max_conf_size = 4 << 20;

Result<std::string> read_small_file(const fs::path& file)
{
    auto text = read_regular_file(file, max_conf_size);
    if (!text)
        return fail(text.error().with_context(file.string()));
    return std::move(*text);
}

Result<pugi::xml_document> read_xml(const fs::path& file)
{
    std::string text = SIGNET_TRY(read_small_file(file));
    pugi::xml_document doc;
    // No entities beyond XML's own are expanded by pugixml, and no DTD is read.
    auto parsed = doc.load_buffer(text.data(), text.size(), pugi::parse_default, pugi::encoding_utf8);
    if (!parsed) {
        auto line = static_cast<uint32_t>(std::count(text.begin(), text.begin() + std::min<ptrdiff_t>(parsed.offset, text.size()), '\n') + 1);
        return fail(Error(ErrorCode::Parse, fmt::format("not XML: {}", parsed.description()),
                          SourceLocation { file.string(), line, 0 }));
    }
    return doc;
}

std::string trimmed(const pugi::xml_node& node)
{
    std::string text = node.text().get();
    auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos)
        return {};
    return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

Result<OdsConf> read_conf(const fs::path& file)
{
    auto doc = SIGNET_TRY(read_xml(file));
    OdsConf out;
    auto config = doc.child("Configuration");
    if (!config)
        return fail(Error(ErrorCode::Parse, "not an OpenDNSSEC conf.xml (no <Configuration>)", SourceLocation { file.string(), 0, 0 }));
    for (auto node : config.child("RepositoryList").children("Repository")) {
        Repository repository;
        repository.name = node.attribute("name").value();
        repository.module = trimmed(node.child("Module"));
        repository.token = trimmed(node.child("TokenLabel"));
        if (node.child("PIN"))
            repository.pin = trimmed(node.child("PIN"));
        out.repositories.push_back(std::move(repository));
    }
    auto datastore = config.child("Enforcer").child("Datastore");
    if (datastore.child("MySQL"))
        return fail(ErrorCode::Config, fmt::format("{}: the enforcer keeps its keys in MySQL; convert the database to "
                                                   "SQLite first (OpenDNSSEC's convert_mysql_to_sqlite)",
                                                   file.string()));
    out.database = trimmed(datastore.child("SQLite"));
    if (out.database.empty())
        return fail(ErrorCode::Config, fmt::format("{}: no <Enforcer><Datastore><SQLite> file", file.string()));
    if (out.database.is_relative())
        out.database = file.parent_path() / out.database;
    return out;
}

// One policy of kasp.db, as a Signet policy with what has no counterpart.
struct PolicyRow {
    int64_t id = 0;
    std::string name;
    enforcer::Policy policy;
    std::vector<std::string> notes;
    std::vector<std::string> problems;
    std::string repository;
    std::optional<std::string> salt; // hex
    std::optional<TimePoint> salt_changed;
};

Duration seconds(int64_t value) { return Duration(std::max<int64_t>(0, value)); }

Result<std::map<int64_t, PolicyRow>> read_policies(sqlite::Db& db)
{
    std::map<int64_t, PolicyRow> out;
    auto query = SIGNET_TRY(db.prepare(
        "SELECT id, name, signaturesResign, signaturesRefresh, signaturesJitter, signaturesInceptionOffset, "
        "signaturesValidityDefault, signaturesValidityDenial, signaturesValidityKeyset, signaturesMaxZoneTtl, "
        "denialType, denialOptout, denialTtl, denialResalt, denialAlgorithm, denialIterations, denialSaltLength, "
        "denialSalt, denialSaltLastChange, keysTtl, keysRetireSafety, keysPublishSafety, keysShared, keysPurgeAfter, "
        "zonePropagationDelay, zoneSoaTtl, zoneSoaMinimum, zoneSoaSerial, parentRegistrationDelay, "
        "parentPropagationDelay, parentDsTtl, passthrough FROM policy"));
    while (SIGNET_TRY(query.step())) {
        PolicyRow row;
        row.id = query.column_int(0);
        row.name = query.column_text(1);
        enforcer::Policy& p = row.policy;
        p.signature_resign_interval = seconds(query.column_int(2));
        p.signature_refresh = seconds(query.column_int(3));
        p.signature_jitter = seconds(query.column_int(4));
        p.signature_inception_offset = seconds(query.column_int(5));
        p.signature_validity = seconds(query.column_int(6));
        if (query.column_int(7) != query.column_int(6))
            row.notes.push_back(fmt::format("policy {}: the validity of denial signatures ({}) is not carried: Signet "
                                            "gives every signature {}",
                                            row.name, format_duration(seconds(query.column_int(7))),
                                            format_duration(p.signature_validity)));
        if (!query.column_is_null(8) && query.column_int(8) > 0 && query.column_int(8) != query.column_int(6))
            row.notes.push_back(fmt::format("policy {}: the validity of DNSKEY signatures ({}) is not carried",
                                            row.name, format_duration(seconds(query.column_int(8)))));
        p.max_zone_ttl = seconds(query.column_int(9));
        const int64_t denial = query.column_int(10);
        if (denial == ods_denial_nsec) {
            p.denial = enforcer::Denial::Nsec;
        } else if (denial == ods_denial_nsec3) {
            p.denial = enforcer::Denial::Nsec3;
            p.nsec3_opt_out = query.column_int(11) != 0;
            if (query.column_int(12) != 0)
                row.notes.push_back(fmt::format("policy {}: the NSEC3PARAM TTL ({} s) is not carried: Signet uses 0",
                                                row.name, query.column_int(12)));
            if (query.column_int(13) > 0)
                p.nsec3_resalt = seconds(query.column_int(13));
            if (query.column_int(14) != 1)
                row.problems.push_back(fmt::format("policy {}: NSEC3 hash algorithm {} is not SHA-1", row.name,
                                                   query.column_int(14)));
            p.nsec3_iterations = static_cast<unsigned>(std::max<int64_t>(0, query.column_int(15)));
            p.nsec3_salt_length = static_cast<unsigned>(std::max<int64_t>(0, query.column_int(16)));
            if (!query.column_text(17).empty())
                row.salt = query.column_text(17);
            if (query.column_int(18) > 0)
                row.salt_changed = TimePoint(seconds(query.column_int(18)));
        } else {
            row.problems.push_back(fmt::format("policy {}: denial type {} is unknown", row.name, denial));
        }
        p.dnskey_ttl = seconds(query.column_int(19));
        p.retire_safety = seconds(query.column_int(20));
        p.publish_safety = seconds(query.column_int(21));
        if (query.column_int(22) != 0)
            row.problems.push_back(fmt::format("policy {}: <ShareKeys/>: keys shared between zones cannot be carried "
                                               "(Signet destroys a zone's key when that zone is done with it)",
                                               row.name));
        if (query.column_int(23) > 0)
            row.notes.push_back(fmt::format("policy {}: <Purge> ({}) is not carried: Signet destroys a key once it has "
                                            "left every cache",
                                            row.name, format_duration(seconds(query.column_int(23)))));
        p.zone_propagation_delay = seconds(query.column_int(24));
        p.soa_ttl = seconds(query.column_int(25));
        p.soa_minimum = seconds(query.column_int(26));
        auto serial = ods_serial(query.column_int(27));
        if (serial)
            p.serial = *serial;
        else
            row.problems.push_back(fmt::format("policy {}: SOA serial kind {} is unknown", row.name, query.column_int(27)));
        p.parent_registration_delay = seconds(query.column_int(28));
        p.parent_propagation_delay = seconds(query.column_int(29));
        p.parent_ds_ttl = seconds(query.column_int(30));
        if (query.column_int(31) != 0)
            row.problems.push_back(fmt::format("policy {}: <Passthrough/> (publishing unsigned) has no counterpart",
                                               row.name));
        // OpenDNSSEC 2.1 publishes no CDS/CDNSKEY: neither does the imported policy.
        p.cds = false;
        out.emplace(row.id, std::move(row));
    }
    // The keys of each policy: its layout, algorithm, sizes and lifetimes.
    auto keys = SIGNET_TRY(db.prepare("SELECT policyId, role, algorithm, bits, lifetime, repository, standby, "
                                      "manualRollover, rfc5011 FROM policyKey ORDER BY policyId, role"));
    std::map<int64_t, std::vector<int>> roles;
    while (SIGNET_TRY(keys.step())) {
        auto it = out.find(keys.column_int(0));
        if (it == out.end())
            continue;
        PolicyRow& row = it->second;
        enforcer::Policy& p = row.policy;
        const int role = static_cast<int>(keys.column_int(1));
        roles[row.id].push_back(role);
        auto algorithm = crypto::algorithm_from_text(std::to_string(keys.column_int(2)));
        if (!algorithm) {
            row.problems.push_back(fmt::format("policy {}: algorithm {} is not one Signet signs with", row.name,
                                               keys.column_int(2)));
            continue;
        }
        if (roles[row.id].size() > 1 && *algorithm != p.algorithm)
            row.problems.push_back(fmt::format("policy {}: keys of two algorithms; Signet's policy has one", row.name));
        p.algorithm = *algorithm;
        if (crypto::is_rsa(*algorithm)) {
            // Signet makes every RSA key of a policy one size, and none
            // below 2048 bits; a smaller key still signs until its successor.
            const auto bits = static_cast<unsigned>(keys.column_int(3));
            if (bits < 2048)
                row.notes.push_back(fmt::format("policy {}: its {}-bit {} keys do not match the policy's {} bits (Signet "
                                                "makes none below 2048): they are rolled over at once, safely",
                                                row.name, bits, role == ods_role_ksk ? "KSK" : role == ods_role_zsk ? "ZSK" : "CSK",
                                                std::max(2048u, p.rsa_bits)));
            p.rsa_bits = std::max({ roles[row.id].size() > 1 ? p.rsa_bits : 0u, bits, 2048u });
        }
        std::optional<Duration> lifetime;
        if (keys.column_int(7) != 0)
            row.notes.push_back(fmt::format("policy {}: <ManualRollover/>: the lifetime is unlimited; roll with "
                                            "`signet key rollover`",
                                            row.name));
        else if (keys.column_int(4) > 0)
            lifetime = seconds(keys.column_int(4));
        (role == ods_role_ksk ? p.ksk_lifetime : role == ods_role_zsk ? p.zsk_lifetime : p.csk_lifetime) = lifetime;
        if (row.repository.empty())
            row.repository = keys.column_text(5);
        else if (row.repository != keys.column_text(5))
            row.problems.push_back(fmt::format("policy {}: keys in two repositories; Signet uses one token", row.name));
        if (keys.column_int(6) > 0)
            row.notes.push_back(fmt::format("policy {}: {} standby key(s) are not carried", row.name, keys.column_int(6)));
        if (keys.column_int(8) != 0)
            row.notes.push_back(fmt::format("policy {}: RFC 5011 revocation is not carried", row.name));
    }
    for (auto& [id, row] : out) {
        auto& r = roles[id];
        std::ranges::sort(r);
        if (r == std::vector<int> { ods_role_ksk, ods_role_zsk })
            row.policy.keys = enforcer::KeyLayout::KskZsk;
        else if (r == std::vector<int> { ods_role_csk })
            row.policy.keys = enforcer::KeyLayout::Csk;
        else
            row.problems.push_back(fmt::format("policy {}: its keys are not one KSK and one ZSK, nor one CSK", row.name));
        if (row.policy.keys == enforcer::KeyLayout::Csk) {
            row.policy.ksk_lifetime.reset();
            row.policy.zsk_lifetime.reset();
        } else {
            row.policy.csk_lifetime.reset();
        }
    }
    return out;
}

struct ZoneRow {
    int64_t id = 0;
    std::string name; // normalised
    int64_t policy_id = 0;
    fs::path signconf;
    std::string input_type, input, output_type, output;
};

Result<std::vector<ZoneRow>> read_zones(sqlite::Db& db)
{
    std::vector<ZoneRow> out;
    auto query = SIGNET_TRY(db.prepare("SELECT id, name, policyId, signconfPath, inputAdapterType, inputAdapterUri, "
                                       "outputAdapterType, outputAdapterUri FROM zone ORDER BY name"));
    while (SIGNET_TRY(query.step())) {
        ZoneRow row { query.column_int(0), query.column_text(1), query.column_int(2), query.column_text(3),
                      query.column_text(4), query.column_text(5), query.column_text(6), query.column_text(7) };
        auto name = enforcer::normalise_zone_name(row.name);
        if (!name)
            return fail(ErrorCode::Parse, fmt::format("{}: zone '{}' is not a zone name", db.path(), excerpt(row.name)));
        row.name = std::move(*name);
        out.push_back(std::move(row));
    }
    return out;
}

struct OdsKey {
    KeyEntry key;
    std::string repository;
};

// The keys of one zone with their states.
Result<std::vector<OdsKey>> read_keys(sqlite::Db& db, int64_t zone_id, TimePoint now, std::vector<std::string>& problems)
{
    std::vector<OdsKey> out;
    auto query = SIGNET_TRY(db.prepare(
        "SELECT k.id, k.algorithm, k.inception, k.role, k.introducing, k.shouldRevoke, k.dsAtParent, k.keytag, "
        "h.locator, h.bits, h.repository FROM keyData k JOIN hsmKey h ON h.id = k.hsmKeyId WHERE k.zoneId = ? "
        "ORDER BY k.inception, k.id"));
    query.bind_int(1, zone_id);
    std::map<int64_t, size_t> by_id;
    while (SIGNET_TRY(query.step())) {
        OdsKey k;
        KeyEntry& key = k.key;
        auto algorithm = crypto::algorithm_from_text(std::to_string(query.column_int(1)));
        const int role = static_cast<int>(query.column_int(3));
        if (!algorithm || (role != ods_role_ksk && role != ods_role_zsk && role != ods_role_csk)) {
            problems.push_back(fmt::format("key {}: algorithm {} or role {} cannot be carried", query.column_int(7),
                                           query.column_int(1), role));
            continue;
        }
        key.algorithm = *algorithm;
        key.created = TimePoint(seconds(query.column_int(2)));
        key.role = role == ods_role_ksk ? KeyRole::KSK : role == ods_role_zsk ? KeyRole::ZSK : KeyRole::CSK;
        key.flags = key.role == KeyRole::ZSK ? crypto::dnskey_flag_zone : crypto::dnskey_flag_zone | crypto::dnskey_flag_sep;
        key.goal = query.column_int(4) != 0 ? KeyGoal::Present : KeyGoal::Absent;
        if (query.column_int(5) != 0)
            problems.push_back(fmt::format("key {}: to be revoked (RFC 5011), which Signet does not do", query.column_int(7)));
        int64_t ds = query.column_int(6);
        if (ds == 6)
            ds = 0; // "gone": its removal confirmed, as unsubmitted
    if (ds < 0 || ds > 5) {
            problems.push_back(fmt::format("key {}: dsAtParent {} is unknown", query.column_int(7), ds));
            continue;
        }
        key.ds_at_parent = static_cast<DsAtParent>(ds); // the same six steps, in the same order
        key.key_tag = static_cast<uint16_t>(query.column_int(7));
        key.locator = query.column_text(8);
        std::ranges::transform(key.locator, key.locator.begin(), [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
        key.bits = static_cast<unsigned>(query.column_int(9));
        k.repository = query.column_text(10);
        by_id[query.column_int(0)] = out.size();
        out.push_back(std::move(k));
    }
    auto states = SIGNET_TRY(db.prepare("SELECT s.keyDataId, s.type, s.state, s.lastChange FROM keyState s JOIN keyData k "
                                        "ON k.id = s.keyDataId WHERE k.zoneId = ?"));
    states.bind_int(1, zone_id);
    std::map<int64_t, int> seen;
    while (SIGNET_TRY(states.step())) {
        auto it = by_id.find(states.column_int(0));
        if (it == by_id.end())
            continue;
        KeyEntry& key = out[it->second].key;
        auto state = ods_record_state(states.column_int(2));
        if (!state) {
            problems.push_back(fmt::format("key {}: record state {} is unknown", key.key_tag, states.column_int(2)));
            continue;
        }
        enforcer::RecordStatus status { *state, TimePoint(seconds(states.column_int(3))) };
        switch (states.column_int(1)) {
        case ods_state_ds: key.ds = status; break;
        case ods_state_rrsig: key.zrrsig = status; break;
        case ods_state_dnskey: key.dnskey = status; break;
        case ods_state_rrsigdnskey: key.krrsig = status; break;
        default: problems.push_back(fmt::format("key {}: record type {} is unknown", key.key_tag, states.column_int(1))); continue;
        }
        ++seen[states.column_int(0)];
    }
    for (const auto& [id, index] : by_id) {
        KeyEntry& key = out[index].key;
        if (seen[id] != 4)
            problems.push_back(fmt::format("key {}: {} of its 4 record states are in the database", key.key_tag, seen[id]));
        restart_signature_swap(key, now);
        // OpenDNSSEC keeps the records a role never has as NA; Signet too.
        auto in_use = [](const enforcer::RecordStatus& s) {
            return s.state != RecordState::Hidden && s.state != RecordState::NotApplicable;
        };
        if (in_use(key.dnskey))
            key.published = key.dnskey.since;
        // The lifetime runs from the key's inception in OpenDNSSEC.
        if (in_use(key.zrrsig) || in_use(key.krrsig))
            key.active = key.created;
        if (key.goal == KeyGoal::Absent && key.active)
            key.retired = std::min(key.zrrsig.state == RecordState::Unretentive ? key.zrrsig.since : TimePoint::max(),
                                   key.krrsig.state == RecordState::Unretentive ? key.krrsig.since : TimePoint::max());
        if (key.retired == TimePoint::max())
            key.retired.reset();
    }
    return out;
}

// The DNSKEYs the enforcer gave the signer, by locator: signconf's
// <Key><Locator> and <ResourceRecord> (the DNSKEY RR, wire form, base64).
std::map<std::string, dns::Bytes> signconf_dnskeys(const fs::path& signconf)
{
    std::map<std::string, dns::Bytes> out;
    auto doc = read_xml(signconf);
    if (!doc)
        return out;
    for (auto key : doc->child("SignerConfiguration").child("Zone").child("Keys").children("Key")) {
        std::string locator = trimmed(key.child("Locator"));
        std::ranges::transform(locator, locator.begin(), [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
        auto rr = dns::from_base64(trimmed(key.child("ResourceRecord")));
        if (!rr)
            continue;
        // owner (uncompressed labels), type, class, TTL, RDLENGTH, RDATA
        size_t at = 0;
        while (at < rr->size() && (*rr)[at] != '\0')
            at += 1 + static_cast<uint8_t>((*rr)[at]);
        at += 1 + 10;
        if (at < rr->size())
            out[locator] = rr->substr(at);
    }
    return out;
}

std::string toml_string(std::string_view text)
{
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string toml_duration(const std::optional<Duration>& d, std::string_view none)
{
    return d ? toml_string(format_duration(*d)) : toml_string(none);
}

// A [policy.NAME] table with every setting an imported policy carries.
std::string policy_toml(const std::string& name, const enforcer::Policy& p)
{
    std::string algorithm(crypto::algorithm_to_text(p.algorithm));
    std::ranges::transform(algorithm, algorithm.begin(), [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
    std::string out = fmt::format("\n[policy.{}]                  # imported from OpenDNSSEC\n", toml_string(name));
    out += fmt::format("algorithm = {}\n", toml_string(algorithm));
    if (crypto::is_rsa(p.algorithm))
        out += fmt::format("rsa-bits = {}\n", p.rsa_bits);
    out += fmt::format("keys = {}\n", toml_string(enforcer::key_layout_to_text(p.keys)));
    if (p.keys == enforcer::KeyLayout::Csk) {
        out += fmt::format("csk-lifetime = {}\n", toml_duration(p.csk_lifetime, "unlimited"));
    } else {
        out += fmt::format("ksk-lifetime = {}\n", toml_duration(p.ksk_lifetime, "unlimited"));
        out += fmt::format("zsk-lifetime = {}\n", toml_duration(p.zsk_lifetime, "unlimited"));
    }
    for (auto [key, value] : { std::pair { "dnskey-ttl", p.dnskey_ttl }, { "max-zone-ttl", p.max_zone_ttl },
                               { "zone-propagation-delay", p.zone_propagation_delay }, { "parent-ds-ttl", p.parent_ds_ttl },
                               { "parent-propagation-delay", p.parent_propagation_delay },
                               { "parent-registration-delay", p.parent_registration_delay },
                               { "publish-safety", p.publish_safety }, { "retire-safety", p.retire_safety },
                               { "signature-validity", p.signature_validity }, { "signature-refresh", p.signature_refresh },
                               { "signature-jitter", p.signature_jitter },
                               { "signature-inception-offset", p.signature_inception_offset },
                               { "signature-resign-interval", p.signature_resign_interval } })
        out += fmt::format("{} = {}\n", key, toml_string(format_duration(value)));
    out += fmt::format("denial = {}\n", toml_string(p.denial == enforcer::Denial::Nsec ? "nsec" : "nsec3"));
    if (p.denial == enforcer::Denial::Nsec3) {
        out += fmt::format("nsec3-iterations = {}\nnsec3-salt-length = {}\nnsec3-opt-out = {}\n", p.nsec3_iterations,
                           p.nsec3_salt_length, p.nsec3_opt_out);
        out += fmt::format("nsec3-resalt = {}\n", toml_duration(p.nsec3_resalt, "unlimited"));
    }
    const char* serial = p.serial == enforcer::SerialPolicy::Keep ? "keep"
        : p.serial == enforcer::SerialPolicy::Counter            ? "counter"
        : p.serial == enforcer::SerialPolicy::Unixtime           ? "unixtime"
                                                                 : "datecounter";
    out += fmt::format("serial = {}\n", toml_string(serial));
    out += fmt::format("soa-ttl = {}\nsoa-minimum = {}\n", toml_duration(p.soa_ttl, "keep"), toml_duration(p.soa_minimum, "keep"));
    out += fmt::format("cds = {}                           # OpenDNSSEC published none\n", p.cds);
    return out;
}

// signet.toml with [hsm] (and [hsm.environment]) replaced by `hsm` and
// `policies` appended.
std::string rewritten_config(std::string_view text, const std::string& hsm, const std::string& policies)
{
    std::string out;
    bool skipping = false, replaced = false;
    for (size_t start = 0; start < text.size();) {
        size_t end = text.find('\n', start);
        end = end == std::string_view::npos ? text.size() : end + 1;
        std::string_view line = text.substr(start, end - start);
        start = end;
        if (line.starts_with("[")) {
            skipping = line.starts_with("[hsm]") || line.starts_with("[hsm.");
            if (skipping && !replaced) {
                out += hsm;
                replaced = true;
            }
        }
        if (!skipping)
            out += line;
    }
    if (!replaced)
        out = hsm + out;
    if (!out.empty() && out.back() != '\n')
        out += '\n';
    return out + policies;
}

} // namespace

Result<ImportReport> import_opendnssec(Context& context, const OdsImportOptions& options, const Clock& clock)
{
    const TimePoint now = clock.now();
    OdsConf conf = SIGNET_TRY(read_conf(options.conf));
    auto db = SIGNET_TRY(sqlite::Db::open_read_only(conf.database));
    auto policies = SIGNET_TRY(read_policies(db));
    auto ods_zones = SIGNET_TRY(read_zones(db));

    ImportReport report;
    std::set<std::string> asked;
    for (const auto& name : options.zones) {
        auto normalised = enforcer::normalise_zone_name(name);
        if (!normalised)
            return fail(ErrorCode::Usage, fmt::format("'{}' is not a zone name", excerpt(name)));
        if (std::ranges::none_of(ods_zones, [&](const ZoneRow& z) { return z.name == *normalised; }))
            return fail(ErrorCode::NotFound, fmt::format("OpenDNSSEC has no zone '{}'", *normalised));
        asked.insert(*normalised);
    }
    std::vector<const ZoneRow*> zones;
    for (const auto& zone : ods_zones) {
        if (asked.empty() || asked.contains(zone.name))
            zones.push_back(&zone);
        else
            report.left_out.push_back(zone.name);
    }
    if (zones.empty())
        return fail(ErrorCode::NotFound, fmt::format("{}: OpenDNSSEC has no zones", conf.database.string()));

    // The one token the keys are in: Signet signs with one.
    std::set<std::string> repository_names;
    std::set<int64_t> policy_ids;
    for (const ZoneRow* zone : zones)
        policy_ids.insert(zone->policy_id);
    for (int64_t id : policy_ids)
        if (policies.contains(id) && !policies.at(id).repository.empty())
            repository_names.insert(policies.at(id).repository);
    std::vector<std::string> global_problems;
    const Repository* repository = nullptr;
    if (repository_names.size() > 1)
        global_problems.push_back(fmt::format("the zones' keys are in {} repositories; Signet signs with one token",
                                              repository_names.size()));
    else if (repository_names.size() == 1) {
        auto it = std::ranges::find(conf.repositories, *repository_names.begin(), &Repository::name);
        if (it == conf.repositories.end())
            global_problems.push_back(fmt::format("repository '{}' is not in {}", *repository_names.begin(),
                                                  options.conf.string()));
        else
            repository = &*it;
    }
    if (!repository && global_problems.empty())
        global_problems.push_back("the zones' policies name no repository for their keys");
    HsmConfig hsm;
    std::optional<std::string> pin;
    if (repository) {
        hsm.module = repository->module;
        hsm.token = repository->token;
        hsm.environment = options.hsm_environment;
        if (options.pin_file) {
            hsm.pin_file = fs::absolute(*options.pin_file);
            auto read = crypto::p11::read_pin(hsm.pin_file, "");
            if (read)
                pin = std::move(*read);
            else
                global_problems.push_back(read.error().to_string());
        } else if (repository->pin && !repository->pin->empty()) {
            hsm.pin_file = context.state_dir / "opendnssec.pin";
            pin = repository->pin;
        } else {
            global_problems.push_back(fmt::format("repository '{}' has no <PIN> in {}: give its PIN in a file "
                                                  "(mode 0600) with --pin-file",
                                                  repository->name, options.conf.string()));
        }
        // Keys of other zones would be left behind in the token Signet uses now.
        const bool other_token = hsm.module != context.config.hsm.module || hsm.token != context.config.hsm.token;
        if (other_token) {
            auto all = SIGNET_TRY(context.db.list_zones());
            for (const auto& zone : all) {
                auto keys = SIGNET_TRY(context.db.keys_of(zone.id));
                if (std::ranges::any_of(keys, [](const KeyEntry& k) { return !k.removed; })) {
                    global_problems.push_back(fmt::format(
                        "Signet's keys are in token '{}' (zone {} has some); OpenDNSSEC's are in token '{}': "
                        "Signet signs with one token",
                        context.config.hsm.token, zone.name, hsm.token));
                    break;
                }
            }
        }
    }
    std::unique_ptr<crypto::p11::KeyStore> token;
    if (repository && pin && global_problems.empty()) {
        auto opened = crypto::p11::KeyStore::open(hsm.token_config(), *pin);
        if (opened)
            token = std::move(*opened);
        else
            global_problems.push_back(opened.error().to_string());
    }

    // Policies: as in kasp.db, under their names (with the prefix).
    std::map<int64_t, std::string> policy_names;
    std::string policies_text;
    for (int64_t id : policy_ids) {
        auto it = policies.find(id);
        if (it == policies.end()) {
            global_problems.push_back(fmt::format("policy id {} is missing from {}", id, conf.database.string()));
            continue;
        }
        PolicyRow& row = it->second;
        std::string name = options.policy_prefix + row.name;
        policy_names[id] = name;
        row.policy.name = name;
        for (auto& p : row.problems)
            global_problems.push_back(p);
        report.notes.insert(report.notes.end(), row.notes.begin(), row.notes.end());
        if (auto existing = context.config.policies.find(name); existing != context.config.policies.end()) {
            if (existing->second == row.policy) {
                report.settings.push_back(fmt::format("policy {}: in signet.toml already, the same", name));
                continue;
            }
            global_problems.push_back(fmt::format("policy '{}' is in signet.toml already, with other settings: remove "
                                                  "it, or import with --policy-prefix (e.g. ods-)",
                                                  name));
            continue;
        }
        if (auto problem = enforcer::find_policy_problem(row.policy))
            global_problems.push_back(fmt::format("policy {}: {}: {}", name, problem->key, problem->message));
        policies_text += policy_toml(name, row.policy);
        report.settings.push_back(fmt::format("policy {}: added to signet.toml", name));
    }

    ZoneList list;
    list.file = conf.database.string();
    for (const ZoneRow* row : zones) {
        ImportedZone out;
        out.zone = row->name;
        out.policy = policy_names.contains(row->policy_id) ? policy_names.at(row->policy_id) : "";
        if (row->input_type != "File" || row->output_type != "File") {
            out.problems.push_back(fmt::format("input {} / output {}: only File adapters can be carried (zone "
                                               "transfers are not there yet)",
                                               row->input_type, row->output_type));
        } else {
            list.zones.push_back({ row->name, fs::absolute(row->input), fs::absolute(row->output), out.policy, {} });
        }
        auto existing = SIGNET_TRY(context.db.find_zone(row->name));
        if (existing) {
            auto keys = SIGNET_TRY(context.db.keys_of(existing->id));
            if (std::ranges::any_of(keys, [](const KeyEntry& k) { return !k.removed; }))
                out.problems.push_back("the zone has keys in Signet already: only a zone without keys takes imported ones");
        }
        auto keys = SIGNET_TRY(read_keys(db, row->id, now, out.problems));
        auto published = signconf_dnskeys(row->signconf);
        for (auto& k : keys) {
            KeyEntry& key = k.key;
            if (repository && k.repository != repository->name)
                out.problems.push_back(fmt::format("{}: in repository '{}', not '{}'", enforcer::key_name(key),
                                                   k.repository, repository->name));
            if (done_with(key)) {
                out.notes.push_back(fmt::format("{}: OpenDNSSEC is done with it: left out", enforcer::key_name(key)));
                continue;
            }
            // Its DNSKEY: the token's public key, else the one signconf gave
            // OpenDNSSEC's signer (<SkipPublicKey/> keeps none in the token).
            std::optional<dns::Bytes> public_key;
            if (token) {
                if (auto from_token = token->public_key(key.locator, key.algorithm))
                    public_key = std::move(*from_token);
            }
            if (!public_key) {
                if (auto it = published.find(key.locator); it != published.end()) {
                    auto fields = crypto::parse_dnskey(it->second);
                    if (fields && fields->algorithm == static_cast<uint8_t>(key.algorithm))
                        public_key = std::string(fields->public_key);
                }
            }
            if (!public_key) {
                if (token)
                    out.problems.push_back(fmt::format("{}: its public key is neither in the token nor in {}",
                                                       enforcer::key_name(key), row->signconf.string()));
                continue;
            }
            key.dnskey_rdata = crypto::make_dnskey_rdata(key.flags, key.algorithm, *public_key);
            if (crypto::key_tag(key.dnskey_rdata) != key.key_tag) {
                out.problems.push_back(fmt::format("{}: its public key has tag {}", enforcer::key_name(key),
                                                   crypto::key_tag(key.dnskey_rdata)));
                continue;
            }
            if (token) {
                if (auto paired = token->check_pair(key.locator, key.algorithm, *public_key); !paired)
                    out.problems.push_back(fmt::format("{}: {}", enforcer::key_name(key), paired.error().to_string()));
            }
            out.keys.push_back(key);
        }
        if (policies.contains(row->policy_id)) {
            const PolicyRow& policy = policies.at(row->policy_id);
            for (const auto& key : out.keys) {
                if (key.goal == KeyGoal::Present && key.algorithm != policy.policy.algorithm)
                    out.notes.push_back(fmt::format("{}: an algorithm rollover to {} is in progress and goes on",
                                                    enforcer::key_name(key),
                                                    crypto::algorithm_to_text(policy.policy.algorithm)));
            }
        }
        out.serial = published_serial(fs::absolute(row->output), row->name);
        if (out.keys.empty() && out.problems.empty())
            out.problems.push_back("OpenDNSSEC has no key of the zone in use (it has not been enforced yet?)");
        else if (out.problems.empty() && !enforcer::is_valid_dnssec_state(out.keys))
            out.problems.push_back("the key states OpenDNSSEC recorded do not make a chain of trust that validates");
        report.zones.push_back(std::move(out));
    }
    report.problems = std::move(global_problems);
    const bool clean = report.problems.empty()
        && std::ranges::all_of(report.zones, [](const ImportedZone& z) { return z.problems.empty(); });
    if (!clean || options.dry_run)
        return report;

    // signet.toml: the token and the policies, checked as Signet will read
    // it, written so that the old one comes back if the store cannot commit.
    std::string config_text = SIGNET_TRY(read_small_file(context.config.path));
    std::string hsm_text = fmt::format("[hsm]                                  # OpenDNSSEC's repository '{}'\n"
                                       "module = {}\ntoken = {}\npin-file = {}\n",
                                       repository->name, toml_string(hsm.module.string()), toml_string(hsm.token),
                                       toml_string(hsm.pin_file.string()));
    if (!hsm.environment.empty()) {
        hsm_text += "\n[hsm.environment]\n";
        for (const auto& [name, value] : hsm.environment)
            hsm_text += fmt::format("{} = {}\n", name, toml_string(value));
    }
    hsm_text += "\n";
    std::string new_config = rewritten_config(config_text, hsm_text, policies_text);
    Config parsed = SIGNET_TRY(parse_config(new_config, context.config.path.string(), context.state_dir));
    report.settings.push_back(fmt::format("[hsm]: token '{}' of {}", hsm.token, hsm.module.string()));
    if (!options.pin_file) {
        auto pin_out = SIGNET_TRY(AtomicFile::create(hsm.pin_file, 0600));
        SIGNET_TRY(pin_out.write(*pin + "\n"));
        SIGNET_TRY(pin_out.commit());
        ::chmod(hsm.pin_file.c_str(), 0600);
    }
    auto config_out = SIGNET_TRY(AtomicFile::create(context.config.path, 0644));
    SIGNET_TRY(config_out.write(new_config));
    SIGNET_TRY(config_out.commit_keeping_previous());
    Config previous = std::move(context.config);
    context.config = std::move(parsed);
    auto stored = context.db.transaction([&]() -> Result<void> {
        SIGNET_TRY(add_zones(context, list, now));
        for (size_t z = 0; z < zones.size(); ++z) {
            ImportedZone& imported = report.zones[z];
            enforcer::ZoneEntry zone = *SIGNET_TRY(context.db.find_zone(imported.zone));
            const PolicyRow& policy = policies.at(zones[z]->policy_id);
            if (policy.policy.denial == enforcer::Denial::Nsec3 && policy.salt) {
                zone.nsec3_salt = policy.salt;
                zone.nsec3_salt_created = policy.salt_changed.value_or(now);
            }
            if (imported.serial && (!zone.serial || signer::serial_greater(*imported.serial, *zone.serial)))
                zone.serial = imported.serial;
            SIGNET_TRY(context.db.update_zone(zone));
            for (auto& key : imported.keys) {
                key.zone_id = zone.id;
                key.id = SIGNET_TRY(context.db.add_key(key));
                SIGNET_TRY(context.db.add_event({ 0, zone.id, key.id, now, "import",
                                                  fmt::format("{} imported from OpenDNSSEC ({})",
                                                              enforcer::key_name(key), conf.database.string()) }));
            }
        }
        return {};
    });
    if (!stored) {
        context.config = std::move(previous);
        (void)config_out.restore_previous();
        return fail(stored.error());
    }
    config_out.drop_previous();
    report.imported = true;
    return report;
}

} // namespace signet::app
