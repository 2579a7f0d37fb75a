#include <signet/app/pipeline.h>

#include <signet/app/enforce.h>
#include <signet/app/tlsa.h>
#include <signet/enforcer/keystate.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>

#include <fmt/format.h>
#include <openssl/rand.h>

#include <signet/base/atomic_file.h>
#include <signet/crypto/dnssec.h>
#include <signet/dns/zone_writer.h>
#include <signet/signer/verify.h>

namespace signet::app {

namespace fs = std::filesystem;
using enforcer::KeyEntry;
using enforcer::KeyRole;
using enforcer::RecordState;

namespace {

Result<std::string> random_pin()
{
    unsigned char bytes[12];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        return fail(ErrorCode::Crypto, "no randomness for a PIN");
    std::string pin;
    for (unsigned char b : bytes)
        pin += fmt::format("{:02x}", b);
    return pin;
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

std::string hex(std::string_view bytes)
{
    std::string out;
    for (unsigned char c : bytes)
        out += fmt::format("{:02x}", c);
    return out;
}

uint32_t seconds(Duration d) { return static_cast<uint32_t>(d.count()); }

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

    std::string softhsm_conf = fmt::format("# SoftHSM2 configuration of this Signet state directory.\n"
                                           "directories.tokendir = {}\n"
                                           "objectstore.backend = file\n"
                                           "log.level = ERROR\n",
                                           (dir / "tokens").string());
    SIGNET_TRY(write_file_atomically(dir / "softhsm2.conf", softhsm_conf));
    std::string so_pin = SIGNET_TRY(random_pin());
    std::string user_pin = SIGNET_TRY(random_pin());
    SIGNET_TRY(write_private(dir / "so.pin", so_pin + "\n"));
    SIGNET_TRY(write_private(dir / "token.pin", user_pin + "\n"));
    SIGNET_TRY(write_file_atomically(dir / "signet.toml", default_config_text()));
    Config config = SIGNET_TRY(load_config(dir / "signet.toml", dir));
    SIGNET_TRY(enforcer::KeyDb::create(dir / "signet.db"));
    SIGNET_TRY(crypto::p11::init_token(config.hsm.token_config(), so_pin, user_pin));
    done = true;
    return InitReport { dir, dir / "signet.toml", dir / "signet.db", config.hsm.token };
}

Result<Context> Context::open(const fs::path& state_dir, const std::optional<fs::path>& config_file)
{
    fs::path dir = fs::absolute(state_dir);
    fs::path file = config_file ? *config_file : dir / "signet.toml";
    if (!fs::exists(file))
        return fail(ErrorCode::Config, fmt::format("{}: no configuration; run `signet --state {} init` first",
                                                   file.string(), state_dir.string()));
    Config config = SIGNET_TRY(load_config(file, dir));
    auto db = SIGNET_TRY(enforcer::KeyDb::open(dir / "signet.db"));
    return Context(std::move(config), std::move(db));
}

Result<std::shared_ptr<crypto::p11::KeyStore>> Context::shared_token()
{
    if (!token_) {
        std::string pin = SIGNET_TRY(crypto::p11::read_pin(config.hsm.pin_file));
        token_ = SIGNET_TRY(crypto::p11::KeyStore::open(config.hsm.token_config(), pin));
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

signer::SigningPlan make_plan(const enforcer::Policy& policy, const enforcer::ZoneEntry& zone,
                              const std::vector<KeyEntry>& keys, const dns::Name& apex)
{
    signer::SigningPlan plan;
    // The key states say what the zone publishes: a DNSKEY while it is
    // rumoured or omnipresent, signatures likewise, and CDS/CDNSKEY for
    // every key whose DS the parent should hold now (RFC 7344).
    auto shown = [](const enforcer::RecordStatus& status) {
        return status.state == RecordState::Rumoured || status.state == RecordState::Omnipresent;
    };
    const bool first_ds = enforcer::before_first_ds(keys);
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
        const bool first = first_ds && key.goal == enforcer::KeyGoal::Present && key.role != KeyRole::ZSK;
        if (policy.cds && (shown(key.ds) || first)) {
            if (auto ds = crypto::make_ds_rdata(apex, key.dnskey_rdata, policy.cds_digest))
                plan.cds.push_back(*ds);
            plan.cdnskey.push_back(key.dnskey_rdata);
        }
    }
    plan.dnskey_ttl = seconds(policy.dnskey_ttl);
    plan.validity = policy.signature_validity;
    plan.inception_offset = policy.signature_inception_offset;
    plan.jitter = policy.signature_jitter;
    if (policy.denial == enforcer::Denial::Nsec3) {
        signer::Nsec3Params params;
        params.iterations = static_cast<uint16_t>(policy.nsec3_iterations);
        params.opt_out = policy.nsec3_opt_out;
        if (zone.nsec3_salt) {
            for (size_t i = 0; i + 1 < zone.nsec3_salt->size(); i += 2)
                params.salt.push_back(static_cast<char>(std::stoi(zone.nsec3_salt->substr(i, 2), nullptr, 16)));
        }
        plan.nsec3 = params;
    }
    switch (policy.serial) {
    case enforcer::SerialPolicy::Keep: plan.serial = signer::SerialMode::Keep; break;
    case enforcer::SerialPolicy::Counter: plan.serial = signer::SerialMode::Counter; break;
    case enforcer::SerialPolicy::Unixtime: plan.serial = signer::SerialMode::Unixtime; break;
    case enforcer::SerialPolicy::Datecounter: plan.serial = signer::SerialMode::Datecounter; break;
    }
    plan.last_serial = zone.serial;
    if (policy.soa_ttl)
        plan.soa_ttl = seconds(*policy.soa_ttl);
    if (policy.soa_minimum)
        plan.soa_minimum = seconds(*policy.soa_minimum);
    return plan;
}

// The notify command runs through the shell with {zone} replaced; its
// output goes where ours goes.
std::optional<std::string> run_notify(const std::string& command, const std::string& zone)
{
    std::string line = command;
    for (size_t at; (at = line.find("{zone}")) != std::string::npos;)
        line.replace(at, 6, zone);
    int status = std::system(line.c_str());
    if (status == 0)
        return std::nullopt;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return fmt::format("the notify command `{}` failed (exit status {})", line, code);
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

    // The input first: a bad zone file changes nothing anywhere.
    dns::Diagnostics diagnostics;
    auto input = dns::load_zone_file(zone.input, apex, diagnostics);
    if (!input) {
        std::string all;
        for (const auto& error : diagnostics.errors)
            all += (all.empty() ? "" : "\n") + error.to_string();
        return fail(Error(input.error().code(), all.empty() ? input.error().to_string() : all));
    }
    SignReport report;
    report.zone = zone.name;
    report.output = zone.output;
    for (const auto& warning : diagnostics.warnings)
        report.stats.warnings.push_back(Error(warning).with_context("warning").to_string());
    // The TLSA records of the zone's bindings, from the certificates as they are now.
    SIGNET_TRY(add_tlsa_records(context.db, zone, *input, now));

    // The enforcer's step first: it decides which keys the zone publishes
    // and signs with now, and makes any new key it needs in the token.
    uint32_t max_ttl = 0;
    for (size_t i = 0; i < input->size(); ++i)
        max_ttl = std::max(max_ttl, input->rrset(i).ttl());
    ZoneStep zs = SIGNET_TRY(step_zone(context, zone, now, true, max_ttl));
    auto* token = SIGNET_TRY(context.token());
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
    if (policy.denial == enforcer::Denial::Nsec3
        && (!zone.nsec3_salt || zone.nsec3_salt->size() != 2 * policy.nsec3_salt_length)) {
        std::string salt(policy.nsec3_salt_length, '\0');
        if (!salt.empty() && RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) != 1)
            return fail(ErrorCode::Crypto, "no randomness for the NSEC3 salt");
        updated.nsec3_salt = hex(salt);
        updated.nsec3_salt_created = now;
    }
    signer::SigningPlan plan = make_plan(policy, updated, keys, apex);
    plan.threads = options.threads;
    plan.verification = options.verification;

    auto file = SIGNET_TRY(AtomicFile::create(zone.output));
    auto stats = signer::sign_zone(*input, plan, *token, now, [&](std::string_view chunk) { return file.write(chunk); });
    if (!stats)
        return fail(stats.error().with_context(fmt::format("zone '{}' was not signed; {} is unchanged", zone.name,
                                                           zone.output.string())));
    input = dns::Zone(); // its memory is better used for the check below
    SIGNET_TRY(file.flush());

    // Check what will be served, read back from the file: chains complete
    // and closed, every RRset that needs a signature has one in its window.
    // (Each new signature was already verified with OpenSSL when it was
    // made, unless the structural check alone was asked for.)
    dns::Diagnostics reread;
    auto written = dns::load_zone_file(file.temporary_path(), apex, reread);
    if (!written)
        return fail(Error(ErrorCode::Internal,
                          fmt::format("zone '{}': the signed zone does not read back: {}; {} is unchanged", zone.name,
                                      written.error().to_string(), zone.output.string())));
    auto check = signer::verify_zone(*written, now, { .signatures = false, .threads = options.threads });
    if (!check.ok())
        return fail(ErrorCode::Dnssec, fmt::format("zone '{}': the signed zone fails its self-check ({}); {} is "
                                                   "unchanged",
                                                   zone.name, check.errors.front(), zone.output.string()));
    written = dns::Zone();

    updated.serial = stats->serial;
    updated.signed_at = now;
    // The store and the output change together: the file is renamed into
    // place as the last step of the transaction, so a failure of either
    // leaves both as they were.
    SIGNET_TRY(context.db.transaction([&]() -> Result<void> {
        SIGNET_TRY(store_step(context, zs, now));
        remember_published_ttls(updated, zs, now);
        SIGNET_TRY(context.db.update_zone(updated));
        SIGNET_TRY(context.db.add_event({ 0, zone.id, std::nullopt, now, "sign",
                                          fmt::format("serial {}, {} signatures", stats->serial, stats->signatures) }));
        if (auto committed = file.commit(); !committed)
            return fail(committed.error().with_context(fmt::format("zone '{}'", zone.name)));
        return {};
    }));
    undo.keep = true;
    zs.zone = updated;
    for (auto& warning : finish_step(context, zs, now))
        report.stats.warnings.push_back(warning);

    report.stats.serial = stats->serial;
    auto warnings = std::move(report.stats.warnings);
    report.stats = std::move(*stats);
    warnings.insert(warnings.end(), report.stats.warnings.begin(), report.stats.warnings.end());
    report.stats.warnings = std::move(warnings);
    report.denial = plan.nsec3 ? "NSEC3" : "NSEC";
    for (size_t index : zs.generated)
        report.new_keys.push_back(zs.step.keys[index]);
    report.next_event = zs.step.next_event;
    report.todo = operator_todo(updated, zs.step.keys);
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (!policy.notify_command.empty())
        report.notify_failure = run_notify(policy.notify_command, zone.name);
    return report;
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
