// The pipeline behind the commands: a state directory (config, store, token)
// and what `signet init`, `signet sign` and `signet ds` do with it. This is
// the one place where the enforcer's vocabulary (keys, states, policies)
// meets the signer's (a SigningPlan).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <signet/app/config.h>
#include <signet/base/clock.h>
#include <signet/crypto/p11.h>
#include <signet/enforcer/keydb.h>
#include <signet/enforcer/keystate.h>
#include <signet/signer/plan.h>
#include <signet/signer/signer.h>

namespace signet::app {

struct InitReport {
    std::filesystem::path state_dir;
    std::filesystem::path config;
    std::filesystem::path database;
    std::string token;
};

// Creates the state dir with signet.toml, the store, a SoftHSM2 config and
// token, and random SO and user PINs in 0600 files. Refuses to touch a state
// dir that has anything in it; on failure removes what it made.
Result<InitReport> init_state(const std::filesystem::path& state_dir);

// An opened state dir. The token is opened (and the PIN read) only when a
// command needs it.
class Context {
public:
    static Result<Context> open(const std::filesystem::path& state_dir,
                                const std::optional<std::filesystem::path>& config_file);

    Config config;
    enforcer::KeyDb db;

    Result<crypto::p11::KeyStore*> token();
    Result<std::shared_ptr<crypto::p11::KeyStore>> shared_token();
    Result<const enforcer::Policy*> policy(std::string_view name) const;
    // The zone or a NotFound error naming it.
    Result<enforcer::ZoneEntry> zone(std::string_view name);

    // Keys made in the token ahead of the steps that ask for them (see
    // premake_keys), by zone id. Those no step takes are destroyed with the
    // context, so the token never keeps a key the store does not know.
    class Premade {
    public:
        Premade() = default;
        Premade(Premade&& other) noexcept;
        Premade& operator=(Premade&&) = delete;
        ~Premade();
        void add(std::shared_ptr<crypto::p11::KeyStore> token, enforcer::KeyEntry key);
        // A key of the zone made for `request`, if one is waiting.
        std::optional<enforcer::KeyEntry> take(int64_t zone_id, const enforcer::KeyRequest& request);

    private:
        std::shared_ptr<crypto::p11::KeyStore> token_;
        std::map<int64_t, std::vector<enforcer::KeyEntry>> keys_;
    };
    Premade premade;

private:
    Context(Config config, enforcer::KeyDb db)
        : config(std::move(config))
        , db(std::move(db))
    {
    }
    std::shared_ptr<crypto::p11::KeyStore> token_; // shared with `premade`
};

struct SignOptions {
    unsigned threads = 0; // 0: one per core
    signer::Verification verification = signer::Verification::Full;
};

struct SignReport {
    std::string zone;
    std::filesystem::path output;
    signer::SigningStats stats;
    std::string denial; // "NSEC" or "NSEC3"
    std::vector<enforcer::KeyEntry> new_keys;
    double seconds = 0;
    std::optional<std::string> notify_failure;
    std::optional<TimePoint> next_event; // the enforcer's: when the keys move on next
    std::vector<std::string> todo; // what the operator must do now

};

// Reads the zone's input, gives it keys when it has none, signs it, checks
// the result and replaces the output. On any error the output, the store and
// the token are as they were.
Result<SignReport> sign_zone(Context& context, std::string_view zone, const Clock& clock,
                             const SignOptions& options);

struct DsRecord {
    enforcer::KeyEntry key;
    std::string ds; // presentation form, one line
    std::string dnskey;
    std::string action; // "add", "keep", "remove"; "pending" for a new zone's first DS
    std::optional<TimePoint> from; // "pending": when it may go to the parent
};

// The DS records the parent should hold for `zone`, with what to do.
Result<std::vector<DsRecord>> ds_records(Context& context, std::string_view zone);

} // namespace signet::app
