// signet tlsa …: TLSA records from certificates (create), the TLSA bindings
// of a zone (add, list, remove, status) and the live check of the bound
// services (check).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <signet/app/pipeline.h>
#include <signet/app/tlsa.h>
#include <signet/base/duration.h>
#include <signet/base/process.h>
#include <signet/dns/zone_writer.h>
#include <signet/tlsa/derive.h>

#include "command.h"

namespace signet::cli {

namespace {

using enforcer::TlsaBindingEntry;

nlohmann::json path_or_null(const std::optional<std::filesystem::path>& path)
{
    return path ? nlohmann::json(path->string()) : nlohmann::json(nullptr);
}

// --- create ----------------------------------------------------------------

struct CreateCommand {
    std::string cert;
    std::string chain;
    int usage = 3;
    int selector = 1;
    int mtype = 1;
    uint16_t port = 443;
    std::string proto = "tcp";
    uint32_t ttl = 3600;
    std::string owner;
};

// OWNER is either a TLSA owner name ("_443._tcp.www.example.nl") or a host
// name, which --port and --proto complete.
Result<dns::Name> create_owner(const CreateCommand& command)
{
    auto name = SIGNET_TRY(parse_zone_name(command.owner, "OWNER"));
    if (name.label_count() >= 3 && name.first_label().starts_with('_')
        && name.parent().first_label().starts_with('_'))
        return name;
    auto transport = tlsa::transport_from_text(command.proto);
    if (!transport)
        return fail(ErrorCode::Usage, fmt::format("--proto '{}': use tcp, udp or sctp", command.proto));
    auto owner = tlsa::owner_name(name, command.port, *transport);
    if (!owner)
        return fail(Error(ErrorCode::Usage, owner.error().message()));
    return owner;
}

Result<int> create(const CreateCommand& command)
{
    dns::Name owner = SIGNET_TRY(create_owner(command));
    tlsa::RecordSpec spec = SIGNET_TRY(
        tlsa::parse_spec(fmt::format("{} {} {}", command.usage, command.selector, command.mtype)));
    tlsa::CertificateFiles files { command.cert, std::nullopt };
    if (!command.chain.empty())
        files.chain = command.chain;
    auto chain = SIGNET_TRY(tlsa::load_chain(files));
    auto record = tlsa::derive_record(chain, spec);
    if (!record)
        return fail(
            Error(record.error()).at(SourceLocation { command.chain.empty() ? command.cert : command.chain, 0, 0 }));
    std::string line;
    dns::append_record(line, owner, command.ttl, dns::RRType::TLSA, tlsa::to_rdata(*record));
    fmt::print("{}", line);
    return 0;
}

// --- add, list, remove ---------------------------------------------------

struct AddBinding {
    std::string zone;
    std::string host;
    uint16_t port = 0;
    std::string proto = "tcp";
    std::string cert, chain, records, next_cert, next_chain;
    uint32_t ttl = 3600;
    bool replace = false;
};

Result<int> add_binding(const Globals& globals, const AddBinding& command)
{
    auto context = SIGNET_TRY(globals.open(app::Access::Write));
    auto zone = SIGNET_TRY(context.zone(command.zone));
    const auto& policy = *SIGNET_TRY(context.policy(zone.policy));
    // The enforcer counts on no RRset outliving max-zone-ttl in caches.
    if (Duration(command.ttl) > policy.max_zone_ttl)
        return fail(ErrorCode::Usage, fmt::format("--ttl {} is above the max-zone-ttl ({}) of policy {}", command.ttl,
                                                  format_duration(policy.max_zone_ttl), zone.policy));
    auto clock = SIGNET_TRY(globals.clock());
    app::TlsaRequest request;
    request.host = command.host;
    request.port = command.port;
    request.proto = command.proto;
    request.cert = command.cert;
    if (!command.chain.empty())
        request.chain = command.chain;
    request.records = command.records;
    if (!command.next_cert.empty())
        request.next_cert = command.next_cert;
    if (!command.next_chain.empty())
        request.next_chain = command.next_chain;
    request.ttl = command.ttl;
    auto binding = SIGNET_TRY(app::add_binding(context.db, zone, request,
                                               command.replace ? app::Replace::Yes : app::Replace::No, clock->now()));
    dns::Name owner = SIGNET_TRY(app::binding_owner(binding));
    fmt::print("{} TLSA binding {} ({}): records {}{}; `signet sign {}` publishes them\n",
               command.replace ? "set" : "added", app::binding_label(binding), owner.to_text(), binding.records,
               binding.next_cert ? fmt::format(" for {} and the next certificate {}", binding.cert.string(),
                                               binding.next_cert->string())
                                 : fmt::format(" for {}", binding.cert.string()),
               shell_quote(zone.name));
    return 0;
}

nlohmann::json binding_json(const TlsaBindingEntry& b, const dns::Name& owner)
{
    return { { "host", b.host },
             { "port", b.port },
             { "proto", b.proto },
             { "owner", owner.to_text() },
             { "ttl", b.ttl },
             { "records", b.records },
             { "cert", b.cert.string() },
             { "chain", path_or_null(b.chain) },
             { "next_cert", path_or_null(b.next_cert) },
             { "next_chain", path_or_null(b.next_chain) } };
}

Result<int> list_bindings(const Globals& globals, const std::string& name)
{
    auto context = SIGNET_TRY(globals.open(app::Access::Read));
    auto zone = SIGNET_TRY(context.zone(name));
    auto bindings = SIGNET_TRY(enforcer::tlsa_bindings_of(context.db, zone.id));
    if (globals.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& b : bindings) {
            dns::Name owner = SIGNET_TRY(app::binding_owner(b));
            out.push_back(binding_json(b, owner));
        }
        fmt::print("{}\n", out.dump(2));
        return 0;
    }
    if (bindings.empty())
        fmt::print("zone {} has no TLSA bindings; add one with `signet tlsa add {} --host HOST --port N --cert FILE`\n",
                   zone.name, shell_quote(zone.name));
    for (const auto& b : bindings) {
        dns::Name owner = SIGNET_TRY(app::binding_owner(b));
        fmt::print("{}  {}  TTL {}  records {}\n", app::binding_label(b), owner.to_text(), b.ttl, b.records);
        fmt::print("  cert {}{}\n", b.cert.string(), b.chain ? fmt::format("  chain {}", b.chain->string()) : "");
        if (b.next_cert)
            fmt::print("  next {}{}\n", b.next_cert->string(),
                       b.next_chain ? fmt::format("  chain {}", b.next_chain->string()) : "");
    }
    return 0;
}

struct LiveArgs {
    std::string connect;
    std::string ca_file;
    unsigned timeout = 10;

