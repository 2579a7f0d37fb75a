#include <signet/app/tlsa.h>

#include <algorithm>

#include <fmt/format.h>

#include <signet/base/process.h>
#include <signet/tlsa/derive.h>

namespace signet::app {

namespace fs = std::filesystem;
using enforcer::TlsaBindingEntry;
using enforcer::ZoneEntry;

namespace {

std::string context_of(const TlsaBindingEntry& binding, const ZoneEntry& zone)
{
    return fmt::format("TLSA binding {} of zone {}", binding_label(binding), zone.name);
}

Error in_binding(Error error, const TlsaBindingEntry& binding, const ZoneEntry& zone)
{
    error.with_context(context_of(binding, zone));
    return error;
}

tlsa::CertificateFiles current_files(const TlsaBindingEntry& binding) { return { binding.cert, binding.chain }; }

// A next certificate without a chain file of its own is taken to come from
// the current certificate's CA (the usual renewal).
std::optional<tlsa::CertificateFiles> next_files(const TlsaBindingEntry& binding)
{
    if (!binding.next_cert)
        return std::nullopt;
    return tlsa::CertificateFiles { *binding.next_cert, binding.next_chain ? binding.next_chain : binding.chain };
}

struct Derived {
    std::vector<tlsa::Record> current;
    std::optional<std::vector<tlsa::Record>> next;

