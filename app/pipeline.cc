#include <signet/app/pipeline.h>

#include <signet/app/enforce.h>
#include <signet/app/hooks.h>
#include <signet/app/journal.h>
#include <signet/app/signed_state.h>
#include <signet/app/tlsa.h>
#include <signet/app/zone_input.h>
#include <signet/app/zones.h>
#include <signet/enforcer/keystate.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <openssl/rand.h>

#include <signet/base/atomic_file.h>
#include <signet/base/duration.h>
#include <signet/base/hex.h>
#include <signet/base/regular_file.h>
#include <signet/crypto/dnssec.h>
#include <signet/dns/zone_writer.h>
#include <signet/signer/verify.h>

namespace signet::app {

namespace fs = std::filesystem;
using enforcer::KeyEntry;
using enforcer::KeyRole;
using enforcer::RecordState;

namespace {

// The first line of the SoftHSM2 configuration `signet init` writes.
constexpr std::string_view softhsm_conf_header = "# SoftHSM2 configuration of this Signet state directory.";

Result<std::string> random_pin()
{
    unsigned char bytes[12];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        return fail(ErrorCode::Crypto, "no randomness for a PIN");
    return to_hex(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

Result<void> write_private(const fs::path& path, std::string_view content)
{
    // Created 0600 before anything is written to it.
    FILE* file = std::fopen(path.c_str(), "wx");
    if (!file)
        return fail(ErrorCode::Io, fmt::format("{}: cannot create", path.string()));
    ::chmod(path.c_str(), 0600);
    bool ok = std::fwrite(content.data(), 1, content.size(), file) == content.size();
    ok &= std::fclose(file) == 0;
    if (!ok)
        return fail(ErrorCode::Io, fmt::format("{}: cannot write", path.string()));
    return {};
}

uint32_t seconds(Duration d) { return static_cast<uint32_t>(d.count()); }

// SoftHSM2 rewrites a token's token.object at every login (the token's
// flags live there) by truncating the file and writing it again. A run
// killed in between leaves it empty, and with it the token and every key in
// it: the file holds the token's key, wrapped with the PINs. So the embedded
// token's file is copied after each login that worked, and an emptied one
// is put back from the copy before the token is opened.
fs::path token_copy(const fs::path& state_dir, const fs::path& token_dir)
{
    return state_dir / "token-copies" / (token_dir.filename().string() + ".object");
}

std::vector<fs::path> embedded_token_dirs(const fs::path& state_dir)
{
    std::vector<fs::path> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(state_dir / "tokens", ec)) {
        if (entry.is_directory(ec) && fs::exists(entry.path() / "token.object", ec))
            out.push_back(entry.path());
    }
    return out;
}

void restore_emptied_tokens(const fs::path& state_dir)
{
    for (const auto& dir : embedded_token_dirs(state_dir)) {
        std::error_code ec;
        const fs::path object = dir / "token.object";
        if (fs::file_size(object, ec) != 0 || ec)
            continue;
        auto copy = read_regular_file(token_copy(state_dir, dir), 1 << 20);
        if (!copy || copy->empty())
            continue;
        if (write_file_atomically(object, *copy, 0600))
            fmt::print(stderr, "signet: {} was empty (a run killed while the token wrote it); put back from {}\n",
                       object.string(), token_copy(state_dir, dir).string());
    }
}

void copy_token_files(const fs::path& state_dir)
{
    for (const auto& dir : embedded_token_dirs(state_dir)) {
        auto content = read_regular_file(dir / "token.object", 1 << 20);
        if (!content || content->empty())
            continue;
        const fs::path copy = token_copy(state_dir, dir);
        if (auto old = read_regular_file(copy, 1 << 20); old && *old == *content)
            continue;
        std::error_code ec;
        fs::create_directory(copy.parent_path(), ec);
        fs::permissions(copy.parent_path(), fs::perms::owner_all, ec);
        (void)write_file_atomically(copy, *content, 0600);
    }
}

} // namespace

Result<InitReport> init_state(const fs::path& state_dir)
{
    std::error_code ec;
    fs::path dir = fs::absolute(state_dir);
    bool existed = fs::exists(dir);
    if (existed && !fs::is_empty(dir, ec))
        return fail(ErrorCode::Conflict,
                    fmt::format("{}: the state directory is not empty; signet init never overwrites one", dir.string()));
    bool done = false;
    struct Cleanup {
        const fs::path& dir;
        bool existed;
        bool& done;
        ~Cleanup()
        {
            if (done)
                return;
            std::error_code ignored;
            if (existed) {
                for (const auto& entry : fs::directory_iterator(dir, ignored))
                    fs::remove_all(entry.path(), ignored);
            } else {
                fs::remove_all(dir, ignored);
            }
        }
    } cleanup { dir, existed, done };

    fs::create_directories(dir / "tokens", ec);
    if (ec)
        return fail(ErrorCode::Io, fmt::format("{}: cannot create: {}", dir.string(), ec.message()));
    fs::permissions(dir, fs::perms::owner_all, ec);
    fs::permissions(dir / "tokens", fs::perms::owner_all, ec);

    std::string softhsm_conf = fmt::format("{}\n"
                                           "directories.tokendir = {}\n"
                                           "objectstore.backend = file\n"
                                           "log.level = ERROR\n",
                                           softhsm_conf_header, (dir / "tokens").string());
    SIGNET_TRY(write_file_atomically(dir / "softhsm2.conf", softhsm_conf));
    std::string so_pin = SIGNET_TRY(random_pin());
    std::string user_pin = SIGNET_TRY(random_pin());
    SIGNET_TRY(write_private(dir / "so.pin", so_pin + "\n"));
    SIGNET_TRY(write_private(dir / "token.pin", user_pin + "\n"));
    SIGNET_TRY(write_file_atomically(dir / "signet.toml", default_config_text()));
    Config config = SIGNET_TRY(load_config(dir / "signet.toml", dir));
    SIGNET_TRY(enforcer::KeyDb::create(dir / "signet.db"));
    SIGNET_TRY(crypto::p11::init_token(config.hsm.token_config(), so_pin, user_pin));
    copy_token_files(dir);
    done = true;
    return InitReport { dir, dir / "signet.toml", dir / "signet.db", config.hsm.token };
}

Result<Context> Context::open(const fs::path& state_dir, const std::optional<fs::path>& config_file,
                              const OpenOptions& options)
{
    fs::path dir = fs::absolute(state_dir);
    fs::path file = config_file ? *config_file : dir / "signet.toml";
    if (!options.config && !fs::exists(file))
        return fail(ErrorCode::Config, fmt::format("{}: no configuration; run `signet --state {} init` first",
                                                   file.string(), shell_quote(state_dir.string())));
    Config config = options.config ? *options.config : SIGNET_TRY(load_config(file, dir));
    std::optional<StateLock> lock;
    if (options.access == Access::Write) {
        if (!fs::is_directory(dir))
            return fail(ErrorCode::Config, fmt::format("{}: no state directory", dir.string()));
        // Before the store is read: what a writer plans from must be what
        // it commits onto.
        if (options.inherited_lock)
            lock.emplace(SIGNET_TRY(StateLock::inherit(dir, *options.inherited_lock)));
        else
            lock.emplace(SIGNET_TRY(StateLock::acquire(dir, options.command, options.wait)));
    }
    auto db = SIGNET_TRY(enforcer::KeyDb::open(dir / "signet.db"));
    return Context(std::move(config), std::move(db), dir, std::move(lock));
}

namespace {

// SoftHSM2 wants an absolute token directory. A state dir that was moved or
// restored elsewhere still names the old one in the configuration init
// wrote, and the module fails with CKR_GENERAL_ERROR; that file follows its
// state dir (a configuration the operator wrote is left alone).
Result<void> follow_state_dir(const fs::path& dir)
{
    fs::path conf = dir / "softhsm2.conf";
    std::ifstream in(conf);
    if (!in)
        return {};
    std::string line, text;
    bool ours = false, changed = false;
    const std::string wanted = "directories.tokendir = " + (dir / "tokens").string();
    while (std::getline(in, line)) {
        if (text.empty() && line == softhsm_conf_header)
            ours = true;
        if (ours && line.starts_with("directories.tokendir") && line != wanted) {
            line = wanted;
            changed = true;
        }
        text += line + "\n";
    }
    if (!ours || !changed || !fs::is_directory(dir / "tokens"))
        return {};
    return write_file_atomically(conf, text);
}

} // namespace

Result<std::shared_ptr<crypto::p11::KeyStore>> Context::shared_token()
{
    // One try per run: a wrong PIN tried once per zone would lock a real
    // HSM's PIN after about three zones.
    if (token_failure_)
        return fail(*token_failure_);
    if (!token_) {
        auto opened = [&]() -> Result<std::shared_ptr<crypto::p11::KeyStore>> {
            SIGNET_TRY(follow_state_dir(state_dir));
            restore_emptied_tokens(state_dir);
            std::string pin = SIGNET_TRY(crypto::p11::read_pin(config.hsm.pin_file));
            return std::shared_ptr<crypto::p11::KeyStore>(
                SIGNET_TRY(crypto::p11::KeyStore::open(config.hsm.token_config(), pin)));
        }();
        if (!opened) {
            token_failure_ = opened.error();
            return fail(opened.error());
        }
        copy_token_files(state_dir);
        token_ = std::move(*opened);
    }
    return token_;
}

Result<crypto::p11::KeyStore*> Context::token() { return SIGNET_TRY(shared_token()).get(); }

Context::Premade::Premade(Premade&& other) noexcept
    : token_(std::move(other.token_))
    , keys_(std::move(other.keys_))
{
    other.keys_.clear();
}

Context::Premade::~Premade()
{
    for (const auto& [zone, keys] : keys_) {
        for (const auto& key : keys)
            (void)token_->destroy(key.locator);
    }
}

void Context::Premade::add(std::shared_ptr<crypto::p11::KeyStore> token, KeyEntry key)
{
    token_ = std::move(token);
    keys_[key.zone_id].push_back(std::move(key));
}

std::optional<KeyEntry> Context::Premade::take(int64_t zone_id, const enforcer::KeyRequest& request)
{
    auto zone = keys_.find(zone_id);
    if (zone == keys_.end())
        return std::nullopt;
    auto& keys = zone->second;
    auto match = std::find_if(keys.begin(), keys.end(), [&](const KeyEntry& key) {
        return key.role == request.role && key.algorithm == request.algorithm && key.bits == request.bits;
    });
    if (match == keys.end())
        return std::nullopt;
    KeyEntry key = std::move(*match);
    keys.erase(match);
    if (keys.empty())
        keys_.erase(zone);
    return key;
}

Result<const enforcer::Policy*> Context::policy(std::string_view name) const
{
    auto it = config.policies.find(std::string(name));
    if (it == config.policies.end())
        return fail(ErrorCode::Config, fmt::format("{}: no policy '{}'", config.path.string(), name));
    return &it->second;
}

Result<enforcer::ZoneEntry> Context::zone(std::string_view name)
{
    auto found = SIGNET_TRY(db.find_zone(name));
    if (!found)
        return fail(ErrorCode::NotFound,
                    fmt::format("zone '{}' is not registered; add it with `signet zone add`", name));
    return std::move(*found);
}

namespace {

signer::SerialMode serial_mode(const enforcer::Policy& policy)
{
    switch (policy.serial) {
    case enforcer::SerialPolicy::Keep: return signer::SerialMode::Keep;
    case enforcer::SerialPolicy::Counter: return signer::SerialMode::Counter;
    case enforcer::SerialPolicy::Unixtime: return signer::SerialMode::Unixtime;
    case enforcer::SerialPolicy::Datecounter: return signer::SerialMode::Datecounter;
    }
    return signer::SerialMode::Unixtime;
}

// RFC 8078 §4: the CDS and CDNSKEY that ask the parent to remove every DS
// ("0 0 0 00" and "0 3 0 AA==").
const dns::Bytes cds_delete { '\0', '\0', '\0', '\0', '\0' };
const dns::Bytes cdnskey_delete { '\0', '\0', '\3', '\0', '\0' };

bool is_dnssec_type(dns::RRType type)
{
    using dns::RRType;
    return type == RRType::DNSKEY || type == RRType::RRSIG || type == RRType::NSEC || type == RRType::NSEC3
        || type == RRType::NSEC3PARAM || type == RRType::CDS || type == RRType::CDNSKEY;
}

// Whether a zone on its way to insecure may publish unsigned now: no
// KSK/CSK waits for the parent any more, and every DS the parent had has
// left every cache (the last ds-gone, plus the DS TTL and the parent's
// propagation delay).
Result<bool> ready_for_insecure(Context& context, const enforcer::ZoneEntry& zone, const enforcer::Policy& policy,
                                TimePoint now)
{
    auto from = SIGNET_TRY(insecure_from(context, zone, policy));
    return from && now >= *from;
}

// The SOA RDATA with another serial: the first of the five 32-bit fields
// that end it (RFC 1035 §3.3.13), as the signer sets it.
dns::Bytes with_serial(std::string_view soa, uint32_t serial)
{
    dns::Bytes out(soa);
    for (int i = 0; i < 4; ++i)
        out[out.size() - 20 + i] = static_cast<char>((serial >> (24 - 8 * i)) & 0xff);
    return out;
}

// Whether the zone needs a new NSEC3 salt now: it has none, or one of
// another length than the policy's, or nsec3-resalt has passed since it
// was made.
bool nsec3_salt_due(const enforcer::Policy& policy, const enforcer::ZoneEntry& zone, TimePoint now)
{
    if (policy.denial != enforcer::Denial::Nsec3)
        return false;
    if (!zone.nsec3_salt || zone.nsec3_salt->size() != 2 * policy.nsec3_salt_length || !from_hex(*zone.nsec3_salt))
        return true;
    return policy.nsec3_resalt && policy.nsec3_salt_length > 0
           && zone.nsec3_salt_created.value_or(TimePoint {}) + *policy.nsec3_resalt <= now;
}

signer::SigningPlan make_plan(const enforcer::Policy& policy, const enforcer::ZoneEntry& zone,
                              const std::vector<KeyEntry>& keys, const dns::Name& apex)
{
    signer::SigningPlan plan;
    // The key states say what the zone publishes: a DNSKEY while it is
    // rumoured or omnipresent, signatures likewise, and CDS/CDNSKEY for
    // every key whose DS the parent should hold now (RFC 7344). A new
    // zone's first CDS waits like its first DS (`signet ds` says from when):
    // a parent that bootstraps from CDS (RFC 8078) and took it at the first
    // signing would send resolvers to secondaries still serving the zone
    // unsigned, or to cached unsigned answers, with a DS: bogus.
    auto shown = [](const enforcer::RecordStatus& status) {
        return status.state == RecordState::Rumoured || status.state == RecordState::Omnipresent;
    };
    for (const auto& key : keys) {
        if (key.removed)
            continue;
        signer::PlannedKey planned;
        planned.locator = key.locator;
        planned.algorithm = key.algorithm;
        planned.dnskey = key.dnskey_rdata;
        planned.publish = shown(key.dnskey);
        planned.signs_keyset = shown(key.krrsig);
        planned.signs_zone = shown(key.zrrsig);
        if (planned.publish || planned.signs_keyset || planned.signs_zone)
            plan.keys.push_back(planned);
        // Only for a published DNSKEY: a CDS or CDNSKEY naming a key the zone
        // does not publish would have the parent hold a DS nothing answers
        // to, and the self-check refuses it.
        if (policy.cds && shown(key.ds) && planned.publish) {
            if (auto ds = crypto::make_ds_rdata(apex, key.dnskey_rdata, policy.cds_digest))
                plan.cds.push_back(*ds);
            plan.cdnskey.push_back(key.dnskey_rdata);
        }
    }
    plan.dnskey_ttl = seconds(policy.dnskey_ttl);
    plan.validity = policy.signature_validity;
    plan.inception_offset = policy.signature_inception_offset;
    plan.jitter = policy.signature_jitter;
    plan.refresh = policy.signature_refresh;
    plan.refresh_window = policy.signature_resign_interval;
    if (policy.denial == enforcer::Denial::Nsec3) {
        signer::Nsec3Params params;
        params.iterations = static_cast<uint16_t>(policy.nsec3_iterations);
        params.opt_out = policy.nsec3_opt_out;
        if (zone.nsec3_salt) {
            if (auto salt = from_hex(*zone.nsec3_salt))
                params.salt = std::move(*salt);
        }
        plan.nsec3 = params;
    }
    plan.serial = serial_mode(policy);
    plan.last_serial = zone.serial;
    if (policy.soa_ttl)
        plan.soa_ttl = seconds(*policy.soa_ttl);
    if (policy.soa_minimum)
        plan.soa_minimum = seconds(*policy.soa_minimum);
    return plan;
}

} // namespace

namespace {

// The last step of `signet zone unsign`: the input without any DNSSEC
// record, a new serial, written as a signed zone is (store and file
// together); then the keys are destroyed.
Result<SignReport> publish_unsigned(Context& context, const enforcer::ZoneEntry& zone, const enforcer::Policy& policy,
                                    const dns::Zone& input, TimePoint now, SignReport report,
                                    std::chrono::steady_clock::time_point started)
{
    const uint32_t serial = signer::next_serial(serial_mode(policy), input.serial(), zone.serial,
                                                std::chrono::floor<std::chrono::seconds>(now).time_since_epoch().count());
    dns::ZoneBuilder builder(input.origin());
    dns::Bytes soa;
    for (const dns::RRsetView rrset : input) {
        if (is_dnssec_type(rrset.type()))
            continue;
        for (std::string_view rdata : rrset.rdatas()) {
            if (rrset.type() == dns::RRType::SOA) {
                soa = with_serial(rdata, serial);
                rdata = soa;
            }
            builder.add(dns::RecordView { rrset.owner(), rrset.type(), rrset.ttl(), rdata, 0, 0 });
        }
    }
    dns::Diagnostics diagnostics;
    diagnostics.files = { zone.input.string() };
    dns::Zone unsigned_zone = SIGNET_TRY(std::move(builder).build(diagnostics));
    auto file = SIGNET_TRY(AtomicFile::create(zone.output));
    SIGNET_TRY(file.write(dns::zone_to_text(unsigned_zone)));
    SIGNET_TRY(file.flush());

    enforcer::ZoneEntry updated = zone;
    updated.serial = serial;
    updated.signed_at = now;
    updated.expires.reset();
    updated.output_id = AtomicFile::identity(file.temporary_path());
    updated.insecure_since = zone.insecure_since.value_or(now);
    auto keys = SIGNET_TRY(context.db.keys_of(zone.id));
    std::vector<KeyEntry> retired;
    auto stored = context.db.transaction([&]() -> Result<void> {
        for (auto key : keys) {
            if (key.removed)
                continue;
            key.goal = enforcer::KeyGoal::Absent;
            key.removed = now;
            SIGNET_TRY(context.db.update_key(key));
            SIGNET_TRY(mark_for_destruction(context, key, now));
            retired.push_back(key);
        }
        SIGNET_TRY(context.db.update_zone(updated));
        SIGNET_TRY(context.db.clear_journal(zone.id));
        SIGNET_TRY(context.db.add_event({ 0, zone.id, std::nullopt, now, "unsigned",
                                          fmt::format("serial {}, published without DNSSEC", serial) }));
        if (auto committed = file.commit_keeping_previous(); !committed)
            return fail(committed.error().with_context(fmt::format("zone '{}'", zone.name)));
        return {};
    });
    if (!stored) {
        (void)file.restore_previous();
        return fail(stored.error().with_context(fmt::format("zone '{}' was not written; {} is unchanged", zone.name,
                                                            zone.output.string())));
    }
    file.drop_previous();
    remove_signed_state(context.state_dir, zone.id);
    if (!retired.empty()) {
        if (auto token = context.token()) {
            for (const auto& key : retired) {
                if (auto gone = forget_key(context, **token, key.locator); !gone)
                    report.stats.warnings.push_back("warning: " + gone.error().to_string());
            }
        } else {
            report.stats.warnings.push_back("warning: " + token.error().to_string());
        }
    }
    report.insecure = true;
    report.stats.serial = serial;
    report.stats.rrsets = unsigned_zone.size();
    report.denial = "none";
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (!policy.notify_command.empty())
        report.notify_failure = run_zone_hook("the notify command", policy.notify_command, zone.name,
                                              policy.hook_timeout);
    return report;
}

} // namespace

namespace {

// The zone as it was last signed, without what the signer makes, for a zone
// whose input cannot be signed now. Its TLSA bindings count what that
// version published as published.
Result<dns::Zone> last_good_version(Context& context, const enforcer::ZoneEntry& zone, const dns::Name& apex)
{
    if (!zone.signed_at || zone.insecure_since)
        return fail(ErrorCode::NotFound, "the zone was never signed");
    auto last = SIGNET_TRY(load_signed_state(context.state_dir, zone, apex));
    auto unsigned_zone = SIGNET_TRY(signer::unsigned_part(last));
    SIGNET_TRY(settle_tlsa_bindings(context.db, zone));
    return unsigned_zone;
}

} // namespace

Result<SignReport> sign_zone(Context& context, std::string_view zone_name, const Clock& clock,
                             const SignOptions& options)
{
    auto started = std::chrono::steady_clock::now();
    TimePoint now = clock.now();
    enforcer::ZoneEntry zone = SIGNET_TRY(context.zone(zone_name));
    const enforcer::Policy& policy = *SIGNET_TRY(context.policy(zone.policy));
    const dns::Name root;
    dns::Name apex = SIGNET_TRY(dns::Name::from_text(zone.name, &root));
    SIGNET_TRY(check_zone_paths(context, zone, Neighbours::Unchecked));
    std::vector<std::string> clock_warnings = SIGNET_TRY(check_signing_clock(zone, policy, now, options.force));

    // The input first: a bad zone file changes nothing anywhere. The
    // policy says where its $INCLUDEs may read and how large it may be.
    dns::Diagnostics diagnostics = zone_read_settings(policy);
    auto input = dns::load_zone_file(zone.input, apex, diagnostics);
    std::optional<Error> broken; // why the input cannot be signed
    if (!input) {
        // Every "file:line: what is wrong", then one line for the zone.
        std::string all;
        for (const auto& error : diagnostics.errors)
            all += error.to_string() + "\n";
        if (all.empty())
            all = input.error().to_string() + "\n";
        broken = Error(input.error().code(), fmt::format("{}zone '{}': its input {} has errors", all, zone.name,
                                                         zone.input.string()));
    }
    SignReport report;
    report.zone = zone.name;
    report.output = zone.output;
    report.stats.warnings = std::move(clock_warnings);
    for (const auto& warning : diagnostics.warnings)
        report.stats.warnings.push_back(Error(warning).with_context("warning").to_string());
    // The TLSA records of the zone's bindings, from the certificates as they are now.
    if (input) {
        if (auto alarms = add_tlsa_records(context.db, zone, *input, now, policy.zone_propagation_delay); !alarms) {
            broken = alarms.error();
        } else {
            for (auto& alarm : *alarms) {
                report.stats.warnings.push_back("warning: " + alarm);
                report.alarm = true;
            }
        }
    }
    if (broken) {
        // Never stale: the last good version, signed again.
        auto last = last_good_version(context, zone, apex);
        if (!last)
            return fail(Error(broken->code(), fmt::format("{}; zone '{}' was not signed, {} is unchanged, and there "
                                                          "is no last good version to sign instead: {}",
                                                          broken->to_string(), zone.name, zone.output.string(),
                                                          last.error().message())));
        input = std::move(*last);
        report.input_error = broken->to_string();
        report.alarm = true;
        // The certificates are looked at all the same: every problem is told.
        if (auto bindings = tlsa_status(context.db, zone, policy.zone_propagation_delay, now)) {
            for (const auto& binding : *bindings) {
                if (binding.problem)
                    report.stats.warnings.push_back(fmt::format("warning: {}; its last published TLSA records are kept",
                                                                binding.problem->to_string()));
            }
        }
    }

    if (zone.unsign_started && SIGNET_TRY(ready_for_insecure(context, zone, policy, now)))
        return publish_unsigned(context, zone, policy, *input, now, std::move(report), started);

    // The enforcer's step first: it decides which keys the zone publishes
    // and signs with now, and makes any new key it needs in the token (a
    // zone going insecure keeps its keys as they are: see plan_step).
    uint32_t max_ttl = 0;
    for (size_t i = 0; i < input->size(); ++i)
        max_ttl = std::max(max_ttl, input->rrset(i).ttl());
    ZoneStep zs = SIGNET_TRY(step_zone(context, zone, now, true, max_ttl));
    // From here on, a failure must also take the new keys out of the token.
    struct Undo {
        Context& context;
        ZoneStep& zs;
        bool keep = false;
        ~Undo()
        {
            if (!keep)
                discard_generated(context, zs);
        }
    } undo { context, zs };
    const auto& keys = zs.step.keys;

    enforcer::ZoneEntry updated = zone;
    // A salt when there is none, or of another length, or once nsec3-resalt
    // has passed: the whole NSEC3 chain is made again in the new version.
    if (nsec3_salt_due(policy, zone, now)) {
        std::string salt(policy.nsec3_salt_length, '\0');
        if (!salt.empty() && RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) != 1)
            return fail(ErrorCode::Crypto, "no randomness for the NSEC3 salt");
        updated.nsec3_salt = to_hex(salt);
        updated.nsec3_salt_created = now;
    }
    signer::SigningPlan plan = make_plan(policy, updated, keys, apex);
    if (zone.unsign_started) {
        plan.cds = { cds_delete };
        plan.cdnskey = { cdnskey_delete };
    }
    plan.threads = options.threads;
    plan.verification = options.verification;