    app::LiveOptions options() const
    {
        app::LiveOptions live;
        if (!connect.empty())
            live.connect = connect;
        if (!ca_file.empty())
            live.pkix_ca_file = ca_file;
        live.timeout = std::chrono::seconds(timeout);
        return live;
    }
};

struct RemoveCommand {
    std::string zone;
    std::string host;
    uint16_t port = 0; // 0: the host's only binding
    std::string proto;
    bool old = false;
    bool force = false;
    LiveArgs live;
};

Result<int> remove(const Globals& globals, const RemoveCommand& command)
{
    auto context = SIGNET_TRY(globals.open(app::Access::Write));
    auto zone = SIGNET_TRY(context.zone(command.zone));
    auto clock = SIGNET_TRY(globals.clock());
    auto binding = SIGNET_TRY(app::find_binding(context.db, zone, command.host,
                                                   command.port ? std::optional<uint16_t>(command.port) : std::nullopt,
                                                   command.proto));
    const auto force = command.force ? app::Force::Yes : app::Force::No;
    app::RemoveReport report;
    if (command.old) {
        const auto& policy = *SIGNET_TRY(context.policy(zone.policy));
        report = SIGNET_TRY(app::drop_old_certificate(context.db, zone, binding, policy.zone_propagation_delay,
                                                      command.live.options(), force, clock->now()));
    } else {
        report
            = SIGNET_TRY(app::remove_binding(context.db, zone, binding, command.live.options(), force, clock->now()));
    }
    if (!report.live.empty())
        fmt::print("{}\n", report.live);
    if (command.old)
        fmt::print("{}: {} is the current certificate now\n", app::binding_label(report.binding),
                   report.binding.cert.string());
    else
        fmt::print("removed TLSA binding {}\n", app::binding_label(report.binding));
    for (const auto& record : report.dropped)
        fmt::print("  leaves the zone at the next signing: {}\n", tlsa::to_text(record));
    fmt::print("sign the zone to publish the change: `signet sign {}`\n", shell_quote(zone.name));
    return 0;
}

// --- status ----------------------------------------------------------------

std::string switch_words(const app::TlsaBindingStatus& s)
{
    using tlsa::SwitchState;
    switch (s.plan.switch_state) {
    case SwitchState::NoNext: return "no rollover under way (no next certificate)";
    case SwitchState::SignFirst:
        return "not yet: the next certificate's records are not published; sign the zone";
    case SwitchState::Wait:
        return fmt::format("not yet: wait until {}, when every cache that holds the TLSA RRset has the next "
                           "certificate's records",
                           format_time(*s.plan.switch_at));
    case SwitchState::Safe:
        return s.plan.switch_at ? fmt::format("safe now: the service may present the next certificate (since {})",
                                              format_time(*s.plan.switch_at))
                                : std::string("safe now: the next certificate needs no record that is not published");
    }
    return "";
}

Result<int> binding_status(const Globals& globals, const std::string& name)
{
    auto context = SIGNET_TRY(globals.open(app::Access::Read));
    auto zone = SIGNET_TRY(context.zone(name));
    const auto& policy = *SIGNET_TRY(context.policy(zone.policy));
    auto clock = SIGNET_TRY(globals.clock());
    auto statuses = SIGNET_TRY(app::tlsa_status(context.db, zone, policy.zone_propagation_delay, clock->now()));
    if (globals.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& s : statuses) {
            nlohmann::json records = nlohmann::json::array();
            for (const auto& r : s.plan.records)
                records.push_back({ { "record", tlsa::to_text(r.record) },
                                    { "role", tlsa::role_to_text(r.role) },
                                    { "published_since", time_json(r.since) },
                                    { "in_every_cache_from", time_json(r.everywhere_at) } });
            nlohmann::json unannounced = nlohmann::json::array();
            for (const auto& r : s.plan.unannounced)
                unannounced.push_back(tlsa::to_text(r));
            nlohmann::json old_only = nlohmann::json::array();
            for (const auto& r : s.plan.old_only)
                old_only.push_back(tlsa::to_text(r));
            nlohmann::json item = binding_json(s.binding, s.owner);
            item["published"] = records;
            item["switch"] = { { "state", tlsa::switch_state_to_text(s.plan.switch_state) },
                               { "safe_from", time_json(s.plan.switch_at) } };
            item["ca_change"] = s.ca_change;
            item["drop_when_switched"] = old_only;
            item["unannounced"] = unannounced;
            item["problem"] = s.problem ? nlohmann::json(s.problem->to_string()) : nlohmann::json(nullptr);
            out.push_back(std::move(item));
        }
        fmt::print("{}\n", nlohmann::json { { "zone", zone.name },
                                            { "now", format_time(clock->now()) },
                                            { "signed", time_json(zone.signed_at) },
                                            { "bindings", out } }
                               .dump(2));
        return 0;
    }
    if (statuses.empty())
        fmt::print("zone {} has no TLSA bindings\n", zone.name);
    for (const auto& s : statuses) {
        fmt::print("{}  {}  TTL {}\n", app::binding_label(s.binding), s.owner.to_text(), s.binding.ttl);
        fmt::print("  cert {}\n", s.binding.cert.string());
        if (s.binding.next_cert)
            fmt::print("  next {}{}\n", s.binding.next_cert->string(), s.ca_change ? "  (from another CA)" : "");
        for (const auto& r : s.plan.records) {
            std::string when = !r.since ? std::string("not published yet")
                : r.role == tlsa::RecordRole::Leaving
                ? fmt::format("published since {}; leaves at the next signing", format_time(*r.since))
                : fmt::format("published since {}, in every cache from {}", format_time(*r.since),
                              format_time(*r.everywhere_at));
            fmt::print("  {:<8} {}  {}\n", tlsa::role_to_text(r.role), tlsa::to_text(r.record), when);
        }
        if (s.plan.switch_state != tlsa::SwitchState::NoNext) {
            fmt::print("  switch to the next certificate: {}\n", switch_words(s));
            fmt::print("  drop the old records: once the service presents the next certificate, with `signet tlsa "
                       "remove {} --host {} --port {} --old`\n",
                       zone.name, s.binding.host, s.binding.port);
        }
        for (const auto& r : s.plan.unannounced)
            fmt::print("  warning: {} matches the current certificate but is not published yet; if the service "
                       "presents that certificate already, clients holding the old TLSA RRset fail until one TTL "
                       "after the next signing (announce the next certificate with --next-cert first)\n",
                       tlsa::to_text(r));
        if (s.problem)
            fmt::print("  problem: {}; the next signing fails\n", s.problem->to_string());
    }
    return 0;
}

