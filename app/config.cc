#include <signet/app/config.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <sstream>
#include <variant>

#include <arpa/inet.h>

#include <openssl/crypto.h>

#include <fmt/format.h>
#include <toml++/toml.h>

#include <signet/base/regular_file.h>
#include <signet/dns/rdata.h>

namespace signet::app {

using enforcer::Policy;
namespace fs = std::filesystem;

std::optional<HostPort> parse_host_port(std::string_view text)
{
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || colon + 1 == text.size() || text.size() - colon - 1 > 5)
        return std::nullopt;
    std::string_view host = text.substr(0, colon), port_text = text.substr(colon + 1);
    unsigned port = 0;
    for (char c : port_text) {
        if (c < '0' || c > '9')
            return std::nullopt;
        port = port * 10 + static_cast<unsigned>(c - '0');
    }
    if (port == 0 || port > 65535)
        return std::nullopt;
    in6_addr address6 {};
    in_addr address4 {};
    std::string literal;
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        literal = std::string(host.substr(1, host.size() - 2));
        if (::inet_pton(AF_INET6, literal.c_str(), &address6) != 1)
            return std::nullopt;
    } else {
        literal = std::string(host);
        if (::inet_pton(AF_INET, literal.c_str(), &address4) != 1)
            return std::nullopt;
    }
    return HostPort { std::move(literal), static_cast<uint16_t>(port) };
}