    // The version published last, to keep what is still good in it. A zone
    // signed before whose version cannot be used is signed in full, and
    // says why.
    std::optional<dns::Zone> previous;
    if (zone.signed_at && !zone.insecure_since && !options.force) {
        if (auto loaded = load_signed_state(context.state_dir, zone, apex))
            previous = std::move(*loaded);
        else
            report.stats.warnings.push_back(fmt::format("warning: zone '{}': the signer's last version cannot be "
                                                        "used ({}); signing in full",
                                                        zone.name, loaded.error().message()));
    }
    if (previous && AtomicFile::identity(zone.output) != zone.output_id) {
        plan.new_version = true;
        report.stats.warnings.push_back(fmt::format("warning: zone '{}': {} is not the file Signet published last "
                                                    "(removed or replaced); writing a new version",
                                                    zone.name, zone.output.string()));
    }
    signer::TokenSource token = [&context] { return context.token(); };
    auto version = signer::sign(*input, previous ? &*previous : nullptr, plan, token, now);
    if (!version) {
        // A key the token no longer has: name it, and the way out.
        std::string hint;
        for (const auto& key : keys) {
            if (version.error().code() == ErrorCode::NotFound && !key.removed
                && version.error().message().find(key.locator) != std::string::npos)
                hint = fmt::format(" ({} {} has no private key in the token: if it is lost, `signet key lost {} {}` "
                                   "puts a new key in its place at once)",
                                   enforcer::key_role_to_text(key.role), key.key_tag, shell_quote(zone.name), key.key_tag);
        }
        return fail(version.error().with_context(fmt::format("zone '{}' was not signed; {} is unchanged{}", zone.name,
                                                             zone.output.string(), hint)));
    }
    input = dns::Zone(); // their memory is better used for what follows
    previous.reset();
    // The signer's figures, after the warnings gathered so far.
    std::vector<std::string> warnings = std::move(report.stats.warnings);
    for (auto& warning : version->stats.warnings)
        warnings.push_back(std::move(warning));
    report.stats = std::move(version->stats);
    report.stats.warnings = std::move(warnings);
    const signer::SigningStats& stats = report.stats;
    report.denial = plan.nsec3 ? "NSEC3" : "NSEC";
    // What a signing reports whether it published or not.
    auto completed = [&]() -> Result<SignReport> {
        report.next_event = SIGNET_TRY(next_zone_event(context, updated, policy, zs.step.next_event));
        report.todo = operator_todo(updated, zs.step.keys);
        report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        return std::move(report);
    };