// --- check -----------------------------------------------------------------

struct CheckCommand {
    std::string zone;
    std::string host;
    LiveArgs live;
};

Result<int> check(const Globals& globals, const CheckCommand& command)
{
    auto context = SIGNET_TRY(globals.open(app::Access::Read));
    auto zone = SIGNET_TRY(context.zone(command.zone));
    auto clock = SIGNET_TRY(globals.clock());
    std::optional<std::string_view> host;
    if (!command.host.empty())
        host = command.host;
    auto results = SIGNET_TRY(app::check_tlsa(context.db, zone, host, command.live.options(), clock->now()));
    int status = 0;
    nlohmann::json out = nlohmann::json::array();
    if (results.empty() && !globals.json)
        fmt::print("zone {} has no TLSA bindings to check\n", zone.name);
    for (const auto& r : results) {
        if (!r.ok())
            status = 1;
        const std::string target = fmt::format("{}:{} ({})", r.target.address, r.target.port,
                                               tlsa::tls_start_to_text(r.target.start));
        if (globals.json) {
            nlohmann::json records = nlohmann::json::array();
            for (const auto& v : r.check.records)
                records.push_back({ { "record", tlsa::to_text(v.record) },
                                    { "verdict", tlsa::verdict_to_text(v.verdict) },
                                    { "reason", v.reason } });
            out.push_back({ { "binding", app::binding_label(r.binding) },
                            { "owner", r.owner.to_text() },
                            { "connect", target },
                            { "published", r.published },
                            { "ok", r.ok() },
                            { "error", r.error ? nlohmann::json(r.error->to_string()) : nlohmann::json(nullptr) },
                            { "records", records },
                            { "warnings", r.check.warnings } });
            continue;
        }
        fmt::print("{}  {}  via {}{}\n", app::binding_label(r.binding), r.owner.to_text(), target,
                   r.published ? "" : "  (not published yet: the records the next signing publishes)");
        if (r.error) {
            fmt::print("  FAIL {}\n", r.error->to_string());
            continue;
        }
        for (const auto& v : r.check.records)
            fmt::print("  {:<8} {}: {}\n", tlsa::verdict_to_text(v.verdict), tlsa::to_text(v.record), v.reason);
        for (const auto& w : r.check.warnings)
            fmt::print("  warning: {}\n", w);
        fmt::print("  {}\n", r.ok() ? "OK: a published record matches the presented chain"
                                    : "FAIL: no published record matches the presented chain");
    }
    if (globals.json)
        fmt::print("{}\n", out.dump(2));
    return status;
}