    std::vector<tlsa::Record> all() const
    {
        std::vector<tlsa::Record> out = current;
        for (const auto& record : next.value_or(std::vector<tlsa::Record> {})) {
            if (std::ranges::find(out, record) == out.end())
                out.push_back(record);
        }
        return out;
    }
};

Result<Derived> derive(const TlsaBindingEntry& binding, const ZoneEntry& zone, TimePoint now)
{
    auto specs = tlsa::parse_specs(binding.records);
    if (!specs)
        return fail(in_binding(specs.error(), binding, zone));
    Derived derived;
    auto current = tlsa::derive_from_files(current_files(binding), *specs, now);
    if (!current)
        return fail(in_binding(current.error(), binding, zone));
    derived.current = std::move(*current);
    if (auto files = next_files(binding)) {
        auto next = tlsa::derive_from_files(*files, *specs, now);
        if (!next)
            return fail(in_binding(Error(next.error()).with_context("the next certificate"), binding, zone));
        derived.next = std::move(*next);
    }
    return derived;
}

Result<dns::Name> apex_of(const ZoneEntry& zone)
{
    const dns::Name root;
    return dns::Name::from_text(zone.name, &root);
}

// The owner, checked against the zone's name.
Result<dns::Name> owner_in_zone(const TlsaBindingEntry& binding, const ZoneEntry& zone)
{
    auto owner = binding_owner(binding);
    if (!owner)
        return fail(in_binding(owner.error(), binding, zone));
    dns::Name apex = SIGNET_TRY(apex_of(zone));
    if (!owner->is_subdomain_of(apex))
        return fail(in_binding(Error(ErrorCode::Config, fmt::format("the owner {} is outside the zone {}",
                                                                    owner->to_text(), zone.name)),
                               binding, zone));
    return owner;
}

std::string host_without_dot(const TlsaBindingEntry& binding)
{
    std::string host = binding.host;
    if (host.size() > 1 && host.ends_with('.'))
        host.pop_back();
    return host;
}

std::vector<enforcer::TlsaPublication> to_publications(const std::vector<tlsa::PublishedRecord>& records)
{
    std::vector<enforcer::TlsaPublication> out;
    for (const auto& r : records)
        out.push_back({ tlsa::to_rdata(r.record), r.since });
    return out;
}

std::vector<tlsa::Record> records_of(const std::vector<tlsa::PublishedRecord>& published)
{
    std::vector<tlsa::Record> out;
    for (const auto& p : published)
        out.push_back(p.record);
    return out;
}

Result<tlsa::ProbeTarget> probe_target(const TlsaBindingEntry& binding, const LiveOptions& live)
{
    if (binding.proto != "tcp")
        return fail(ErrorCode::Usage, fmt::format("{}: the live check speaks TLS over TCP only, not {}",
                                                  binding_label(binding), binding.proto));
    tlsa::ProbeTarget target;
    target.server_name = host_without_dot(binding);
    target.address = target.server_name;
    target.port = binding.port;
    if (live.connect) {
        auto [address, port] = SIGNET_TRY(tlsa::parse_host_port(*live.connect));
        target.address = address;
        target.port = port;
    }
    // The service's port decides how TLS starts, even when --connect points
    // elsewhere (a test server, one node behind a load balancer).
    target.start = tlsa::tls_start_for_port(binding.port);
    target.timeout = live.timeout;
    return target;
}

tlsa::MatchOptions match_options(const TlsaBindingEntry& binding, const LiveOptions& live, TimePoint now)
{
    tlsa::MatchOptions options;
    options.host = host_without_dot(binding);
    options.now = now;
    options.smtp = binding.port == 25; // RFC 7672 is SMTP between MTAs
    options.pkix_ca_file = live.pkix_ca_file;
    return options;
}

} // namespace

std::string binding_label(const TlsaBindingEntry& binding)
{
    return fmt::format("{} {}/{}", binding.host, binding.port, binding.proto);
}

Result<dns::Name> binding_owner(const TlsaBindingEntry& binding)
{
    const dns::Name root;
    dns::Name host = SIGNET_TRY(dns::Name::from_text(binding.host, &root));
    auto transport = tlsa::transport_from_text(binding.proto);
    if (!transport)
        return fail(ErrorCode::Usage, fmt::format("'{}' is not a transport; use tcp, udp or sctp", binding.proto));
    return tlsa::owner_name(host, binding.port, *transport);
}

std::vector<tlsa::PublishedRecord> published_records(const TlsaBindingEntry& binding, const ZoneEntry& zone)
{
    bool pending_written = binding.pending_at && zone.signed_at && *zone.signed_at == *binding.pending_at;
    std::vector<tlsa::PublishedRecord> out;
    for (const auto& p : pending_written ? binding.pending : binding.published) {
        if (auto record = tlsa::from_rdata(p.rdata))
            out.push_back({ std::move(*record), p.since });
    }
    return out;
}

Result<std::vector<std::string>> add_tlsa_records(enforcer::KeyDb& db, const ZoneEntry& zone, dns::Zone& input,
                                                  TimePoint now, Duration propagation_delay)
{
    std::vector<std::string> alarms;
    auto bindings = SIGNET_TRY(enforcer::tlsa_bindings_of(db, zone.id));
    if (bindings.empty())
        return alarms;
    struct Addition {
        dns::Name owner;
        uint32_t ttl;
        std::vector<tlsa::Record> records;
    };
    std::vector<Addition> additions;
    const auto cuts = input.cuts();
    for (const auto& binding : bindings) {
        dns::Name owner = SIGNET_TRY(owner_in_zone(binding, zone));
        auto refuse = [&](std::string message) {
            return fail(
                in_binding(Error(ErrorCode::Conflict, std::move(message), SourceLocation { zone.input.string(), 0, 0 }),
                    binding, zone));
        };
        for (dns::NameView cut : cuts) {
            if (owner.is_subdomain_of(cut))
                return refuse(fmt::format("the owner {} is below the delegation {}; its TLSA records belong in "
                                          "that child zone",
                                          owner.to_text(), cut.to_text()));
        }
        if (input.find(owner, dns::RRType::TLSA))
            return refuse(fmt::format("the zone file has a TLSA RRset at {} already, which the binding would "
                                      "replace; remove the records from the file or the binding from Signet",
                                      owner.to_text()));
        if (input.find(owner, dns::RRType::CNAME))
            return refuse(fmt::format("the zone file has a CNAME at {}, which cannot have TLSA records beside it",
                                      owner.to_text()));
        const auto published = published_records(binding, zone);
        auto derived = derive(binding, zone, now);
        if (!derived) {
            // The certificate is missing, unreadable or expired: the zone
            // is signed all the same, with the records clients hold now
            // (DANE-EE ignores expiry dates, RFC 7671 §5.1), and the
            // operator is told on every signing until it is fixed.
            alarms.push_back(fmt::format("{}; {}", derived.error().to_string(),
                                         published.empty() ? "the binding has no published records, so none are "
                                                             "published until its certificate can be read"
                                                           : "its last published TLSA records are kept"));
            additions.push_back({ std::move(owner), binding.ttl, records_of(published) });
            continue;
        }
        std::vector<tlsa::Record> records = derived->all();
        // A certificate replaced in place by a new key from a new CA leaves
        // no published record that matches it: no cache can follow. Say so
        // loudly, and keep the old records beside the new ones until the
        // new ones are in every cache (then the change is no worse than a
        // fresh start, and a service put back on the old certificate still
        // validates meanwhile).
        const Duration settle = Duration(binding.ttl) + propagation_delay;
        auto since_of = [&](const tlsa::Record& record) {
            auto p = std::ranges::find_if(published, [&](const auto& p) { return p.record == record; });
            return p == published.end() ? now : p->since;
        };
        const bool any_settled
            = std::ranges::any_of(records, [&](const tlsa::Record& r) { return since_of(r) + settle <= now; });
        const bool disjoint = !published.empty()
            && std::ranges::none_of(records, [&](const tlsa::Record& r) { return since_of(r) != now; });
        if (disjoint)
            alarms.push_back(fmt::format(
                "{}: the end-entity key and its issuer both changed since the last signing, so no published "
                "record matches the service any more: clients that hold the old TLSA RRset fail until {}. The "
                "old records are kept beside the new ones until then; announce the next certificate with "
                "`signet tlsa add --replace … --next-cert` to change without a gap",
                context_of(binding, zone), format_time(now + settle)));
        if (!published.empty() && !any_settled) {
            for (const auto& p : published) {
                if (std::ranges::find(records, p.record) == records.end())
                    records.push_back(p.record);
            }
        }
        additions.push_back({ std::move(owner), binding.ttl, std::move(records) });
    }

    // A Zone does not change once built: build it again with the records.
    dns::ZoneBuilder builder(input.origin());
    for (const dns::RRsetView rrset : input) {
        for (std::string_view rdata : rrset.rdatas())
            builder.add(dns::RecordView { rrset.owner(), rrset.type(), rrset.ttl(), rdata, 0, 0 });
    }
    for (const auto& addition : additions) {
        for (const auto& record : addition.records) {
            dns::Bytes rdata = tlsa::to_rdata(record);
            builder.add(dns::RecordView { addition.owner, dns::RRType::TLSA, addition.ttl, rdata, 1, 0 });
        }
    }
    dns::Diagnostics diagnostics;
    diagnostics.files = { zone.input.string(), "TLSA bindings" };
    auto rebuilt = std::move(builder).build(diagnostics);
    if (!rebuilt)
        return fail(Error(rebuilt.error()).with_context(fmt::format("adding the TLSA records of zone {}", zone.name)));

    // What this signing publishes; it counts once the signing is written.
    SIGNET_TRY(db.transaction([&]() -> Result<void> {
        for (size_t i = 0; i < bindings.size(); ++i) {
            TlsaBindingEntry binding = bindings[i];
            auto published = published_records(binding, zone);
            binding.published = to_publications(published);
            binding.pending = to_publications(tlsa::after_signing(published, additions[i].records, now));
            binding.pending_at = now;
            SIGNET_TRY(enforcer::update_tlsa_binding(db, binding));
        }
        return {};
    }));
    input = std::move(*rebuilt);
    return alarms;
}

Result<void> settle_tlsa_bindings(enforcer::KeyDb& db, const ZoneEntry& zone)
{
    auto bindings = SIGNET_TRY(enforcer::tlsa_bindings_of(db, zone.id));
    return db.transaction([&]() -> Result<void> {
        for (auto binding : bindings) {
            binding.published = to_publications(published_records(binding, zone));
            binding.pending.clear();
            binding.pending_at.reset();
            SIGNET_TRY(enforcer::update_tlsa_binding(db, binding));
        }
        return {};
    });
}

Result<TlsaBindingEntry> add_binding(enforcer::KeyDb& db, const ZoneEntry& zone, const TlsaRequest& request,
                                     Replace replace, TimePoint now)
{
    const dns::Name root;
    auto host = dns::Name::from_text(request.host, &root);
    if (!host)
        return fail(ErrorCode::Usage, fmt::format("--host '{}': {}", request.host, host.error().message()));
    TlsaBindingEntry binding;
    binding.zone_id = zone.id;
    binding.host = host->lowercased().to_text();
    binding.port = request.port;
    auto transport = tlsa::transport_from_text(request.proto);
    if (!transport)
        return fail(ErrorCode::Usage, fmt::format("--proto '{}': use tcp, udp or sctp", request.proto));
    binding.proto = std::string(tlsa::transport_to_text(*transport));
    binding.cert = fs::absolute(request.cert);
    if (request.chain)
        binding.chain = fs::absolute(*request.chain);
    if (request.next_cert)
        binding.next_cert = fs::absolute(*request.next_cert);
    if (request.next_chain) {
        if (!request.next_cert)
            return fail(ErrorCode::Usage, "--next-chain needs --next-cert");
        binding.next_chain = fs::absolute(*request.next_chain);
    }
    auto specs = request.records.empty() ? Result<std::vector<tlsa::RecordSpec>>(tlsa::default_specs())
                                         : tlsa::parse_specs(request.records);
    if (!specs)
        return fail(Error(specs.error()).with_context("--records"));
    binding.records = tlsa::specs_to_text(*specs);
    if (request.ttl > 2147483647u)
        return fail(ErrorCode::Usage, fmt::format("--ttl {} is above 2147483647 (RFC 2181 §8)", request.ttl));
    binding.ttl = request.ttl;
    binding.created = now;

    SIGNET_TRY(owner_in_zone(binding, zone));
    SIGNET_TRY(derive(binding, zone, now)); // every file must work now, not only at the next signing

    auto existing = SIGNET_TRY(enforcer::tlsa_bindings_of(db, zone.id));
    auto same = std::ranges::find_if(existing, [&](const TlsaBindingEntry& b) {
        return b.host == binding.host && b.port == binding.port && b.proto == binding.proto;
    });
    if (same == existing.end()) {
        binding.id = SIGNET_TRY(enforcer::add_tlsa_binding(db, binding));
        return binding;
    }
    if (replace == Replace::No)
        return fail(ErrorCode::Conflict,
                    fmt::format("zone {} has a TLSA binding for {} already; give --replace to change its files or "
                                "records (what was published is kept)",
                                zone.name, binding_label(binding)));
    binding.id = same->id;
    binding.created = same->created;
    binding.published = same->published;
    binding.pending = same->pending;
    binding.pending_at = same->pending_at;
    SIGNET_TRY(enforcer::update_tlsa_binding(db, binding));
    return binding;
}

Result<TlsaBindingEntry> find_binding(enforcer::KeyDb& db, const ZoneEntry& zone, std::string_view host,
                                      std::optional<uint16_t> port, std::string_view proto)
{
    const dns::Name root;
    auto name = dns::Name::from_text(host, &root);
    if (!name)
        return fail(ErrorCode::Usage, fmt::format("--host '{}': {}", host, name.error().message()));
    std::string wanted = name->lowercased().to_text();
    std::vector<TlsaBindingEntry> found;
    for (auto& binding : SIGNET_TRY(enforcer::tlsa_bindings_of(db, zone.id))) {
        if (binding.host == wanted && (!port || binding.port == *port) && (proto.empty() || binding.proto == proto))
            found.push_back(std::move(binding));
    }
    if (found.empty())
        return fail(ErrorCode::NotFound,
                    fmt::format("zone {} has no TLSA binding for {}{}{}; see `signet tlsa list {}`", zone.name, wanted,
                                port ? fmt::format(" port {}", *port) : "",
                                proto.empty() ? "" : fmt::format("/{}", proto), shell_quote(zone.name)));
    if (found.size() > 1) {
        std::string all;
        for (const auto& b : found)
            all += (all.empty() ? "" : ", ") + binding_label(b);
        return fail(ErrorCode::Usage, fmt::format("{} has several bindings ({}); give --port", wanted, all));
    }
    return std::move(found.front());
}

Result<std::vector<TlsaBindingStatus>> tlsa_status(enforcer::KeyDb& db, const ZoneEntry& zone,
                                                   Duration propagation_delay, TimePoint now)
{
    std::vector<TlsaBindingStatus> out;
    for (auto& binding : SIGNET_TRY(enforcer::tlsa_bindings_of(db, zone.id))) {
        TlsaBindingStatus status;
        status.owner = SIGNET_TRY(binding_owner(binding));
        status.zone_signed = zone.signed_at.has_value();
        tlsa::RolloverInput input;
        input.published = published_records(binding, zone);
        input.ttl = Duration(binding.ttl);
        input.propagation_delay = propagation_delay;
        input.now = now;
        if (auto derived = derive(binding, zone, now)) {
            input.current = std::move(derived->current);
            input.next = std::move(derived->next);
        } else {
            status.problem = derived.error();
        }
        if (auto files = next_files(binding)) {
            auto current_chain = tlsa::load_chain(current_files(binding));
            auto next_chain = tlsa::load_chain(*files);
            status.ca_change
                = current_chain && next_chain && current_chain->front().issuer() != next_chain->front().issuer();
        }
        status.plan = tlsa::plan_rollover(input);
        status.binding = std::move(binding);
        out.push_back(std::move(status));
    }
    return out;
}

Result<std::vector<TlsaCheckResult>> check_tlsa(enforcer::KeyDb& db, const ZoneEntry& zone,
                                                std::optional<std::string_view> host, const LiveOptions& live,
                                                TimePoint now)
{
    std::vector<TlsaBindingEntry> bindings;
    if (host) {
        const dns::Name root;
        auto name = dns::Name::from_text(*host, &root);
        if (!name)
            return fail(ErrorCode::Usage, fmt::format("host '{}': {}", *host, name.error().message()));
        for (auto& binding : SIGNET_TRY(enforcer::tlsa_bindings_of(db, zone.id))) {
            if (binding.host == name->lowercased().to_text())
                bindings.push_back(std::move(binding));
        }
        if (bindings.empty())
            return fail(ErrorCode::NotFound, fmt::format("zone {} has no TLSA binding for {}", zone.name, *host));
    } else {
        bindings = SIGNET_TRY(enforcer::tlsa_bindings_of(db, zone.id));
    }
    if (live.connect)
        SIGNET_TRY(tlsa::parse_host_port(*live.connect));
    std::vector<TlsaCheckResult> out;
    for (auto& binding : bindings) {
        TlsaCheckResult result;
        result.owner = SIGNET_TRY(binding_owner(binding));
        auto target = probe_target(binding, live);
        if (target)
            result.target = std::move(*target);
        else
            result.error = in_binding(target.error(), binding, zone);
        auto published = published_records(binding, zone);
        if (!published.empty()) {
            result.records = records_of(published);
            result.published = true;
        } else if (auto derived = derive(binding, zone, now)) {
            result.records = derived->all();
        } else if (!result.error) {
            result.error = derived.error();
        }
        if (!result.error) {
            auto chain = tlsa::probe(result.target);
            if (chain)
                result.check = tlsa::check_chain(result.records, *chain, match_options(binding, live, now));
            else
                result.error = in_binding(chain.error(), binding, zone);
        }
        result.binding = std::move(binding);
        out.push_back(std::move(result));
    }
    return out;
}

Result<RemoveReport> remove_binding(enforcer::KeyDb& db, const ZoneEntry& zone, const TlsaBindingEntry& binding,
                                    const LiveOptions& live, Force force, TimePoint now)
{
    RemoveReport report;
    report.binding = binding;
    if (live.connect)
        SIGNET_TRY(tlsa::parse_host_port(*live.connect));
    auto published = published_records(binding, zone);
    report.dropped = records_of(published);
    if (!report.dropped.empty() && binding.proto == "tcp") {
        tlsa::ProbeTarget target = SIGNET_TRY(probe_target(binding, live));
        auto chain = tlsa::probe(target);
        if (!chain) {
            report.live = fmt::format("could not check the service: {}", chain.error().to_string());
        } else {
            auto check = tlsa::check_chain(report.dropped, *chain, match_options(binding, live, now));
            auto match = std::ranges::find_if(check.records, [](const tlsa::RecordVerdict& v) {
                return v.verdict == tlsa::Verdict::Match;
            });
            if (match != check.records.end() && force == Force::No)
                return fail(ErrorCode::Conflict,
                            fmt::format("{}: the service at {}:{} presents a certificate that the published record "
                                        "\"{}\" matches; without the binding it loses DANE. Give --force to remove "
                                        "it anyway",
                                        context_of(binding, zone), target.address, target.port,
                                        tlsa::to_text(match->record)));
            report.live = match == check.records.end()
                ? std::string("the service presents no certificate that a published record matches")
                : std::string("the service still presents a matching certificate (removed with --force)");
        }
    }
    SIGNET_TRY(enforcer::remove_tlsa_binding(db, binding.id));
    return report;
}

Result<RemoveReport> drop_old_certificate(enforcer::KeyDb& db, const ZoneEntry& zone,
                                          const TlsaBindingEntry& binding, Duration propagation_delay,
                                          const LiveOptions& live, Force force, TimePoint now)
{
    if (!binding.next_cert)
        return fail(ErrorCode::Usage, fmt::format("{} has no next certificate to change to; add one with `signet "
                                                  "tlsa add {} --replace ... --next-cert FILE`",
                                                  context_of(binding, zone), zone.name));
    auto specs = SIGNET_TRY(tlsa::parse_specs(binding.records));
    auto next = tlsa::derive_from_files(*next_files(binding), specs, now);
    if (!next)
        return fail(in_binding(Error(next.error()).with_context("the next certificate"), binding, zone));

    // What leaves: whatever the zone publishes that the next certificate
    // does not need (or, before the first signing, the current records).
    auto published = published_records(binding, zone);
    std::vector<tlsa::Record> before = records_of(published);
    if (before.empty()) {
        if (auto chain = tlsa::load_chain(current_files(binding))) {
            if (auto current = tlsa::derive_records(*chain, specs))
                before = std::move(*current);
        }
    }
    RemoveReport report;
    for (const auto& record : before) {
        if (std::ranges::find(*next, record) == next->end())
            report.dropped.push_back(record);
    }

    // A service over UDP or SCTP cannot be checked; time alone decides.
    auto target = probe_target(binding, live);
    if (!target && live.connect)
        return fail(target.error());
    auto chain = target ? tlsa::probe(*target) : Result<crypto::CertificateChain>(fail(target.error()));
    if (chain) {
        auto options = match_options(binding, live, now);
        auto old_check = tlsa::check_chain(report.dropped, *chain, options);
        auto next_check = tlsa::check_chain(*next, *chain, options);
        auto match = std::ranges::find_if(old_check.records, [](const tlsa::RecordVerdict& v) {
            return v.verdict == tlsa::Verdict::Match;
        });
        if (match != old_check.records.end() && force == Force::No)
            return fail(ErrorCode::Conflict,
                        fmt::format("{}: the service at {}:{} still presents a certificate that the leaving record "
                                    "\"{}\" matches; switch the service to {} first (or give --force)",
                                    context_of(binding, zone), target->address, target->port,
                                    tlsa::to_text(match->record), binding.next_cert->string()));
        report.live = next_check.matched()
            ? fmt::format("the service at {}:{} presents the next certificate", target->address, target->port)
            : fmt::format("warning: the service at {}:{} presents a certificate that no record of the next "
                          "certificate matches",
                          target->address, target->port);
    } else {
        tlsa::RolloverInput input;
        input.next = *next;
        input.published = published;
        input.ttl = Duration(binding.ttl);
        input.propagation_delay = propagation_delay;
        input.now = now;
        tlsa::RolloverPlan plan = tlsa::plan_rollover(input);
        // Time alone cannot say which certificate the service presents: a
        // service still on the old one loses DANE with its record. Only a
        // service that cannot be checked at all (UDP, SCTP) is left to time.
        const bool checkable = binding.proto == "tcp";
        if ((checkable || plan.switch_state != tlsa::SwitchState::Safe) && force == Force::No) {
            std::string when = plan.switch_state == tlsa::SwitchState::SignFirst
                ? std::string("some of the next certificate's records are not published yet: sign the zone")
                : plan.switch_state == tlsa::SwitchState::Safe
                ? std::string("the next certificate's records are in every cache")
                : fmt::format("the next certificate's records are in every cache from {}", format_time(*plan.switch_at));
            return fail(ErrorCode::Conflict,
                        fmt::format("{}: cannot reach the service to see which certificate it presents ({}); {}. "
                                    "Give --force if the service presents the next certificate already",
                                    context_of(binding, zone), chain.error().to_string(), when));
        }
        report.live = fmt::format("could not check the service: {}", chain.error().to_string());
    }

    TlsaBindingEntry updated = binding;
    updated.cert = *binding.next_cert;
    if (binding.next_chain)
        updated.chain = binding.next_chain;
    updated.next_cert.reset();
    updated.next_chain.reset();
    SIGNET_TRY(enforcer::update_tlsa_binding(db, updated));
    report.binding = std::move(updated);
    return report;
}

} // namespace signet::app