    if (!version->changed) {
        // Nothing to publish: the output, its serial and the secondaries
        // stay as they are. Key states that moved without changing the zone
        // are stored all the same.
        if (zs.step.keys != zs.stored) {
            SIGNET_TRY(context.db.transaction([&]() -> Result<void> {
                SIGNET_TRY(store_step(context, zs, now));
                remember_published_ttls(updated, zs, now);
                return context.db.update_zone(updated);
            }));
            zs.zone = updated;
            for (auto& warning : finish_step(context, zs, now))
                report.stats.warnings.push_back(warning);
        }
        undo.keep = true;
        report.changed = false;
        return completed();
    }

    // The self-check, on the value that will be written: chains complete
    // and closed, every RRset that needs a signature has one in its window.
    // (Each new signature was already verified with OpenSSL when it was
    // made, unless the structural check alone was asked for.)
    auto check = signer::verify_zone(version->zone, now, { .signatures = false, .threads = options.threads });
    if (!check.ok())
        return fail(ErrorCode::Dnssec, fmt::format("zone '{}': the signed zone fails its self-check ({}); {} is "
                                                   "unchanged",
                                                   zone.name, check.errors.front(), zone.output.string()));
    // Never a version that runs out before the one it replaces (a clock
    // set back, a validity cut short): caches and secondaries holding the
    // old one would be overtaken by an earlier expiry. The jitter is the
    // slack a changed zone may legitimately take.
    if (zone.expires && stats.earliest_expiration + policy.signature_jitter < *zone.expires && !options.force)
        return fail(ErrorCode::Dnssec,
                    fmt::format("zone '{}': the new signatures would expire from {}, before the published ones ({}); "
                                "check the clock and signature-validity, or sign with --force; {} is unchanged",
                                zone.name, format_time(stats.earliest_expiration), format_time(*zone.expires),
                                zone.output.string()));