namespace {

// One key of a [policy.NAME] table: its name in the file, the member it
// sets, the comment default_config_text writes beside it, and the key that
// does the same in BIND, Knot and OpenDNSSEC. The same table drives reading,
// writing and signet.toml(5), so the three cannot drift apart.
using Member = std::variant<crypto::Algorithm Policy::*, unsigned Policy::*, enforcer::KeyLayout Policy::*,
                            Duration Policy::*, std::optional<Duration> Policy::*, enforcer::Denial Policy::*,
                            bool Policy::*, enforcer::SerialPolicy Policy::*, crypto::DigestType Policy::*,
                            std::string Policy::*, Command Policy::*, uint64_t Policy::*,
                            std::vector<std::string> Policy::*>;

struct PolicyKey {
    std::string_view name;
    Member member;
    std::string_view comment;
    Counterparts counterparts;
    // For optional durations: the word that stands for nullopt.
    std::string_view none_word = {};
    // Written as a comment line before the key, after a blank line.
    std::string_view group = {};
};

const std::array policy_keys {
    PolicyKey { "algorithm", &Policy::algorithm, "rsasha256, rsasha512, ecdsap256sha256, ecdsap384sha384, ed25519, ed448",
                { "keys { ... algorithm A }", "algorithm", "kasp.xml <KSK>/<ZSK>/<CSK> <Algorithm>" },
                {}, "Keys" },
    PolicyKey { "rsa-bits", &Policy::rsa_bits, "RSA only: 2048..4096",
                { "keys { ... algorithm A BITS }", "ksk-size, zsk-size", "kasp.xml <Algorithm length=\"BITS\">" } },
    PolicyKey { "keys", &Policy::keys, "\"ksk+zsk\" or \"csk\"",
                { "keys { csk ... } or keys { ksk ...; zsk ... }", "single-type-signing", "kasp.xml <CSK> or <KSK> and <ZSK>" } },
    PolicyKey { "ksk-lifetime", &Policy::ksk_lifetime, "the key-signing key's (keys = \"ksk+zsk\"); \"unlimited\": never rolled",
                { "keys { ksk lifetime D ... }", "ksk-lifetime", "kasp.xml <KSK><Lifetime>" }, "unlimited" },
    PolicyKey { "zsk-lifetime", &Policy::zsk_lifetime, "the zone-signing key's (keys = \"ksk+zsk\")",
                { "keys { zsk lifetime D ... }", "zsk-lifetime", "kasp.xml <ZSK><Lifetime>" }, "unlimited" },
    PolicyKey { "csk-lifetime", &Policy::csk_lifetime, "the combined key's (keys = \"csk\")",
                { "keys { csk lifetime D ... }", "ksk-lifetime with single-type-signing", "kasp.xml <CSK><Lifetime>" }, "unlimited" },
    PolicyKey { "dnskey-ttl", &Policy::dnskey_ttl, "TTL of DNSKEY, CDS and CDNSKEY",
                { "dnskey-ttl", "dnskey-ttl", "kasp.xml <Keys><TTL>" }, {},
                "Rollover timing (RFC 7583); a lifetime must cover one rollover" },
    PolicyKey { "max-zone-ttl", &Policy::max_zone_ttl, "the largest TTL in the zone",
                { "max-zone-ttl", "zone-max-ttl", "kasp.xml <Signatures><MaxZoneTTL>" } },
    PolicyKey { "zone-propagation-delay", &Policy::zone_propagation_delay, "until every secondary has a new zone",
                { "zone-propagation-delay", "propagation-delay", "kasp.xml <Zone><PropagationDelay>" } },
    PolicyKey { "parent-ds-ttl", &Policy::parent_ds_ttl, "TTL of the DS in the parent zone",
                { "parent-ds-ttl", "none", "kasp.xml <Parent><DS><TTL>" } },
    PolicyKey { "parent-propagation-delay", &Policy::parent_propagation_delay,
                "until every parent server has a new DS",
                { "parent-propagation-delay", "submission parent-delay", "kasp.xml <Parent><PropagationDelay>" } },
    PolicyKey { "parent-registration-delay", &Policy::parent_registration_delay, "from DS submission to the parent",
                { "none", "none", "kasp.xml <Parent><RegistrationDelay>" } },
    PolicyKey { "publish-safety", &Policy::publish_safety, "margin after a new key is known",
                { "publish-safety", "none", "kasp.xml <Keys><PublishSafety>" } },
    PolicyKey { "retire-safety", &Policy::retire_safety, "margin before an old key goes",
                { "retire-safety", "none", "kasp.xml <Keys><RetireSafety>" } },
    PolicyKey { "signature-validity", &Policy::signature_validity, "from signing to expiry",
                { "signatures-validity (and signatures-validity-dnskey)", "rrsig-lifetime", "kasp.xml <Signatures><Validity><Default> (and <Denial>)" }, {}, "Signatures" },
    PolicyKey { "signature-refresh", &Policy::signature_refresh, "re-sign when less than this is left",
                { "signatures-refresh", "rrsig-refresh", "kasp.xml <Signatures><Refresh>" } },
    PolicyKey { "signature-jitter", &Policy::signature_jitter, "spread expiry times over this",
                { "signatures-jitter", "none (dnssec-jitter spreads refresh times per zone)", "kasp.xml <Signatures><Jitter>" } },
    PolicyKey { "signature-inception-offset", &Policy::signature_inception_offset, "back-dated, for clock skew",
                { "none (one hour)", "none (90 minutes)", "kasp.xml <Signatures><InceptionOffset>" } },
    PolicyKey { "signature-resign-interval", &Policy::signature_resign_interval, "signatures due within this of their refresh point are made again together",
                { "none", "rrsig-pre-refresh", "kasp.xml <Signatures><Resign>" } },
    PolicyKey { "denial", &Policy::denial, "\"nsec3\" or \"nsec\"",
                { "nsec3param (present: NSEC3)", "nsec3", "kasp.xml <Denial><NSEC/> or <NSEC3>" }, {}, "Denial of existence" },
    PolicyKey { "nsec3-iterations", &Policy::nsec3_iterations, "RFC 9276: 0",
                { "nsec3param iterations", "nsec3-iterations", "kasp.xml <NSEC3><Hash><Iterations>" } },
    PolicyKey { "nsec3-salt-length", &Policy::nsec3_salt_length, "octets; RFC 9276: 0",
                { "nsec3param salt-length", "nsec3-salt-length", "kasp.xml <NSEC3><Hash><Salt length=\"N\">" } },
    PolicyKey { "nsec3-opt-out", &Policy::nsec3_opt_out, "skip unsigned delegations",
                { "nsec3param optout", "nsec3-opt-out", "kasp.xml <NSEC3><OptOut/>" } },
    PolicyKey { "nsec3-resalt", &Policy::nsec3_resalt, "a new salt this often; needs a salt",
                { "none", "nsec3-salt-lifetime", "kasp.xml <NSEC3><Resalt>" }, "unlimited" },
    PolicyKey { "serial", &Policy::serial, "keep, counter, unixtime, datecounter",
                { "zone option serial-update-method", "zone option serial-policy", "kasp.xml <Zone><SOA><Serial>" }, {}, "SOA" },
    PolicyKey { "soa-ttl", &Policy::soa_ttl, "\"keep\": the zone's",
                { "none", "none", "kasp.xml <Zone><SOA><TTL>" }, "keep" },
    PolicyKey { "soa-minimum", &Policy::soa_minimum, "\"keep\": the zone's",
                { "none", "none", "kasp.xml <Zone><SOA><Minimum>" }, "keep" },
    PolicyKey { "cds", &Policy::cds, "publish CDS/CDNSKEY in step with the DS states",
                { "cdnskey, cds-digest-types", "cds-cdnskey-publish", "none" }, {}, "Parent" },
    PolicyKey { "cds-digest", &Policy::cds_digest, "sha256 or sha384",
                { "cds-digest-types", "cds-digest-type", "none" } },
    PolicyKey { "ds-submit-command", &Policy::ds_submit_command,
                "optional hook: DS/DNSKEY records on stdin; hooks run without a shell, {zone} is one argument",
                { "none (parental-agents check the parent)", "none (submission checks the parent)", "conf.xml <Enforcer><DelegationSignerSubmitCommand>" } },
    PolicyKey { "ds-retract-command", &Policy::ds_retract_command, "the same for records to withdraw",
                { "none", "none", "conf.xml <Enforcer><DelegationSignerRetractCommand>" } },
    PolicyKey { "notify-command", &Policy::notify_command, "after each signed zone, e.g. \"rndc reload {zone}\"",
                { "none", "none", "conf.xml <Signer><NotifyCommand>" } },
    PolicyKey { "hook-timeout", &Policy::hook_timeout, "a hook running longer is stopped and counts as failed",
                { "none", "none", "none" } },
    PolicyKey { "purge-delay", &Policy::purge_delay,
                "`zone remove --force` keeps the zone's keys in the token this long",
                { "purge-keys", "delete-delay", "kasp.xml <Keys><Purge>" } },
    PolicyKey { "include-directories", &Policy::include_directories,
                "absolute paths $INCLUDE may read below, besides the zone file's own directory",
                { "none", "none", "none" }, {},
                "The unsigned zone file, which may come from someone else" },
    PolicyKey { "max-zone-records", &Policy::max_zone_records, "records, generated ones included",
                { "zone option max-records", "none", "none" } },
    PolicyKey { "max-generate-records", &Policy::max_generate_records, "per $GENERATE, and all of a zone's together",
                { "none", "none", "none" } },
    PolicyKey { "max-line-length", &Policy::max_line_length, "octets per line, or per entry joined by ( )",
                { "none", "none", "none" } },
    PolicyKey { "max-zone-bytes", &Policy::max_zone_bytes, "octets of text read, and of the records in wire form",
                { "none", "zone option zone-max-size", "none" } },
    PolicyKey { "journal-max-versions", &Policy::journal_max_versions, "published versions whose changes are kept",
                { "none", "zone option journal-max-depth", "none" },
                {}, "The journal (zone transfers, `signet zone diff`)" },
    PolicyKey { "journal-max-bytes", &Policy::journal_max_bytes, "octets of changes kept, all versions together",
                { "zone option max-journal-size", "zone option journal-max-usage", "none" } },
};

// The lifetime keys a key layout does not use.
std::vector<std::string_view> lifetime_keys_unused_by(enforcer::KeyLayout layout)
{
    if (layout == enforcer::KeyLayout::Csk)
        return { "ksk-lifetime", "zsk-lifetime" };
    return { "csk-lifetime" };
}

bool equal_ignoring_case(std::string_view a, std::string_view b)
{
    return std::ranges::equal(a, b, [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
    });
}

std::string lower(std::string_view text)
{
    std::string out(text);
    for (auto& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view digest_to_config_text(crypto::DigestType type)
{
    switch (type) {
    case crypto::DigestType::SHA1: return "sha1";
    case crypto::DigestType::SHA256: return "sha256";
    case crypto::DigestType::SHA384: return "sha384";
    }
    return "unknown";
}

std::string_view type_name(toml::node_type type)
{
    switch (type) {
    case toml::node_type::none: return "nothing";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    }
    return "a value";
}

// A TOML basic string.
std::string quote(std::string_view text)
{
    std::string out = "\"";
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (u < 0x20 || u == 0x7f) {
            out += fmt::format("\\u{:04X}", u);
        } else {
            out += c;
        }
    }
    out += '"';
    return out;
}

// POSIX portable user and group names: letters, digits, '.', '_', '-', not
// starting with '-'.
bool is_group_name(std::string_view name)
{
    return !name.empty() && name.size() <= 32 && name.front() != '-' && std::ranges::all_of(name, [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    });
}

bool is_bare_key(std::string_view name)
{
    return !name.empty() && std::ranges::all_of(name, [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    });
}

// Whether `key` occurs in `message` as a whole key name ("cds" is not in
// "cds-digest").
bool names_key(std::string_view message, std::string_view key)
{
    auto is_key_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; };
    for (size_t at = message.find(key); at != std::string_view::npos; at = message.find(key, at + 1)) {
        size_t end = at + key.size();
        if ((at == 0 || !is_key_char(message[at - 1])) && (end == message.size() || !is_key_char(message[end])))
            return true;
    }
    return false;
}

std::string replace_all(std::string text, std::string_view from, std::string_view to)
{
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

// The keys of the other tables. Their readers below refuse any key that is
// not here, so that nothing is accepted that signet.toml(5) does not
// describe; the default is that of the member the key sets.
struct SectionKey {
    std::string_view table;
    std::string_view name;
    std::string (*default_value)();
    std::string_view description;
    Counterparts counterparts;
};

const std::array section_keys {
    SectionKey { "hsm", "module", [] { return quote(HsmConfig {}.module.string()); },
                 "the PKCS#11 module (shared library) to load",
                 { "none (the OpenSSL PKCS#11 provider's configuration)", "keystore config (its module path)",
                   "conf.xml <Repository><Module>" } },
    SectionKey { "hsm", "token", [] { return quote(HsmConfig {}.token); },
                 "the label of the token that holds the keys (at most 32 bytes)",
                 { "key-store pkcs11-uri (token=)", "keystore config (token= in its URI)",
                   "conf.xml <Repository><TokenLabel>" } },
    SectionKey { "hsm", "pin-file", [] { return quote(HsmConfig {}.pin_file.string()); },
                 "the file holding the user PIN, mode 0600, relative to the state directory; $SIGNET_PIN overrides it",
                 { "key-store pkcs11-uri (pin-source=)", "keystore config (pin-value= in its URI)",
                   "conf.xml <Repository><PIN>" } },
    SectionKey { "hsm", "environment", [] { return std::string("{}"); },
                 "a table of environment variables the module needs (NAME = \"value\"), set before it is loaded; "
                 "{state} in a value stands for the state directory. signet init sets SOFTHSM2_CONF",
                 { "none", "none", "none" } },
    SectionKey { "zones", "allow-any-characters",
                 [] { return std::string(ZonesConfig {}.allow_any_characters ? "true" : "false"); },
                 "zone names go into hook arguments and file names, so signet zone add takes only letters, digits, "
                 "'-', '_' and '.' in them unless this is true",
                 { "none", "none", "none" } },
    SectionKey { "daemon", "control", [] { return quote(DaemonConfig {}.control.string()); },
                 "signetd's control socket, relative to the state directory; the signet commands that change "
                 "anything reach a running signetd through it",
                 { "controls (rndc)", "control listen", "conf.xml <Enforcer><SocketFile>" } },
    SectionKey { "daemon", "control-group", [] { return quote(DaemonConfig {}.control_group); },
                 "a group that may use the control socket besides its owner (mode 0660); empty: the owner only "
                 "(0600)",
                 { "none", "none", "none" } },
    SectionKey { "daemon", "metrics", [] { return quote(DaemonConfig {}.metrics); },
                 "ADDRESS:PORT ([ADDRESS]:PORT for IPv6) where signetd serves Prometheus metrics at /metrics; "
                 "empty: none",
                 { "statistics-channels (XML and JSON)", "none", "none" } },
    SectionKey { "daemon", "listen", [] { return std::string("[]"); },
                 "ADDRESS:PORT strings ([ADDRESS]:PORT for IPv6) where signetd answers DNS over UDP and TCP: SOA "
                 "queries for the zones it signs (from the last signed version) and zone transfers (AXFR, and IXFR "
                 "from the journal) to the remotes a zone allows (signet zone add --allow-transfer); "
                 "other queries are refused. Empty: no DNS",
                 { "listen-on, listen-on-v6", "server listen", "none (its signer writes files; a name server transfers them)" } },
    SectionKey { "tsig.NAME", "algorithm", [] { return quote("hmac-sha256"); },
                 "a TSIG key (RFC 8945) named NAME on the wire, as its peers name it: hmac-sha1, hmac-sha256, "
                 "hmac-sha384 or hmac-sha512",
                 { "key NAME { algorithm }", "key id, algorithm", "none" } },
    SectionKey { "tsig.NAME", "secret-file", [] { return quote("tsig/NAME.key"); },
                 "the file holding the key's secret in base64, relative to the state directory, mode 0600 or "
                 "stricter; by default tsig/NAME.key with the table's NAME. The secret is never written in signet.toml, on a command line or "
                 "in a log",
                 { "key NAME { secret } (in an included file)", "key secret", "none" } },
    SectionKey { "remote.NAME", "address", [] { return quote(""); },
                 "required: ADDRESS:PORT ([ADDRESS]:PORT for IPv6; ADDRESS alone: port 53) of another server, a "
                 "secondary that may transfer zones or is sent NOTIFYs (to this port). Requests from it are known "
                 "by the address, whatever their source port",
                 { "primaries/allow-transfer address lists", "remote address", "none" } },
    SectionKey { "remote.NAME", "tsig", [] { return quote(""); },
                 "the name of a [tsig.NAME] table: the remote's requests must be signed with that key, and what "
                 "signetd answers or notifies it is signed with it; empty: none (the address alone)",
                 { "key in an address list", "remote key", "none" } },
    SectionKey { "health", "ds-grace", [] { return quote(format_duration(HealthConfig {}.ds_grace)); },
                 "a DS submission or removal not confirmed (signet key ds-seen, ds-gone) for longer is a warning",
                 { "none", "none", "none" } },
    SectionKey { "health", "certificate-warning",
                 [] { return quote(format_duration(HealthConfig {}.certificate_warning)); },
                 "a certificate bound by signet tlsa add that expires within this is a warning",
                 { "none", "none", "none" } },
    SectionKey { "health", "certificate-critical",
                 [] { return quote(format_duration(HealthConfig {}.certificate_critical)); },
                 "the same, critical; not longer than certificate-warning", { "none", "none", "none" } },
};

bool section_accepts(std::string_view table, std::string_view key)
{
    return std::ranges::any_of(section_keys,
                               [&](const SectionKey& k) { return k.table == table && k.name == key; });
}

class Reader {
public:
    Reader(std::string_view label, std::filesystem::path state_dir)
        : label_(label)
        , state_dir_(std::move(state_dir))
    {
    }

    Result<Config> read(std::string_view text);

private:
    SourceLocation where(const toml::source_region& region) const
    {
        return SourceLocation { label_, region.begin.line, region.begin.column };
    }
    std::unexpected<Error> error_at(const toml::source_region& region, std::string message) const
    {
        return fail(Error(ErrorCode::Config, std::move(message), where(region)));
    }
    std::unexpected<Error> unknown_key(const toml::key& key, std::string_view table) const
    {
        return error_at(key.source(), fmt::format("unknown key '{}' in [{}]", key.str(), table));
    }

    Result<std::string> string_value(const toml::node& node, std::string_view key) const;
    Result<HsmConfig> read_hsm(const toml::table& table) const;
    Result<ZonesConfig> read_zones(const toml::table& table) const;
    Result<DaemonConfig> read_daemon(const toml::table& table) const;
    Result<TsigConfig> read_tsig(const toml::table& table, std::string_view name) const;
    Result<RemoteConfig> read_remote(const toml::table& table, std::string_view name) const;
    Result<HealthConfig> read_health(const toml::table& table) const;
    Result<Policy> read_policy(const toml::table& table, std::string_view name) const;
    Result<void> read_policy_key(const PolicyKey& key, const toml::node& node, Policy& policy) const;
    Result<Duration> duration_value(const toml::node& node, std::string_view key,
                                    std::string_view none_word = {}) const;

    std::string label_;
    std::filesystem::path state_dir_;
};

Result<Config> Reader::read(std::string_view text)
{
    toml::table root;
    try {
        root = toml::parse(text, label_);
    } catch (const toml::parse_error& e) {
        return error_at(e.source(), fmt::format("bad TOML: {}", e.description()));
    }

    Config config;
    config.state_dir = state_dir_;
    HsmConfig hsm;
    hsm.pin_file = state_dir_ / hsm.pin_file;
    config.hsm = std::move(hsm);
    config.daemon.control = state_dir_ / config.daemon.control;
    for (auto&& [key, node] : root) {
        if (key == "hsm") {
            auto* table = node.as_table();
            if (!table)
                return error_at(node.source(), fmt::format("hsm must be a table, not {}", type_name(node.type())));
            config.hsm = SIGNET_TRY(read_hsm(*table));
        } else if (key == "zones") {
            auto* table = node.as_table();
            if (!table)
                return error_at(node.source(), fmt::format("zones must be a table, not {}", type_name(node.type())));
            config.zones = SIGNET_TRY(read_zones(*table));
        } else if (key == "health") {
            auto* table = node.as_table();
            if (!table)
                return error_at(node.source(), fmt::format("health must be a table, not {}", type_name(node.type())));
            config.health = SIGNET_TRY(read_health(*table));
        } else if (key == "daemon") {
            auto* table = node.as_table();
            if (!table)
                return error_at(node.source(), fmt::format("daemon must be a table, not {}", type_name(node.type())));
            config.daemon = SIGNET_TRY(read_daemon(*table));
        } else if (key == "policy") {
            auto* policies = node.as_table();
            if (!policies)
                return error_at(node.source(), fmt::format("policy must be a table, not {}", type_name(node.type())));
            for (auto&& [name, policy_node] : *policies) {
                if (!is_bare_key(name.str()))
                    return error_at(name.source(),
                                    fmt::format("bad policy name '{}': use letters, digits, '-' and '_'", name.str()));
                auto* table = policy_node.as_table();
                if (!table)
                    return error_at(policy_node.source(),
                                    fmt::format("policy.{} must be a table, not {}", name.str(),
                                                type_name(policy_node.type())));
                config.policies[std::string(name.str())] = SIGNET_TRY(read_policy(*table, name.str()));
            }
        } else if (key == "tsig" || key == "remote") {
            auto* tables = node.as_table();
            if (!tables)
                return error_at(node.source(),
                                fmt::format("{} must be a table, not {}", key.str(), type_name(node.type())));
            for (auto&& [name, entry] : *tables) {
                auto* table = entry.as_table();
                if (!table)
                    return error_at(entry.source(), fmt::format("{}.{} must be a table, not {}", key.str(),
                                                                name.str(), type_name(entry.type())));
                if (key == "tsig") {
                    config.tsig_keys[std::string(name.str())] = SIGNET_TRY(read_tsig(*table, name.str()));
                } else {
                    if (!is_bare_key(name.str()))
                        return error_at(name.source(), fmt::format("bad remote name '{}': use letters, digits, '-' "
                                                                   "and '_'",
                                                                   name.str()));
                    config.remotes[std::string(name.str())] = SIGNET_TRY(read_remote(*table, name.str()));
                }
            }
        } else {
            return error_at(key.source(),
                            fmt::format("unknown key '{}': expected [hsm], [zones], [daemon], [health], [tsig.NAME], "
                                        "[remote.NAME] or [policy.NAME]",
                                        key.str()));
        }
    }
    // A remote's key must exist: checked once every table is read, since
    // TOML tables come in any order.
    if (auto* remotes = root["remote"].as_table()) {
        for (auto&& [name, entry] : *remotes) {
            const auto& remote = config.remotes[std::string(name.str())];
            if (remote.tsig && !config.tsig_keys.contains(*remote.tsig)) {
                const toml::node* node = entry.as_table()->get("tsig");
                return error_at(node->source(), fmt::format("remote '{}': no [tsig.{}] table for its key",
                                                            name.str(), *remote.tsig));
            }
        }
    }
    if (!config.policies.contains("default"))
        config.policies["default"] = Policy {};
    return config;
}

Result<std::string> Reader::string_value(const toml::node& node, std::string_view key) const
{
    auto* value = node.as_string();
    if (!value)
        return error_at(node.source(), fmt::format("{} must be a string, not {}", key, type_name(node.type())));
    return value->get();
}

Result<HsmConfig> Reader::read_hsm(const toml::table& table) const
{
    HsmConfig hsm;
    std::filesystem::path pin_file = hsm.pin_file;
    for (auto&& [key, node] : table) {
        if (!section_accepts("hsm", key.str()))
            return unknown_key(key, "hsm");
        if (key == "module" || key == "token" || key == "pin-file") {
            auto value = SIGNET_TRY(string_value(node, key.str()));
            if (value.empty())
                return error_at(node.source(), fmt::format("{} must not be empty", key.str()));
            if (key == "module") {
                hsm.module = value;
            } else if (key == "token") {
                // CK_TOKEN_INFO.label is 32 bytes, padded with spaces.
                if (value.size() > 32)
                    return error_at(node.source(),
                                    fmt::format("token '{}' is longer than the 32 bytes of a PKCS#11 token label",
                                                value));
                hsm.token = value;
            } else {
                pin_file = value;
            }
        } else {
            auto* variables = node.as_table();
            if (!variables)
                return error_at(node.source(),
                                fmt::format("environment must be a table, not {}", type_name(node.type())));
            std::string state = state_dir_.string();
            for (auto&& [name, value_node] : *variables) {
                if (name.str().empty() || name.str().find('=') != std::string_view::npos)
                    return error_at(name.source(), fmt::format("bad environment variable name '{}'", name.str()));
                auto value = SIGNET_TRY(string_value(value_node, name.str()));
                hsm.environment.emplace_back(std::string(name.str()), replace_all(std::move(value), "{state}", state));
            }
        }
    }
    hsm.pin_file = state_dir_ / pin_file; // an absolute pin_file replaces the state dir
    return hsm;
}

Result<DaemonConfig> Reader::read_daemon(const toml::table& table) const
{
    DaemonConfig daemon;
    daemon.control = state_dir_ / daemon.control;
    for (auto&& [key, node] : table) {
        if (!section_accepts("daemon", key.str()))
            return unknown_key(key, "daemon");
        if (key == "listen") {
            auto* array = node.as_array();
            if (!array)
                return error_at(node.source(), fmt::format("listen must be an array of \"ADDRESS:PORT\" strings, not {}",
                                                           type_name(node.type())));
            for (const auto& element : *array) {
                auto value = SIGNET_TRY(string_value(element, "listen"));
                if (!parse_host_port(value))
                    return error_at(element.source(), fmt::format("listen: '{}' is not ADDRESS:PORT (IPv6: "
                                                                  "[ADDRESS]:PORT)",
                                                                  value));
                if (std::ranges::find(daemon.listen, value) != daemon.listen.end())
                    return error_at(element.source(), fmt::format("listen: '{}' twice", value));
                daemon.listen.push_back(std::move(value));
            }
            continue;
        }
        auto value = SIGNET_TRY(string_value(node, key.str()));
        if (key == "control") {
            if (value.empty())
                return error_at(node.source(), "control must not be empty: signetd needs its control socket");
            // sockaddr_un holds 107 bytes of path.
            fs::path path = state_dir_ / value;
            if (path.string().size() > 107)
                return error_at(node.source(), fmt::format("control socket path {} is longer than the 107 bytes a "
                                                           "Unix socket may have",
                                                           path.string()));
            daemon.control = std::move(path);
        } else if (key == "control-group") {
            if (!value.empty() && !is_group_name(value))
                return error_at(node.source(), fmt::format("bad group name '{}'", value));
            daemon.control_group = std::move(value);
        } else {
            if (!value.empty() && !parse_host_port(value))
                return error_at(node.source(), fmt::format("metrics must be ADDRESS:PORT (IPv6: [ADDRESS]:PORT) or "
                                                           "empty, not '{}'",
                                                           value));
            daemon.metrics = std::move(value);
        }
    }
    return daemon;
}

Result<TsigConfig> Reader::read_tsig(const toml::table& table, std::string_view name) const
{
    TsigConfig key;
    auto dns_name = dns::Name::from_text(name.ends_with('.') ? std::string(name) : fmt::format("{}.", name));
    if (!dns_name || dns_name->is_root())
        return error_at(table.source(), fmt::format("tsig.{}: the key's name must be a domain name", name));
    key.name = std::move(*dns_name);
    key.secret_file = state_dir_ / "tsig" / fmt::format("{}.key", name);
    key.where = where(table.source());
    for (auto&& [k, node] : table) {
        if (!section_accepts("tsig.NAME", k.str()))
            return unknown_key(k, fmt::format("tsig.{}", name));
        auto value = SIGNET_TRY(string_value(node, k.str()));
        if (k == "algorithm") {
            auto algorithm = xfr::tsig_algorithm_from_text(value);
            if (!algorithm)
                return error_at(node.source(), fmt::format("algorithm: unknown value '{}'; use hmac-sha1, hmac-sha256, "
                                                           "hmac-sha384 or hmac-sha512",
                                                           value));
            key.algorithm = *algorithm;
        } else {
            if (value.empty())
                return error_at(node.source(), "secret-file must not be empty");
            key.secret_file = state_dir_ / value;
            key.where = where(node.source());
        }
    }
    return key;
}

Result<RemoteConfig> Reader::read_remote(const toml::table& table, std::string_view name) const
{
    RemoteConfig remote;
    remote.name = std::string(name);
    bool has_address = false;
    for (auto&& [k, node] : table) {
        if (!section_accepts("remote.NAME", k.str()))
            return unknown_key(k, fmt::format("remote.{}", name));
        auto value = SIGNET_TRY(string_value(node, k.str()));
        if (k == "address") {
            // An address alone is port 53.
            auto host_port = parse_host_port(value);
            if (!host_port) {
                std::string with_port = value.find(':') != std::string::npos ? fmt::format("[{}]:53", value)
                                                                             : fmt::format("{}:53", value);
                host_port = parse_host_port(with_port);
            }
            if (!host_port)
                return error_at(node.source(), fmt::format("address: '{}' is not ADDRESS or ADDRESS:PORT (IPv6: "
                                                           "[ADDRESS]:PORT)",
                                                           value));
            remote.address = host_port->address;
            remote.port = host_port->port;
            has_address = true;
        } else if (!value.empty()) {
            remote.tsig = std::move(value);
        }
    }
    if (!has_address)
        return error_at(table.source(), fmt::format("remote.{} needs an address", name));
    return remote;
}

Result<HealthConfig> Reader::read_health(const toml::table& table) const
{
    HealthConfig health;
    for (auto&& [key, node] : table) {
        if (!section_accepts("health", key.str()))
            return unknown_key(key, "health");
        auto value = SIGNET_TRY(duration_value(node, key.str()));
        if (key == "ds-grace")
            health.ds_grace = value;
        else if (key == "certificate-warning")
            health.certificate_warning = value;
        else
            health.certificate_critical = value;
    }
    if (health.certificate_critical > health.certificate_warning)
        return error_at(table.source(), "certificate-critical must not be longer than certificate-warning");
    return health;
}

Result<ZonesConfig> Reader::read_zones(const toml::table& table) const
{
    ZonesConfig zones;
    for (auto&& [key, node] : table) {
        if (!section_accepts("zones", key.str()))
            return unknown_key(key, "zones");
        auto* value = node.as_boolean();
        if (!value)
            return error_at(node.source(),
                            fmt::format("{} must be true or false, not {}", key.str(), type_name(node.type())));
        zones.allow_any_characters = value->get();
    }
    return zones;
}

Result<Policy> Reader::read_policy(const toml::table& table, std::string_view name) const
{
    Policy policy;
    policy.name = std::string(name);
    for (auto&& [key, node] : table) {
        auto known = std::ranges::find(policy_keys, key.str(), &PolicyKey::name);
        if (known == policy_keys.end())
            return unknown_key(key, fmt::format("policy.{}", name));
        SIGNET_TRY(read_policy_key(*known, node, policy));
    }
    // A lifetime the policy's layout never uses would be accepted and then
    // ignored (a CSK policy with only ksk-lifetime, as Knot names it, would
    // never roll): refused, unless it says "unlimited".
    for (std::string_view key : lifetime_keys_unused_by(policy.keys)) {
        const toml::node* node = table.get(key);
        auto member = std::ranges::find(policy_keys, key, &PolicyKey::name);
        if (node && member != policy_keys.end()
            && (policy.*std::get<std::optional<Duration> Policy::*>(member->member)).has_value()) {
            Error error(ErrorCode::Policy,
                        fmt::format("{} does not apply to keys = \"{}\"; the lifetime of {} is {}", key,
                                    enforcer::key_layout_to_text(policy.keys),
                                    policy.keys == enforcer::KeyLayout::Csk ? "the combined key" : "these keys",
                                    policy.keys == enforcer::KeyLayout::Csk ? "csk-lifetime"
                                                                            : "ksk-lifetime and zsk-lifetime"),
                        where(node->source()));
            error.with_context(fmt::format("policy '{}'", name));
            return fail(std::move(error));
        }
    }
    if (auto problem = enforcer::find_policy_problem(policy)) {
        // Point at the key to blame; when the file leaves it out, at the
        // first other key the message names, else at the table.
        const toml::node* culprit = table.get(problem->key);
        for (auto it = table.begin(); !culprit && it != table.end(); ++it) {
            if (names_key(problem->message, it->first.str()))
                culprit = &it->second;
        }
        Error error(ErrorCode::Policy, std::move(problem->message),
                    where(culprit ? culprit->source() : table.source()));
        error.with_context(fmt::format("policy '{}'", name));
        return fail(std::move(error));
    }
    return policy;
}

Result<Duration> Reader::duration_value(const toml::node& node, std::string_view key,
                                        std::string_view none_word) const
{
    if (auto* seconds = node.as_integer()) {
        if (seconds->get() < 0 || seconds->get() > max_duration.count())
            return error_at(node.source(), fmt::format("{}: {} seconds is out of range", key, seconds->get()));
        return Duration(seconds->get());
    }
    auto text = SIGNET_TRY(string_value(node, key));
    auto duration = parse_duration(text);
    if (!duration)
        return error_at(node.source(),
                        fmt::format("{}: {}{}", key, duration.error().message(),
                                    none_word.empty() ? "" : fmt::format(", or \"{}\"", none_word)));
    return *duration;
}

Result<void> Reader::read_policy_key(const PolicyKey& key, const toml::node& node, Policy& policy) const
{
    // Reads an enumeration from its name; `choices` goes into the error.
    auto named = [&](auto parse,
                     std::string_view choices) -> Result<typename decltype(parse(std::string_view {}))::value_type> {
        auto text = SIGNET_TRY(string_value(node, key.name));
        auto value = parse(std::string_view(text));
        if (!value)
            return error_at(node.source(), fmt::format("{}: unknown value '{}'; use {}", key.name, text, choices));
        return *value;
    };

    return std::visit(
        [&]<typename T>(T Policy::*member) -> Result<void> {
            T& field = policy.*member;
            if constexpr (std::is_same_v<T, std::string>) {
                field = SIGNET_TRY(string_value(node, key.name));
            } else if constexpr (std::is_same_v<T, Command>) {
                // Split now, so that a quoting mistake stops the load with
                // the line it is on rather than a hook failing at 3 a.m.
                auto command = parse_command(SIGNET_TRY(string_value(node, key.name)));
                if (!command)
                    return error_at(node.source(), fmt::format("{}: {}", key.name, command.error().message()));
                field = std::move(*command);
            } else if constexpr (std::is_same_v<T, bool>) {
                auto* value = node.as_boolean();
                if (!value)
                    return error_at(node.source(),
                                    fmt::format("{} must be true or false, not {}", key.name, type_name(node.type())));
                field = value->get();
            } else if constexpr (std::is_same_v<T, uint64_t>) {
                auto* value = node.as_integer();
                if (!value)
                    return error_at(node.source(),
                                    fmt::format("{} must be an integer, not {}", key.name, type_name(node.type())));
                if (value->get() < 0)
                    return error_at(node.source(), fmt::format("{}: {} is out of range", key.name, value->get()));
                field = static_cast<uint64_t>(value->get());
            } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
                auto* array = node.as_array();
                if (!array)
                    return error_at(node.source(), fmt::format("{} must be an array of strings, not {}", key.name,
                                                               type_name(node.type())));
                field.clear();
                for (const auto& element : *array)
                    field.push_back(SIGNET_TRY(string_value(element, key.name)));
            } else if constexpr (std::is_same_v<T, unsigned>) {
                auto* value = node.as_integer();
                if (!value)
                    return error_at(node.source(),
                                    fmt::format("{} must be an integer, not {}", key.name, type_name(node.type())));
                if (value->get() < 0 || value->get() > UINT_MAX)
                    return error_at(node.source(), fmt::format("{}: {} is out of range", key.name, value->get()));
                field = static_cast<unsigned>(value->get());
            } else if constexpr (std::is_same_v<T, Duration>) {
                if (auto* text = node.as_string(); text && (text->get() == "unlimited" || text->get() == "keep"))
                    return error_at(node.source(), fmt::format("{} cannot be \"{}\"", key.name, text->get()));
                field = SIGNET_TRY(duration_value(node, key.name));
            } else if constexpr (std::is_same_v<T, std::optional<Duration>>) {
                if (auto* text = node.as_string(); text && equal_ignoring_case(text->get(), key.none_word)) {
                    field = std::nullopt;
                    return {};
                }
                field = SIGNET_TRY(duration_value(node, key.name, key.none_word));
            } else if constexpr (std::is_same_v<T, crypto::Algorithm>) {
                field = SIGNET_TRY(named(crypto::algorithm_from_text,
                                         "rsasha256, rsasha512, ecdsap256sha256, ecdsap384sha384, ed25519 or ed448"));
            } else if constexpr (std::is_same_v<T, enforcer::KeyLayout>) {
                field = SIGNET_TRY(named(enforcer::key_layout_from_text, "\"ksk+zsk\" or \"csk\""));
            } else if constexpr (std::is_same_v<T, enforcer::Denial>) {
                field = SIGNET_TRY(named(enforcer::denial_from_text, "\"nsec3\" or \"nsec\""));
            } else if constexpr (std::is_same_v<T, enforcer::SerialPolicy>) {
                field = SIGNET_TRY(named(enforcer::serial_policy_from_text, "keep, counter, unixtime or datecounter"));
            } else if constexpr (std::is_same_v<T, crypto::DigestType>) {
                field = SIGNET_TRY(named(crypto::digest_type_from_text, "sha256 or sha384"));
            } else {
                static_assert(sizeof(T) == 0, "a policy key type without a reader");
            }
            return {};
        },
        key.member);
}

std::string value_text(const PolicyKey& key, const Policy& policy)
{
    return std::visit(
        [&]<typename T>(T Policy::*member) -> std::string {
            const T& field = policy.*member;
            if constexpr (std::is_same_v<T, std::string>)
                return quote(field);
            else if constexpr (std::is_same_v<T, Command>)
                return quote(field.text);
            else if constexpr (std::is_same_v<T, bool>)
                return field ? "true" : "false";
            else if constexpr (std::is_same_v<T, unsigned> || std::is_same_v<T, uint64_t>)
                return std::to_string(field);
            else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
                std::string out = "[";
                for (const auto& element : field)
                    out += (out.size() > 1 ? ", " : "") + quote(element);
                return out + "]";
            }
            else if constexpr (std::is_same_v<T, Duration>)
                return quote(format_duration(field));
            else if constexpr (std::is_same_v<T, std::optional<Duration>>)
                return quote(field ? format_duration(*field) : std::string(key.none_word));
            else if constexpr (std::is_same_v<T, crypto::Algorithm>)
                return quote(lower(crypto::algorithm_to_text(field)));
            else if constexpr (std::is_same_v<T, enforcer::KeyLayout>)
                return quote(enforcer::key_layout_to_text(field));
            else if constexpr (std::is_same_v<T, enforcer::Denial>)
                return quote(enforcer::denial_to_text(field));
            else if constexpr (std::is_same_v<T, enforcer::SerialPolicy>)
                return quote(enforcer::serial_policy_to_text(field));
            else if constexpr (std::is_same_v<T, crypto::DigestType>)
                return quote(digest_to_config_text(field));
            else
                static_assert(sizeof(T) == 0, "a policy key type without a writer");
        },
        key.member);
}