void add_live_options(CLI::App* cmd, LiveArgs& live)
{
    cmd->add_option("--connect", live.connect,
                    "connect to ADDR:PORT instead of the bound host and port (how TLS starts still follows the "
                    "bound port)");
    cmd->add_option("--ca-file", live.ca_file, "trust anchors for PKIX usages 0 and 1 (default: the system's)");
    cmd->add_option("--timeout", live.timeout, "seconds for each connection (default 10)");
}

} // namespace

void add_tlsa_commands(CLI::App& app, Globals& globals, Handler& chosen)
{
    auto* tlsa_cmd = app.add_subcommand("tlsa", "TLSA records from certificates: create, add, list, remove, status, "
                                                "check");
    tlsa_cmd->require_subcommand(1);

    auto create_command = std::make_shared<CreateCommand>();
    auto* create_cmd = tlsa_cmd->add_subcommand("create", "print a TLSA record for a certificate");
    create_cmd->add_option("--cert", create_command->cert, "certificate (PEM or DER; a PEM chain file too)")
        ->required();
    create_cmd->add_option("--chain", create_command->chain, "the rest of the chain, for usages 0 and 2");
    create_cmd->add_option("--usage", create_command->usage, "certificate usage 0-3 (default 3, DANE-EE)")
        ->check(CLI::Range(0, 3));
    create_cmd->add_option("--selector", create_command->selector, "0 certificate, 1 public key (default 1)")
        ->check(CLI::Range(0, 1));
    create_cmd->add_option("--mtype", create_command->mtype, "matching type 0 full, 1 SHA-256, 2 SHA-512 (default 1)")
        ->check(CLI::Range(0, 2));
    create_cmd->add_option("--port", create_command->port, "port, when OWNER is a host name (default 443)");
    create_cmd->add_option("--proto", create_command->proto, "tcp, udp or sctp, when OWNER is a host name");
    create_cmd->add_option("--ttl", create_command->ttl, "TTL of the printed record (default 3600)");
    create_cmd->add_option("owner", create_command->owner, "_PORT._PROTO.HOST, or HOST with --port")->required();
    create_cmd->callback([&chosen, create_command] { chosen = [create_command] { return create(*create_command); }; });

    auto add_command = std::make_shared<AddBinding>();
    auto* add_cmd = tlsa_cmd->add_subcommand("add", "bind a service's certificate to a zone");
    add_cmd->add_option("zone", add_command->zone, "the zone")->required();
    add_cmd->add_option("--host", add_command->host, "the service's host name")->required();
    add_cmd->add_option("--port", add_command->port, "the service's port")->required();
    add_cmd->add_option("--proto", add_command->proto, "tcp (default), udp or sctp");
    add_cmd->add_option("--cert", add_command->cert, "the certificate the service presents")->required();
    add_cmd->add_option("--chain", add_command->chain, "the rest of its chain (the issuer first)");
    add_cmd->add_option("--records", add_command->records,
                        "kinds of record, comma-separated (default \"3 1 1,2 1 1\")");
    add_cmd->add_option("--next-cert", add_command->next_cert,
                        "the certificate the service presents next: its records are published beside the current "
                        "ones");
    add_cmd->add_option("--next-chain", add_command->next_chain, "the next certificate's chain (default: --chain)");
    add_cmd->add_option("--ttl", add_command->ttl, "TTL of the TLSA RRset in seconds (default 3600)");
    add_cmd->add_flag("--replace", add_command->replace, "change an existing binding (keeps what was published)");
    changes_state(add_cmd, globals);
    add_cmd->callback([&globals, &chosen, add_command] {
        chosen = [&globals, add_command] { return add_binding(globals, *add_command); };
    });

    auto list_name = std::make_shared<std::string>();
    auto* list_cmd = tlsa_cmd->add_subcommand("list", "the TLSA bindings of a zone");
    list_cmd->add_option("zone", *list_name, "the zone")->required();
    list_cmd->callback(
        [&globals, &chosen, list_name] { chosen = [&globals, list_name] { return list_bindings(globals, *list_name); }; });

    auto remove_command = std::make_shared<RemoveCommand>();
    auto* remove_cmd = tlsa_cmd->add_subcommand("remove", "remove a binding, or with --old its old certificate");
    remove_cmd->add_option("zone", remove_command->zone, "the zone")->required();
    remove_cmd->add_option("--host", remove_command->host, "the service's host name")->required();
    remove_cmd->add_option("--port", remove_command->port, "the service's port (needed when the host has several)");
    remove_cmd->add_option("--proto", remove_command->proto, "tcp, udp or sctp");
    remove_cmd->add_flag("--old", remove_command->old,
                         "end a rollover: the next certificate becomes the current one and the records only the old "
                         "one matched leave");
    remove_cmd->add_flag("--force", remove_command->force, "even when the live check says not to");
    add_live_options(remove_cmd, remove_command->live);
    changes_state(remove_cmd, globals);
    remove_cmd->callback([&globals, &chosen, remove_command] {
        chosen = [&globals, remove_command] { return remove(globals, *remove_command); };
    });

    auto status_name = std::make_shared<std::string>();
    auto* status_cmd = tlsa_cmd->add_subcommand("status", "published records, since when, and whether to switch");
    status_cmd->add_option("zone", *status_name, "the zone")->required();
    status_cmd->callback([&globals, &chosen, status_name] {
        chosen = [&globals, status_name] { return binding_status(globals, *status_name); };
    });

    auto check_command = std::make_shared<CheckCommand>();
    auto* check_cmd = tlsa_cmd->add_subcommand("check", "connect to the bound services and match their chains");
    check_cmd->add_option("zone", check_command->zone, "the zone")->required();
    check_cmd->add_option("host", check_command->host, "only this host's bindings");
    add_live_options(check_cmd, check_command->live);
    check_cmd->callback([&globals, &chosen, check_command] {
        chosen = [&globals, check_command] { return check(globals, *check_command); };
    });
}

} // namespace signet::cli