    auto file = SIGNET_TRY(AtomicFile::create(zone.output));
    SIGNET_TRY(dns::write_zone_text(
        version->zone, [&](std::string_view chunk) { return file.write(chunk); }, options.threads));
    SIGNET_TRY(file.flush());
    if (options.check_output) {
        // What will be served, read back from the file and checked again.
        dns::Diagnostics reread = dns::Diagnostics::for_own_output();
        auto written = dns::load_zone_file(file.temporary_path(), apex, reread);
        if (!written)
            return fail(Error(ErrorCode::Internal,
                              fmt::format("zone '{}': the signed zone does not read back: {}; {} is unchanged",
                                          zone.name, written.error().to_string(), zone.output.string())));
        auto again = signer::verify_zone(*written, now, { .signatures = false, .threads = options.threads });
        if (!again.ok())
            return fail(ErrorCode::Dnssec, fmt::format("zone '{}': the written file fails its self-check ({}); {} is "
                                                       "unchanged",
                                                       zone.name, again.errors.front(), zone.output.string()));
    }

    updated.serial = stats.serial;
    updated.signed_at = now;
    updated.expires = stats.earliest_expiration;
    // The renamed file keeps the temporary file's inode: the store records
    // which file it committed, so that a run killed between the rename and
    // the commit can be told apart later (see recover_outputs).
    updated.output_id = AtomicFile::identity(file.temporary_path());
    // The journal keeps what this version changed, for IXFR and `zone diff`;
    // a version without a changeset (the first, or one that changed more
    // than the zone holds) starts it anew.
    std::optional<enforcer::JournalEntry> journal;
    if (version->changes && zone.serial) {
        journal = SIGNET_TRY(journal_entry(zone.id, *zone.serial, stats.serial, now, *version->changes));
        if (journal->removed.size() + journal->added.size() > policy.journal_max_bytes)
            journal.reset();
    }
    version->changes.reset();
    // The signer's memory of this version for the next run; without it the
    // next run signs in full, so a failure to write it costs time, not the
    // signing.
    auto state = write_signed_state(context.state_dir, updated, version->zone);
    if (!state) {
        report.stats.warnings.push_back(fmt::format("warning: zone '{}': the signer's state was not saved ({}); the "
                                                    "next signing is a full one",
                                                    zone.name, state.error().to_string()));
        remove_signed_state(context.state_dir, zone.id);
    }
    // The store and the output change together: the file is renamed into
    // place as the last step of the transaction with the file it replaces
    // kept aside, and put back if the commit fails (a full disk), so a
    // failure of either leaves both as they were. The signer's state goes
    // first: a run killed after it and before the commit leaves a state the
    // store does not describe, which the next run does not use.
    auto stored = context.db.transaction([&]() -> Result<void> {
        SIGNET_TRY(store_step(context, zs, now));
        remember_published_ttls(updated, zs, now);
        SIGNET_TRY(context.db.update_zone(updated));
        SIGNET_TRY(context.db.add_event({ 0, zone.id, std::nullopt, now, "sign",
                                          fmt::format("serial {}, {} signatures made, {} kept", stats.serial,
                                                      stats.signatures, stats.signatures_reused) }));
        if (journal)
            SIGNET_TRY(context.db.add_journal_entry(*journal, policy.journal_max_versions, policy.journal_max_bytes));
        else
            SIGNET_TRY(context.db.clear_journal(zone.id));
        if (state)
            SIGNET_TRY(state->commit());
        if (auto committed = file.commit_keeping_previous(); !committed)
            return fail(committed.error().with_context(fmt::format("zone '{}'", zone.name)));
        return {};
    });
    if (!stored) {
        std::string output_state = fmt::format("{} is unchanged", zone.output.string());
        if (auto restored = file.restore_previous(); !restored)
            output_state = fmt::format("the new {} could not be taken back ({}); sign again", zone.output.string(),
                                       restored.error().message());
        return fail(stored.error().with_context(fmt::format("zone '{}' was not signed; {}", zone.name, output_state)));
    }
    file.drop_previous();
    undo.keep = true;
    zs.zone = updated;
    for (auto& warning : finish_step(context, zs, now))
        report.stats.warnings.push_back(warning);

