#include <signet/enforcer/policy.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include <fmt/format.h>

namespace signet::enforcer {

namespace {

// RFC 2181 §8: a TTL is at most 2^31 - 1 seconds.
constexpr Duration max_ttl { 2147483647 };
// RFC 4034 §3.1.5: inception and expiration compare in serial number
// arithmetic, so a signature can span less than 2^31 seconds.
constexpr Duration max_signature_span { 2147483647 };
// RFC 9276 §3.2: validators may treat zones with more iterations than this
// as insecure; many do.
constexpr unsigned max_nsec3_iterations = 100;

bool equal_ignoring_case(std::string_view a, std::string_view b)
{
    return std::ranges::equal(a, b, [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
    });
}

std::string text(Duration duration) { return format_duration(duration); }

PolicyProblem problem(std::string_view key, std::string message) { return { std::string(key), std::move(message) }; }

struct NamedDuration {
    std::string_view key;
    Duration value;
};

struct NamedLifetime {
    std::string_view key;
    std::optional<Duration> value;
};

std::optional<PolicyProblem> check_keys(const Policy& p)
{
    if (!crypto::algorithm_from_text(std::to_string(static_cast<unsigned>(p.algorithm))))
        return problem("algorithm",
                       fmt::format("algorithm {} is not one Signet signs with; use rsasha256, rsasha512, "
                                   "ecdsap256sha256, ecdsap384sha384, ed25519 or ed448",
                                   static_cast<unsigned>(p.algorithm)));
    if (crypto::is_rsa(p.algorithm)) {
        if (p.rsa_bits < 2048 || p.rsa_bits > 4096)
            return problem("rsa-bits",
                           fmt::format("rsa-bits {} is outside 2048..4096 (shorter keys are breakable, "
                                       "longer ones are not supported by every validator)",
                                       p.rsa_bits));
        if (p.rsa_bits % 8 != 0)
            return problem("rsa-bits", fmt::format("rsa-bits {} is not a multiple of 8", p.rsa_bits));
    }
    return std::nullopt;
}

std::optional<PolicyProblem> check_ranges(const Policy& p)
{
    const std::array durations {
        NamedDuration { "dnskey-ttl", p.dnskey_ttl },
        NamedDuration { "max-zone-ttl", p.max_zone_ttl },
        NamedDuration { "zone-propagation-delay", p.zone_propagation_delay },
        NamedDuration { "parent-ds-ttl", p.parent_ds_ttl },
        NamedDuration { "parent-propagation-delay", p.parent_propagation_delay },
        NamedDuration { "parent-registration-delay", p.parent_registration_delay },
        NamedDuration { "publish-safety", p.publish_safety },
        NamedDuration { "retire-safety", p.retire_safety },
        NamedDuration { "signature-validity", p.signature_validity },
        NamedDuration { "signature-refresh", p.signature_refresh },
        NamedDuration { "signature-jitter", p.signature_jitter },
        NamedDuration { "signature-inception-offset", p.signature_inception_offset },
        NamedDuration { "signature-resign-interval", p.signature_resign_interval },
        NamedDuration { "purge-delay", p.purge_delay },
        NamedDuration { "hook-timeout", p.hook_timeout },
    };
    for (const auto& d : durations) {
        if (d.value < Duration::zero() || d.value > max_duration)
            return problem(d.key, fmt::format("{} ({}) is outside 0s..{}", d.key, text(d.value), text(max_duration)));
    }
    const std::array optional_durations {
        NamedLifetime { "ksk-lifetime", p.ksk_lifetime },
        NamedLifetime { "zsk-lifetime", p.zsk_lifetime },
        NamedLifetime { "csk-lifetime", p.csk_lifetime },
        NamedLifetime { "nsec3-resalt", p.nsec3_resalt },
    };
    for (const auto& d : optional_durations) {
        if (d.value && (*d.value <= Duration::zero() || *d.value > max_duration))
            return problem(d.key,
                           fmt::format("{} ({}) is outside 1s..{}; \"unlimited\" means never", d.key, text(*d.value),
                                       text(max_duration)));
    }
    const std::array ttls {
        NamedLifetime { "dnskey-ttl", p.dnskey_ttl },
        NamedLifetime { "max-zone-ttl", p.max_zone_ttl },
        NamedLifetime { "parent-ds-ttl", p.parent_ds_ttl },
        NamedLifetime { "soa-ttl", p.soa_ttl },
        NamedLifetime { "soa-minimum", p.soa_minimum },
    };
    for (const auto& t : ttls) {
        if (t.value && (*t.value < Duration::zero() || *t.value > max_ttl))
            return problem(t.key,
                           fmt::format("{} ({}) is not a TTL: at most 2147483647 seconds (RFC 2181 §8)", t.key,
                                       text(*t.value)));
    }
    return std::nullopt;
}

std::optional<PolicyProblem> check_signatures(const Policy& p)
{
    if (p.signature_validity <= Duration::zero())
        return problem("signature-validity", "signature-validity must be longer than 0s");
    if (p.signature_validity + p.signature_inception_offset >= max_signature_span)
        return problem("signature-validity",
                       fmt::format("signature-validity + signature-inception-offset ({}) must be less than 2^31 "
                                   "seconds, about 68 years (RFC 4034 §3.1.5)",
                                   text(p.signature_validity + p.signature_inception_offset)));
    if (p.signature_refresh >= p.signature_validity)
        return problem("signature-refresh",
                       fmt::format("signature-refresh ({}) must be shorter than signature-validity ({}), or every "
                                   "signature is due for refresh as soon as it is made",
                                   text(p.signature_refresh), text(p.signature_validity)));
    if (p.signature_jitter >= p.signature_validity - p.signature_refresh)
        return problem("signature-jitter",
                       fmt::format("signature-jitter ({}) must be shorter than signature-validity - "
                                   "signature-refresh ({} - {} = {}), or a new signature may be due for refresh "
                                   "at once",
                                   text(p.signature_jitter), text(p.signature_validity), text(p.signature_refresh),
                                   text(p.signature_validity - p.signature_refresh)));
    if (p.signature_inception_offset > p.signature_validity)
        return problem("signature-inception-offset",
                       fmt::format("signature-inception-offset ({}) must not exceed signature-validity ({})",
                                   text(p.signature_inception_offset), text(p.signature_validity)));
    if (p.signature_resign_interval <= Duration::zero())
        return problem("signature-resign-interval", "signature-resign-interval must be longer than 0s");
    // A signature is replaced at the first look after less than the refresh
    // time is left, at worst one resign interval later; its successor must
    // then reach every secondary before it expires.
    if (p.signature_refresh <= p.signature_resign_interval + p.zone_propagation_delay)
        return problem("signature-refresh",
                       fmt::format("signature-refresh ({}) must be longer than signature-resign-interval + "
                                   "zone-propagation-delay ({} + {}), or signatures may expire before their "
                                   "successors reach the secondaries",
                                   text(p.signature_refresh), text(p.signature_resign_interval),
                                   text(p.zone_propagation_delay)));
    return std::nullopt;
}

std::optional<PolicyProblem> check_denial(const Policy& p)
{
    if (p.nsec3_iterations > max_nsec3_iterations)
        return problem("nsec3-iterations",
                       fmt::format("nsec3-iterations {} is more than {}: RFC 9276 §3.1 says 0, and validators may "
                                   "treat the zone as insecure (RFC 9276 §3.2)",
                                   p.nsec3_iterations, max_nsec3_iterations));
    if (p.nsec3_salt_length > 255)
        return problem("nsec3-salt-length",
                       fmt::format("nsec3-salt-length {} is more than 255 octets (RFC 5155 §3.2); RFC 9276 §3.1 "
                                   "recommends no salt",
                                   p.nsec3_salt_length));
    if (p.nsec3_opt_out && p.denial != Denial::Nsec3)
        return problem("nsec3-opt-out", "nsec3-opt-out needs denial = \"nsec3\"");
    if (p.nsec3_resalt && p.nsec3_salt_length == 0)
        return problem("nsec3-resalt",
                       "nsec3-resalt needs a salt: set nsec3-salt-length, or nsec3-resalt = \"unlimited\"");
    return std::nullopt;
}

std::optional<PolicyProblem> check_lifetime(std::string_view key, const std::optional<Duration>& lifetime,
                                            Duration rollover, std::string_view what, std::string_view formula)
{
    if (lifetime && *lifetime < rollover)
        return problem(key,
                       fmt::format("{} ({}) is shorter than a {} rollover takes: {} = {}", key, text(*lifetime), what,
                                   formula, text(rollover)));
    return std::nullopt;
}

std::optional<PolicyProblem> check_lifetimes(const Policy& p)
{
    if (p.keys == KeyLayout::Csk)
        return check_lifetime("csk-lifetime", p.csk_lifetime, csk_rollover_time(p), "CSK",
                              "zone-propagation-delay + dnskey-ttl + publish-safety + max(parent-registration-delay "
                              "+ parent-propagation-delay + parent-ds-ttl, zone-propagation-delay + max-zone-ttl) "
                              "+ retire-safety");
    if (auto found = check_lifetime("ksk-lifetime", p.ksk_lifetime, ksk_rollover_time(p), "KSK",
                                    "zone-propagation-delay + dnskey-ttl + publish-safety + "
                                    "parent-registration-delay + parent-propagation-delay + parent-ds-ttl + "
                                    "retire-safety (RFC 7583 §3.3)"))
        return found;
    return check_lifetime("zsk-lifetime", p.zsk_lifetime, zsk_rollover_time(p), "ZSK",
                          "zone-propagation-delay + dnskey-ttl + publish-safety + zone-propagation-delay + "
                          "max-zone-ttl + retire-safety (RFC 7583 §3.2)");
}

std::optional<PolicyProblem> check_parent(const Policy& p)
{
    switch (p.cds_digest) {
    case crypto::DigestType::SHA256:
    case crypto::DigestType::SHA384:
        return std::nullopt;
    case crypto::DigestType::SHA1:
        return problem("cds-digest",
                       "cds-digest sha1 must not be used for new DS records (RFC 8624 §3.3); use sha256 or sha384");
    }
    return problem("cds-digest",
                   fmt::format("cds-digest {} is not a digest type Signet knows; use sha256 or sha384",
                               static_cast<unsigned>(p.cds_digest)));
}

// The keys that govern reading the unsigned zone. A relative directory
// would mean something different for each directory signet is run from; a
// limit this low would refuse ordinary zones.
std::optional<PolicyProblem> check_zone_input(const Policy& p)
{
    for (const auto& directory : p.include_directories) {
        if (directory.empty() || directory.front() != '/')
            return problem("include-directories",
                           fmt::format("include-directories: '{}' is not an absolute path", directory));
    }
    if (p.max_zone_records == 0)
        return problem("max-zone-records", "max-zone-records must be at least 1");
    // No hook finishes in no time: 0 would fail every one.
    if (p.hook_timeout < std::chrono::seconds(1))
        return problem("hook-timeout", "hook-timeout must be at least 1s");
    if (p.max_generate_records == 0)
        return problem("max-generate-records", "max-generate-records must be at least 1");
    // Below this even an ordinary SOA or DNSKEY line could be refused.
    if (p.max_line_length < 1024)
        return problem("max-line-length", "max-line-length must be at least 1024 octets");
    if (p.max_zone_bytes < 4096)
        return problem("max-zone-bytes", "max-zone-bytes must be at least 4096 octets");
    return std::nullopt;
}

} // namespace

Duration zsk_rollover_time(const Policy& p)
{
    return p.zone_propagation_delay + p.dnskey_ttl + p.publish_safety + p.zone_propagation_delay + p.max_zone_ttl
        + p.retire_safety;
}

Duration ksk_rollover_time(const Policy& p)
{
    return p.zone_propagation_delay + p.dnskey_ttl + p.publish_safety + p.parent_registration_delay
        + p.parent_propagation_delay + p.parent_ds_ttl + p.retire_safety;
}

Duration csk_rollover_time(const Policy& p)
{
    Duration ds_swap = p.parent_registration_delay + p.parent_propagation_delay + p.parent_ds_ttl;
    Duration signature_swap = p.zone_propagation_delay + p.max_zone_ttl;
    return p.zone_propagation_delay + p.dnskey_ttl + p.publish_safety + std::max(ds_swap, signature_swap)
        + p.retire_safety;
}

std::optional<PolicyProblem> find_policy_problem(const Policy& policy)
{
    for (auto check : { check_keys, check_ranges, check_signatures, check_denial, check_lifetimes, check_parent,
                        check_zone_input }) {
        if (auto found = check(policy))
            return found;
    }
    return std::nullopt;
}

Result<void> check_policy(const Policy& policy)
{
    auto found = find_policy_problem(policy);
    if (!found)
        return {};
    Error error(ErrorCode::Policy, std::move(found->message));
    error.with_context(fmt::format("policy '{}'", policy.name));
    return fail(std::move(error));
}

std::string_view key_layout_to_text(KeyLayout layout)
{
    switch (layout) {
    case KeyLayout::KskZsk: return "ksk+zsk";
    case KeyLayout::Csk: return "csk";
    }
    return "unknown";
}

std::optional<KeyLayout> key_layout_from_text(std::string_view text)
{
    for (auto layout : { KeyLayout::KskZsk, KeyLayout::Csk }) {
        if (equal_ignoring_case(text, key_layout_to_text(layout)))
            return layout;
    }
    return std::nullopt;
}

std::string_view denial_to_text(Denial denial)
{
    switch (denial) {
    case Denial::Nsec: return "nsec";
    case Denial::Nsec3: return "nsec3";
    }
    return "unknown";
}

std::optional<Denial> denial_from_text(std::string_view text)
{
    for (auto denial : { Denial::Nsec, Denial::Nsec3 }) {
        if (equal_ignoring_case(text, denial_to_text(denial)))
            return denial;
    }
    return std::nullopt;
}

std::string_view serial_policy_to_text(SerialPolicy serial)
{
    switch (serial) {
    case SerialPolicy::Keep: return "keep";
    case SerialPolicy::Counter: return "counter";
    case SerialPolicy::Unixtime: return "unixtime";
    case SerialPolicy::Datecounter: return "datecounter";
    }
    return "unknown";
}

std::optional<SerialPolicy> serial_policy_from_text(std::string_view text)
{
    for (auto serial : { SerialPolicy::Keep, SerialPolicy::Counter, SerialPolicy::Unixtime, SerialPolicy::Datecounter }) {
        if (equal_ignoring_case(text, serial_policy_to_text(serial)))
            return serial;
    }
    return std::nullopt;
}

} // namespace signet::enforcer