// "key = value", with the comment from column 40 as in DESIGN.md.
std::string key_line(std::string_view key, std::string_view value, std::string_view comment)
{
    std::string line = fmt::format("{} = {}", key, value);
    if (!comment.empty())
        line += fmt::format("{:<{}}# {}", "", line.size() < 39 ? 39 - line.size() : 1, comment);
    return line + "\n";
}

std::filesystem::path absolute_dir(const std::filesystem::path& dir)
{
    std::error_code ignored;
    auto absolute = std::filesystem::absolute(dir, ignored).lexically_normal();
    if (absolute.empty())
        absolute = dir.lexically_normal();
    // "/var/lib/signet/" -> "/var/lib/signet", so "{state}/x" has one slash.
    if (!absolute.has_filename() && absolute.has_relative_path())
        absolute = absolute.parent_path();
    return absolute;
}

} // namespace

Result<xfr::TsigKey> load_tsig_key(const TsigConfig& key)
{
    auto refuse = [&](std::string message) {
        Error error(ErrorCode::Config, fmt::format("TSIG key {}: {}: {}", key.name.to_text(),
                                                   key.secret_file.string(), std::move(message)),
                    key.where);
        return fail(std::move(error));
    };
    auto file = open_regular_file(key.secret_file);
    if (!file)
        return refuse(file.error().message());
    // A secret others can read is no secret (BIND's and Knot's key files
    // are 0600 too).
    if (file->mode & 077)
        return refuse(fmt::format("mode {:04o}: readable or writable by others than its owner; chmod 600 it",
                                  file->mode & 07777));
    auto text = read_capped(*file, 4096);
    if (!text)
        return refuse(text.error().message());
    std::string base64;
    for (char c : *text) {
        if (!std::isspace(static_cast<unsigned char>(c)))
            base64 += c;
    }
    OPENSSL_cleanse(text->data(), text->size());
    auto secret = dns::from_base64(base64);
    OPENSSL_cleanse(base64.data(), base64.size());
    // The decoder's message could quote the text: not passed on.
    if (!secret)
        return refuse("not a base64 secret");
    if (secret->empty())
        return refuse("the secret is empty");
    xfr::TsigKey out(key.name, key.algorithm, std::move(*secret));
    OPENSSL_cleanse(secret->data(), secret->size());
    return out;
}