    for (size_t index : zs.generated)
        report.new_keys.push_back(zs.step.keys[index]);
    auto done = completed();
    if (done && !policy.notify_command.empty())
        done->notify_failure = run_zone_hook("the notify command", policy.notify_command, zone.name,
                                             policy.hook_timeout);
    return done;
}

std::optional<std::string> expiry_warning(const enforcer::ZoneEntry& zone, const enforcer::Policy& policy,
                                          TimePoint now)
{
    if (!zone.expires)
        return std::nullopt;
    if (now >= *zone.expires)
        return fmt::format("zone '{}': the published signatures expired at {}; validating resolvers now fail the "
                           "zone: sign it (`signet sign`)",
                           zone.name, format_time(*zone.expires));
    if (now + policy.signature_refresh > *zone.expires)
        return fmt::format("zone '{}': the published signatures expire at {}, within signature-refresh ({}): sign "
                           "it now",
                           zone.name, format_time(*zone.expires), format_duration(policy.signature_refresh));
    return std::nullopt;
}

Result<UnsignReport> unsign_zone(Context& context, std::string_view zone_name, const Clock& clock)
{
    TimePoint now = clock.now();
    enforcer::ZoneEntry zone = SIGNET_TRY(context.zone(zone_name));
    const enforcer::Policy& policy = *SIGNET_TRY(context.policy(zone.policy));
    UnsignReport report;
    report.zone = zone.name;
    if (zone.unsign_started)
        return report; // asked before; nothing more to ask
    auto keys = SIGNET_TRY(context.db.keys_of(zone.id));
    SIGNET_TRY(context.db.transaction([&]() -> Result<void> {
        for (auto& key : keys) {
            if (key.removed || key.role == KeyRole::ZSK)
                continue;
            // A DS the parent holds, was sent, or may have taken from a
            // published CDS: its removal must be asked for and confirmed.
            using enforcer::DsAtParent;
            bool maybe_at_parent = key.ds_at_parent != DsAtParent::Unsubmitted || policy.cds
                || key.ds.state != RecordState::Hidden;
            if (!maybe_at_parent || key.ds_at_parent == DsAtParent::Retract
                || key.ds_at_parent == DsAtParent::Retracted)
                continue;
            key.ds_at_parent = DsAtParent::Retract;
            SIGNET_TRY(context.db.update_key(key));
            report.retract.push_back(key);
        }
        zone.unsign_started = now;
        SIGNET_TRY(context.db.update_zone(zone));
        SIGNET_TRY(context.db.add_event({ 0, zone.id, std::nullopt, now, "unsign",
                                          "going insecure: CDS/CDNSKEY DELETE published, DS removal asked for" }));
        return {};
    }));
    return report;
}

Result<std::optional<TimePoint>> insecure_from(Context& context, const enforcer::ZoneEntry& zone,
                                               const enforcer::Policy& policy)
{
    if (zone.insecure_since)
        return zone.insecure_since;
    auto keys = SIGNET_TRY(context.db.keys_of(zone.id));
    for (const auto& key : keys) {
        if (!key.removed && key.role != KeyRole::ZSK && key.ds_at_parent != enforcer::DsAtParent::Unsubmitted)
            return std::optional<TimePoint>(); // a removal still to be confirmed
    }
    std::optional<TimePoint> last_gone;
    for (const auto& event : SIGNET_TRY(context.db.events_of(zone.id))) {
        if (event.event == "ds-gone")
            last_gone = event.time;
    }
    if (!last_gone)
        return std::optional(TimePoint {}); // no DS was ever confirmed at the parent
    return std::optional(*last_gone + policy.parent_ds_ttl + policy.parent_propagation_delay);
}

Result<std::optional<TimePoint>> next_zone_event(Context& context, const enforcer::ZoneEntry& zone,
                                                 const enforcer::Policy& policy, std::optional<TimePoint> next)
{
    next = with_refresh_point(zone, policy, next);
    if (policy.denial == enforcer::Denial::Nsec3 && policy.nsec3_resalt && zone.nsec3_salt_created
        && !zone.insecure_since) {
        const TimePoint resalt = *zone.nsec3_salt_created + *policy.nsec3_resalt;
        if (!next || resalt < *next)
            next = resalt;
    }
    if (zone.unsign_started && !zone.insecure_since) {
        if (auto from = SIGNET_TRY(insecure_from(context, zone, policy)); from && (!next || *from < *next))
            next = from;
    }
    return next;
}

std::optional<TimePoint> with_refresh_point(const enforcer::ZoneEntry& zone, const enforcer::Policy& policy,
                                            std::optional<TimePoint> next)
{
    if (!zone.expires)
        return next;
    TimePoint refresh = *zone.expires - policy.signature_refresh;
    return !next || refresh < *next ? std::optional(refresh) : next;
}

Result<std::vector<std::string>> check_signing_clock(const enforcer::ZoneEntry& zone, const enforcer::Policy& policy,
                                                     TimePoint now, bool force)
{
    std::vector<std::string> warnings;
    if (!zone.signed_at)
        return warnings;
    const TimePoint last = *zone.signed_at;
    const std::string hint = force ? "signing anyway (--force)" : "check the clock; --force signs anyway";
    std::string problem;
    if (now < last) {
        problem = fmt::format("the clock ({}) is earlier than the zone's last signing ({}): what is signed now "
                              "could expire before what is published",
                              format_time(now), format_time(last));
    } else if (now > last + policy.signature_validity) {
        problem = fmt::format("the clock ({}) is more than signature-validity ({}) after the zone's last signing "
                              "({}): either the clock is wrong or the published signatures have expired",
                              format_time(now), format_duration(policy.signature_validity), format_time(last));
    }
    if (!problem.empty()) {
        if (!force)
            return fail(ErrorCode::Conflict, fmt::format("zone '{}': {}; {}", zone.name, problem, hint));
        warnings.push_back(fmt::format("warning: zone '{}': {}; {}", zone.name, problem, hint));
    } else if (zone.expires && now + policy.signature_refresh > *zone.expires) {
        // A missed cron run or two: sign, and say so.
        warnings.push_back(fmt::format("warning: zone '{}' was last signed {} and its signatures expire from {}: "
                                       "signing was overdue",
                                       zone.name, format_time(last), format_time(*zone.expires)));
    }
    return warnings;
}

Result<std::vector<std::string>> recover_outputs(Context& context)
{
    std::vector<std::string> notes;
    // The signer's state files a killed run was writing (see
    // signed_state.h): never committed, so never used.
    std::error_code listed;
    for (const auto& entry : fs::directory_iterator(context.state_dir / "signed", listed)) {
        const std::string name = entry.path().filename().string();
        const size_t tmp = name.rfind(".tmp-");
        if (name.starts_with(".") && tmp != std::string::npos
            && AtomicFile::is_temporary_of(entry.path().parent_path() / name.substr(1, tmp - 1), name)) {
            std::error_code ignored;
            fs::remove(entry.path(), ignored);
        }
    }
    auto zones = SIGNET_TRY(context.db.list_zones());
    // One listing per output directory, not one per zone.
    std::map<fs::path, std::vector<const enforcer::ZoneEntry*>> by_dir;
    for (const auto& zone : zones)
        by_dir[zone.output.parent_path()].push_back(&zone);
    for (const auto& [dir, dir_zones] : by_dir) {
        std::map<std::string, const enforcer::ZoneEntry*> by_name;
        for (const auto* zone : dir_zones)
            by_name[zone->output.filename().string()] = zone;
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(dir, ec)) {
            const std::string name = entry.path().filename().string();
            if (!name.starts_with("."))
                continue;
            for (const auto& [output_name, zone] : by_name) {
                if (AtomicFile::is_temporary_of(zone->output, name)) {
                    // A writer holds the state lock while its temporary
                    // file exists; we hold it now, so this one is stale.
                    std::error_code ignored;
                    fs::remove(entry.path(), ignored);
                    notes.push_back(fmt::format("removed {}, left by a signing that did not finish",
                                                entry.path().string()));
                } else if (entry.path() == AtomicFile::previous_path(zone->output)) {
                    // A signing stopped between renaming its output into
                    // place and committing the store. The store says which
                    // file it committed.
                    if (!zone->output_id.empty() && AtomicFile::identity(zone->output) == zone->output_id) {
                        std::error_code ignored;
                        fs::remove(entry.path(), ignored);
                    } else if (::rename(entry.path().c_str(), zone->output.c_str()) == 0) {
                        notes.push_back(fmt::format("zone '{}': put back the previous {}: the signing that replaced "
                                                    "it never committed",
                                                    zone->name, zone->output.string()));
                    } else {
                        notes.push_back(fmt::format("zone '{}': cannot put back {} from {}", zone->name,
                                                    zone->output.string(), entry.path().string()));
                    }
                }
            }
        }
    }
    return notes;
}

