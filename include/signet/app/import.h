// Moving in from another signer without a rollover: a zone's keys as BIND
// keeps them (K<zone>+<alg>+<tag>.key, .private and, from dnssec-policy,
// .state) are brought into the store and the token, with their states and
// times, so that the next signing publishes the same DNSKEY RRset, the DS
// at the parent stays valid, and a rollover in progress goes on under
// Signet's enforcer.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <signet/app/pipeline.h>
#include <signet/base/clock.h>
#include <signet/base/error.h>
#include <signet/crypto/p11.h>
#include <signet/enforcer/model.h>
#include <signet/enforcer/policy.h>

namespace signet::app {

// One key as BIND's files describe it. The private key is not read here
// (read_bind_private_key does, when it goes into the token).
struct BindKey {
    std::filesystem::path key_file; // K<zone>+<alg>+<tag>.key
    std::string zone; // normalised
    // Role, algorithm, bits, flags, tag, DNSKEY, goal, record states and
    // times; no locator or ids yet.
    enforcer::KeyEntry key;
    std::optional<uint32_t> ttl; // of the DNSKEY in the .key file
    std::optional<Duration> lifetime; // from the .state file (none: unlimited or unknown)
    bool has_state = false; // a .state file was read
    bool removed = false; // BIND is done with the key: nothing of it is published or cached
    std::vector<std::string> notes; // what was not carried, or was assumed
};

// Reads K….key, and the .state beside it when there is one. Without a
// .state file (keys from dnssec-keygen and BIND's timing metadata), the
// states are derived from the timing metadata of the .key file and the
// timings of `policy`, as of `now`. Errors are "file:line: what is wrong".
// `role` is the key's when the files do not say (no .state file); by
// default a SEP key is a KSK, another a ZSK.
Result<BindKey> read_bind_key(const std::filesystem::path& key_file, const enforcer::Policy& policy, TimePoint now,
                              std::optional<enforcer::KeyRole> role = std::nullopt);

// The private key of `key` from the .private beside its .key; checked
// against the DNSKEY only in the token (crypto::p11::KeyStore::import).
Result<crypto::p11::PrivateKeyParts> read_bind_private_key(const BindKey& key);

// The SOA serial of a signed zone file another signer wrote (its SOA comes
// first, as signers write it): so that the serials Signet publishes continue
// above it. None when the file is missing or starts otherwise.
std::optional<uint32_t> published_serial(const std::filesystem::path& signed_zone, std::string_view zone);

// Whether the other signer is done with a key: it is leaving, and nothing
// of it is published or cached any more. Such a key is not imported.
bool done_with(const enforcer::KeyEntry& key);

// A ZSK rollover's signatures as Signet times them: the other signer
// replaced them gradually (as its signatures came up for refresh), so the
// zone it published may still hold signatures of a key it was retiring and
// lack some of the key it was bringing in. Signet's first signing makes
// every signature anew with the keys that sign, so a signature state that
// is still moving (rumoured, unretentive) starts its wait then.
void restart_signature_swap(enforcer::KeyEntry& key, TimePoint now);

struct ImportedZone {
    std::string zone;
    std::string policy;
    std::vector<std::filesystem::path> files; // the .key files read
    std::vector<enforcer::KeyEntry> keys; // as stored: locators and ids are set once imported
    std::vector<std::filesystem::path> key_files; // the file each of `keys` came from
    std::optional<uint32_t> dnskey_ttl; // BIND's DNSKEY TTL, when above the policy's
    std::optional<uint32_t> serial; // the serial published last, when the zone's output file says
    std::vector<std::string> notes; // what was not carried, or was assumed
    std::vector<std::string> problems; // why the zone cannot be imported; none when it can
};

struct ImportReport {
    std::vector<ImportedZone> zones;
    std::vector<std::string> problems; // for all zones: why none can be imported
    std::vector<std::string> notes; // for all zones: settings not carried
    std::vector<std::string> settings; // what was (or would be) written to signet.toml
    // Zones with key files in the directory that are not registered (or
    // were not asked for).
    std::vector<std::string> left_out;
    bool imported = false; // false: a dry run, or a problem in some zone; nothing changed
};

struct BindImportOptions {
    std::filesystem::path key_dir;
    // The zones to import; empty: every registered zone with key files in
    // key_dir.
    std::vector<std::string> zones;
    bool dry_run = false; // report only
};

// `signet import bind`: imports the keys of every zone, or of none when
// any zone has a problem (then the report says which, and nothing in the
// store or the token changed). A zone must be registered and have no keys.
Result<ImportReport> import_bind(Context& context, const BindImportOptions& options, const Clock& clock);

struct OdsImportOptions {
    std::filesystem::path conf = "/etc/opendnssec/conf.xml";
    // OpenDNSSEC's zones to import; empty: all of them.
    std::vector<std::string> zones;
    // Put before each policy's name in signet.toml (its name there may be
    // taken: `signet init` writes a "default").
    std::string policy_prefix;
    // [hsm.environment] for the module of OpenDNSSEC's token
    // (SOFTHSM2_CONF when its SoftHSM2 is not the system's).
    std::vector<std::pair<std::string, std::string>> hsm_environment;
    // The token's PIN, when conf.xml holds none (else it is written to
    // opendnssec.pin in the state dir, mode 0600).
    std::optional<std::filesystem::path> pin_file;
    bool dry_run = false; // report only
};

// `signet import opendnssec`: takes over OpenDNSSEC 2.x's zones (File
// adapters), their policies and their keys, which stay where they are in
// OpenDNSSEC's token: conf.xml names the token and the enforcer's SQLite
// database; the policies, zones, keys and key states are read from that
// database (it is opened read-only). signet.toml gets the policies (with
// what has no counterpart said in the report) and [hsm] points at the
// token; the store gets the zones and keys with their states, so that the
// next signing publishes the same DNSKEY RRset and a rollover in progress
// goes on. All zones or none, as import_bind. Stop OpenDNSSEC's daemons
// before: two signers must not own one zone.
Result<ImportReport> import_opendnssec(Context& context, const OdsImportOptions& options, const Clock& clock);

} // namespace signet::app