crypto::p11::TokenConfig HsmConfig::token_config() const
{
    return crypto::p11::TokenConfig { module, token, environment };
}

Result<Config> parse_config(std::string_view text, std::string_view label, const std::filesystem::path& state_dir)
{
    return Reader(label, absolute_dir(state_dir)).read(text);
}

Result<Config> load_config(const std::filesystem::path& file, const std::filesystem::path& state_dir)
{
    std::ifstream in(file, std::ios::binary);
    if (!in)
        return fail(Error(ErrorCode::Io, fmt::format("cannot read: {}", std::strerror(errno)),
                          SourceLocation { file.string() }));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad())
        return fail(Error(ErrorCode::Io, "cannot read", SourceLocation { file.string() }));
    auto config = SIGNET_TRY(parse_config(text.str(), file.string(), state_dir));
    config.path = file;
    return config;
}

std::string policy_to_toml(const Policy& policy)
{
    std::string out = fmt::format("[policy.{}]\n", is_bare_key(policy.name) ? policy.name : quote(policy.name));
    bool first = true;
    const auto unused = lifetime_keys_unused_by(policy.keys);
    for (const auto& key : policy_keys) {
        if (!key.group.empty()) {
            out += fmt::format("{}# {}\n", first ? "" : "\n", key.group);
            first = false;
        }
        if (std::ranges::find(unused, key.name) != unused.end())
            continue; // not for this layout; reading it back would refuse it
        out += key_line(key.name, value_text(key, policy), key.comment);
    }
    return out;
}

