// signet.toml: the token Signet keeps its keys in and the DNSSEC policies
// zones refer to by name (DESIGN.md, "Configuration").
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <signet/base/error.h>
#include <signet/crypto/p11.h>
#include <signet/dns/name.h>
#include <signet/enforcer/policy.h>
#include <signet/xfr/tsig.h>

namespace signet::app {

inline constexpr std::string_view default_module_path = "/usr/lib/softhsm/libsofthsm2.so";
inline constexpr std::string_view default_token_label = "signet";

// [hsm]
struct HsmConfig {
    std::filesystem::path module = default_module_path;
    std::string token = std::string(default_token_label);
    // Absolute once loaded: a relative pin-file is relative to the state dir.
    std::filesystem::path pin_file = "token.pin";
    // [hsm.environment], with "{state}" replaced by the state dir.
    std::vector<std::pair<std::string, std::string>> environment;

    crypto::p11::TokenConfig token_config() const;

    bool operator==(const HsmConfig&) const = default;
};

// [zones]
struct ZonesConfig {
    // Whether zone names may hold characters other than letters, digits,
    // '-', '_' and '.' (see check_zone_name in app/hooks.h).
    bool allow_any_characters = false;
};

// [daemon]: signetd.
struct DaemonConfig {
    // The control socket the writing `signet` commands reach signetd by;
    // absolute once loaded (a relative path is relative to the state dir).
    std::filesystem::path control = "signetd.sock";
    // The group that may use the control socket besides its owner (mode
    // 0660); empty: the owner only (0600).
    std::string control_group;
    // "ADDRESS:PORT" ("[ADDRESS]:PORT" for IPv6) of the Prometheus metrics;
    // empty: none.
    std::string metrics;
    // "ADDRESS:PORT" each, where signetd answers DNS over UDP and TCP: SOA
    // queries and zone transfers of the zones it signs; empty: none.
    std::vector<std::string> listen;
};

// [tsig.NAME]: a TSIG key (RFC 8945) shared with a secondary or primary.
// NAME is the key's name on the wire, as the peer names it.
struct TsigConfig {
    dns::Name name;
    xfr::TsigAlgorithm algorithm = xfr::TsigAlgorithm::HmacSha256;
    // The base64 secret's file; absolute once loaded (a relative path is
    // relative to the state dir). Read by load_tsig_key, never by
    // load_config, so that commands that need no key never touch it.
    std::filesystem::path secret_file;
    SourceLocation where; // of secret-file, for errors about the file

    bool operator==(const TsigConfig&) const = default;
};

// [remote.NAME]: a server signetd talks DNS with: a secondary that may
// transfer zones (`zone add --allow-transfer NAME`) or is told of their new
// versions (`zone add --notify NAME`).
struct RemoteConfig {
    std::string name;
    std::string address; // the address alone, without the port
    uint16_t port = 53;
    std::optional<std::string> tsig; // the name of a [tsig.NAME] table

    bool operator==(const RemoteConfig&) const = default;
};

// [health]: what `signet health` calls a problem.
struct HealthConfig {
    // A DS submission or removal the operator has not confirmed for longer
    // than this is a warning.
    Duration ds_grace = std::chrono::days(3);
    // A bound certificate expiring within these is a warning, a critical.
    Duration certificate_warning = std::chrono::days(30);
    Duration certificate_critical = std::chrono::days(7);
};

struct Config {
    std::filesystem::path path; // the file it came from
    std::filesystem::path state_dir; // absolute
    HsmConfig hsm;
    ZonesConfig zones;
    DaemonConfig daemon;
    HealthConfig health;
    // By name; "default" is always there, from the built-in defaults when the
    // file does not define it.
    std::map<std::string, enforcer::Policy> policies;
    // By the name of their table.
    std::map<std::string, TsigConfig> tsig_keys;
    std::map<std::string, RemoteConfig> remotes;
};

// The key of a [tsig.NAME] table with its secret, read from its
// secret-file: base64 (blanks and line ends ignored), the file a regular
// file of at most 4 KiB, not readable or writable by group or others
// (mode 0600 or stricter). Errors name the file, never the secret.
Result<xfr::TsigKey> load_tsig_key(const TsigConfig& key);

struct HostPort {
    std::string address; // an IPv4 or IPv6 literal, without brackets
    uint16_t port = 0;
};
// "192.0.2.1:9153" or "[2001:db8::1]:9153"; nullopt for anything else.
std::optional<HostPort> parse_host_port(std::string_view text);

// Reads and checks `file`. A key that is left out takes its default; unknown
// keys, values of the wrong type, bad values and policies that check_policy
// refuses are errors at "file:line:column", naming the key.
Result<Config> load_config(const std::filesystem::path& file, const std::filesystem::path& state_dir);
// The same for text already in memory; `label` names it in errors.
Result<Config> parse_config(std::string_view text, std::string_view label, const std::filesystem::path& state_dir);

// The key that does the same in each of the three signers operators come
// from: BIND's dnssec-policy (or a zone option), Knot's policy section (or a
// zone option) and OpenDNSSEC's kasp.xml or conf.xml; "none" where there is
// none.
struct Counterparts {
    std::string_view bind;
    std::string_view knot;
    std::string_view opendnssec;
};

// One key load_config accepts, as signet.toml(5) describes it.
struct ConfigKeyDoc {
    std::string table; // "hsm", "zones", "daemon", "health", "tsig.NAME", "remote.NAME" or "policy.NAME"
    std::string_view name;
    std::string default_value; // as signet.toml would hold it
    std::string_view description;
    std::string_view group; // policy keys: the heading they come under
    Counterparts counterparts;
};

// Every key load_config accepts, table by table, from the tables its readers
// use; signet.toml(5) is written from it.
std::vector<ConfigKeyDoc> config_key_docs();

// The signet.toml that `signet init` writes: the [hsm] table for a SoftHSM2
// token in the state dir, [zones], [policy.default] with every key written
// out and explained, and [policy.nsec], the same with NSEC.
std::string default_config_text(std::string_view module = default_module_path,
                                 std::string_view token = default_token_label);

// One [policy.NAME] table with every key, as default_config_text writes it;
// load_config reads it back to the same Policy.
std::string policy_to_toml(const enforcer::Policy& policy);

} // namespace signet::app