namespace {

// When the first DS of a new zone may go to the parent: the time the
// enforcer moves it, found by stepping the stored keys forward.
Result<std::optional<TimePoint>> first_ds_time(Context& context, const enforcer::ZoneEntry& zone,
                                               const enforcer::Policy& policy)
{
    auto keys = SIGNET_TRY(context.db.keys_of(zone.id));
    TimePoint now = zone.signed_at.value_or(zone.created);
    for (int i = 0; i < 16; ++i) {
        auto step = enforcer::advance(keys, policy, now);
        keys = step.keys;
        if (!enforcer::before_first_ds(keys))
            return std::optional(now);
        if (!step.next_event || !step.to_generate.empty())
            break;
        now = *step.next_event;
    }
    return std::optional<TimePoint>();
}

} // namespace

Result<std::vector<DsRecord>> ds_records(Context& context, std::string_view zone_name)
{
    enforcer::ZoneEntry zone = SIGNET_TRY(context.zone(zone_name));
    const enforcer::Policy& policy = *SIGNET_TRY(context.policy(zone.policy));
    const dns::Name root;
    dns::Name apex = SIGNET_TRY(dns::Name::from_text(zone.name, &root));
    std::vector<DsRecord> out;
    auto keys = SIGNET_TRY(context.db.keys_of(zone.id));
    const bool first_ds = enforcer::before_first_ds(keys);
    for (const auto& key : keys) {
        if (key.role == KeyRole::ZSK)
            continue;
        DsRecord record;
        record.key = key;
        auto ds = SIGNET_TRY(crypto::make_ds_rdata(apex, key.dnskey_rdata, policy.cds_digest));
        uint32_t ttl = seconds(policy.parent_ds_ttl);
        dns::append_record(record.ds, apex, ttl, dns::RRType::DS, ds);
        dns::append_record(record.dnskey, apex, seconds(policy.dnskey_ttl), dns::RRType::DNSKEY, key.dnskey_rdata);
        record.ds.pop_back();
        record.dnskey.pop_back();
        using enforcer::DsAtParent;
        switch (key.ds_at_parent) {
        case DsAtParent::Submit:
        case DsAtParent::Submitted: record.action = "add"; break;
        case DsAtParent::Seen: record.action = "keep"; break;
        case DsAtParent::Retract:
        case DsAtParent::Retracted: record.action = "remove"; break;
        case DsAtParent::Unsubmitted:
            if (!first_ds || key.goal != enforcer::KeyGoal::Present || key.removed)
                continue;
            // A new zone: the DS goes to the parent once the zone is
            // signed in every cache.
            record.action = "pending";
            record.from = SIGNET_TRY(first_ds_time(context, zone, policy));
            break;
        }
        out.push_back(std::move(record));
    }
    return out;
}

} // namespace signet::app