std::vector<ConfigKeyDoc> config_key_docs()
{
    std::vector<ConfigKeyDoc> docs;
    for (const auto& key : section_keys)
        docs.push_back({ std::string(key.table), key.name, key.default_value(), key.description, {},
                         key.counterparts });
    const Policy defaults;
    std::string_view group;
    for (const auto& key : policy_keys) {
        if (!key.group.empty())
            group = key.group;
        docs.push_back({ "policy.NAME", key.name, value_text(key, defaults), key.comment, group, key.counterparts });
    }
    return docs;
}

std::string default_config_text(std::string_view module, std::string_view token)
{
    std::string out;
    out += "# Signet configuration. Durations take units (90d, 12h, 5m, 30s); a key that is\n"
           "# left out takes the value shown here. Zones name their policy: signet zone add.\n"
           "\n"
           "[hsm]                                  # any PKCS#11 module and token\n";
    out += key_line("module", quote(module), "");
    out += key_line("token", quote(token), "");
    out += key_line("pin-file", quote("token.pin"), "relative to the state dir; never the PIN itself");
    out += "\n[hsm.environment]                      # what the module reads; {state} is the state dir\n";
    out += key_line("SOFTHSM2_CONF", quote("{state}/softhsm2.conf"), "");
    out += "\n[zones]\n";
    out += "# Zone names go into hook arguments and file names, so `signet zone add` takes\n"
           "# only letters, digits, '-', '_' and '.' in them unless this is true.\n";
    out += key_line("allow-any-characters", ZonesConfig {}.allow_any_characters ? "true" : "false", "");
    out += "\n";

    Policy policy;
    out += policy_to_toml(policy);
    out += "\n# The same with NSEC, for zones that do not need NSEC3.\n";
    policy.name = "nsec";
    policy.denial = enforcer::Denial::Nsec;
    out += policy_to_toml(policy);
    return out;
}

} // namespace signet::app
