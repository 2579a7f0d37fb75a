// The pipeline behind the commands: a state directory (config, store, token)
// and what `signet init`, `signet sign` and `signet ds` do with it. This is
// the one place where the enforcer's vocabulary (keys, states, policies)
// meets the signer's (a SigningPlan).
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <signet/app/config.h>
#include <signet/app/lock.h>
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

// How a command uses the state dir: reading only, or changing the store,
// the token or an output (then under the state lock, see lock.h).
enum class Access { Read, Write };

struct OpenOptions {
    Access access = Access::Read;
    std::chrono::milliseconds wait { 5000 }; // for the state lock
    std::string command; // who holds the lock, for those who wait
    // A command signetd runs for a client: the daemon's lock, inherited
    // (see StateLock::inherit), instead of taking it.
    std::optional<int> inherited_lock;
    // The configuration to use instead of reading the file: signetd keeps
    // the one it loaded until SIGHUP.
    std::optional<Config> config;
};

// An opened state dir. The token is opened (and the PIN read) only when a
// command needs it.
class Context {
public:
    static Result<Context> open(const std::filesystem::path& state_dir,
                                const std::optional<std::filesystem::path>& config_file,
                                const OpenOptions& options = {});

    Config config;
    enforcer::KeyDb db;
    std::filesystem::path state_dir; // absolute
    std::optional<StateLock> lock; // held while the context may write

    // The token, opened (and logged in to) at the first call. When that
    // fails, every later call returns the same error without trying again.
    Result<crypto::p11::KeyStore*> token();
    bool token_failed() const { return token_failure_.has_value(); }
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
    Context(Config config, enforcer::KeyDb db, std::filesystem::path state_dir, std::optional<StateLock> lock)
        : config(std::move(config))
        , db(std::move(db))
        , state_dir(std::move(state_dir))
        , lock(std::move(lock))
    {
    }
    std::shared_ptr<crypto::p11::KeyStore> token_; // shared with `premade`
    std::optional<Error> token_failure_; // why the token could not be opened; never tried twice
};

struct SignOptions {
    unsigned threads = 0; // 0: one per core
    signer::Verification verification = signer::Verification::Full;
    // Sign although the clock is before the last signing or more than
    // signature-validity after it, or the new signatures expire before the
    // published ones.
    // ... and make every signature anew, keeping nothing of the last version.
    bool force = false;
    // Read the written file back and check it again before it replaces the
    // output (the check runs on the signer's value in any case).
    bool check_output = false;
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
    bool alarm = false; // signed, but with a warning that must fail the run (an unannounced TLSA change)
    bool insecure = false; // written without DNSSEC: the last step of `signet zone unsign`
    bool changed = true; // false: nothing to publish; the output and its serial stay
    // Why the zone could not be signed from its input (the file, or a TLSA
    // binding's certificates): its last good version was signed instead, so
    // that its signatures never run out. The run must fail all the same.
    std::optional<std::string> input_error;

};

// Reads the zone's input, gives it keys when it has none, signs it, checks
// the result and replaces the output. On any error the output, the store and
// the token are as they were. An input that cannot be signed (unreadable,
// broken, or its TLSA records cannot be made) is an error only for a zone
// never signed: one signed before has its last good version signed again,
// so that it never goes stale, and the report's input_error says why.
// A TLSA binding whose certificate cannot be read or has expired keeps its
// last published records (DANE-EE ignores expiry, RFC 7671 §5.1) and
// raises the report's alarm.
Result<SignReport> sign_zone(Context& context, std::string_view zone, const Clock& clock,
                             const SignOptions& options);

struct UnsignReport {
    std::string zone;
    std::vector<enforcer::KeyEntry> retract; // keys whose DS removal is now asked for
};

// `signet zone unsign`: takes the zone to insecure without a moment of
// bogus answers (RFC 8078 §4, RFC 6781 §4.3): from now on its signings keep
// the keys as they are and publish CDS/CDNSKEY DELETE, and the DS of every
// KSK/CSK the parent may hold is to be removed (ds-retract-command, then
// `signet key ds-gone`). Once every removal is confirmed and the DS TTL plus
// the parent's propagation delay have passed, the next signing publishes the
// zone without DNSSEC and destroys its keys.
Result<UnsignReport> unsign_zone(Context& context, std::string_view zone, const Clock& clock);

// A warning when the zone's published signatures have expired at `now`, or
// expire within signature-refresh; none when they are fine (or the zone was
// never signed).
std::optional<std::string> expiry_warning(const enforcer::ZoneEntry& zone, const enforcer::Policy& policy,
                                          TimePoint now);

// The zone's next event counting the published signatures' refresh point
// (expiry minus signature-refresh), which comes first when it is earlier
// than `next`: a zone is never announced for after its signatures run out.
std::optional<TimePoint> with_refresh_point(const enforcer::ZoneEntry& zone, const enforcer::Policy& policy,
                                            std::optional<TimePoint> next);
// A zone going insecure (`signet zone unsign`): from when its unsigned
// version may be published (every DS confirmed gone, plus the DS TTL and the
// parent's propagation delay); nullopt while a removal is still to be
// confirmed.
Result<std::optional<TimePoint>> insecure_from(Context& context, const enforcer::ZoneEntry& zone,
                                               const enforcer::Policy& policy);
// with_refresh_point, and for a zone going insecure the time its unsigned
// version may be published: what `sign`, `enforce` and `zone status`
// announce as the zone's next event.
Result<std::optional<TimePoint>> next_zone_event(Context& context, const enforcer::ZoneEntry& zone,
                                                 const enforcer::Policy& policy, std::optional<TimePoint> next);

// Whether a clock reading is fit to sign `zone` with: refused (unless
// `force`) when it is earlier than the last signing or more than
// signature-validity after it. Returns warnings for what is let through.
Result<std::vector<std::string>> check_signing_clock(const enforcer::ZoneEntry& zone, const enforcer::Policy& policy,
                                                     TimePoint now, bool force);


// Under the state lock, before signing: removes temporary files that killed
// runs left beside the outputs, and settles a publication that was cut off
// between the rename and the store's commit (the committed file stays; an
// uncommitted one is replaced by the file it replaced). Returns what it did.
Result<std::vector<std::string>> recover_outputs(Context& context);

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
