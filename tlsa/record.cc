#include <signet/tlsa/record.h>

#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>

#include <signet/dns/rdata.h>

namespace signet::tlsa {

namespace {

bool equal_ignoring_case(std::string_view a, std::string_view b)
{
    return std::ranges::equal(a, b, [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
    });
}

// One field of a spec: its number (0-255 is what the wire holds, but only
// the values this module can derive are accepted) or its acronym.
template <typename E, size_t N>
Result<E> parse_field(std::string_view text, const std::array<std::string_view, N>& acronyms, std::string_view what)
{
    for (size_t i = 0; i < N; ++i) {
        if (text == std::to_string(i) || equal_ignoring_case(text, acronyms[i]))
            return static_cast<E>(i);
    }
    std::string known;
    for (size_t i = 0; i < N; ++i)
        known += fmt::format("{}{} ({})", i == 0 ? "" : ", ", i, acronyms[i]);
    return fail(ErrorCode::Usage, fmt::format("'{}' is not a {}; use {}", text, what, known));
}

constexpr std::array<std::string_view, 4> usage_acronyms { "PKIX-TA", "PKIX-EE", "DANE-TA", "DANE-EE" };
constexpr std::array<std::string_view, 2> selector_acronyms { "Cert", "SPKI" };
constexpr std::array<std::string_view, 3> matching_acronyms { "Full", "SHA2-256", "SHA2-512" };

std::string_view trim(std::string_view text)
{
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
        text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
        text.remove_suffix(1);
    return text;
}

} // namespace

std::string_view usage_to_text(CertUsage usage) { return usage_acronyms.at(static_cast<size_t>(usage)); }
std::string_view selector_to_text(Selector selector) { return selector_acronyms.at(static_cast<size_t>(selector)); }
std::string_view matching_to_text(MatchingType matching)
{
    return matching_acronyms.at(static_cast<size_t>(matching));
}

std::string spec_to_text(RecordSpec spec)
{
    return fmt::format("{} {} {}", static_cast<int>(spec.usage), static_cast<int>(spec.selector),
                       static_cast<int>(spec.matching));
}

Result<RecordSpec> parse_spec(std::string_view text)
{
    std::vector<std::string_view> fields;
    for (size_t at = 0; at < text.size();) {
        if (std::isspace(static_cast<unsigned char>(text[at]))) {
            ++at;
            continue;
        }
        size_t end = at;
        while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end])))
            ++end;
        fields.push_back(text.substr(at, end - at));
        at = end;
    }
    if (fields.size() != 3)
        return fail(ErrorCode::Usage, fmt::format("'{}' is not a TLSA record kind: give usage, selector and "
                                                  "matching type, as in \"3 1 1\"",
                                                  text));
    RecordSpec spec;
    spec.usage = SIGNET_TRY(parse_field<CertUsage>(fields[0], usage_acronyms, "certificate usage"));
    spec.selector = SIGNET_TRY(parse_field<Selector>(fields[1], selector_acronyms, "selector"));
    spec.matching = SIGNET_TRY(parse_field<MatchingType>(fields[2], matching_acronyms, "matching type"));
    return spec;
}

Result<std::vector<RecordSpec>> parse_specs(std::string_view text)
{
    std::vector<RecordSpec> specs;
    size_t at = 0;
    while (true) {
        size_t comma = text.find(',', at);
        std::string_view item
            = trim(text.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at));
        if (item.empty())
            return fail(ErrorCode::Usage, fmt::format("'{}': empty record kind in the list", text));
        RecordSpec spec = SIGNET_TRY(parse_spec(item));
        if (std::ranges::find(specs, spec) != specs.end())
            return fail(ErrorCode::Usage, fmt::format("'{}': \"{}\" is listed twice", text, spec_to_text(spec)));
        specs.push_back(spec);
        if (comma == std::string_view::npos)
            break;
        at = comma + 1;
    }
    return specs;
}

std::string specs_to_text(const std::vector<RecordSpec>& specs)
{
    std::string out;
    for (const auto& spec : specs)
        out += (out.empty() ? "" : ",") + spec_to_text(spec);
    return out;
}

std::vector<RecordSpec> default_specs()
{
    return { { CertUsage::DaneEe, Selector::Spki, MatchingType::Sha256 },
             { CertUsage::DaneTa, Selector::Spki, MatchingType::Sha256 } };
}

Bytes to_rdata(const Record& record)
{
    Bytes out;
    out.reserve(3 + record.data.size());
    out.push_back(static_cast<char>(record.spec.usage));
    out.push_back(static_cast<char>(record.spec.selector));
    out.push_back(static_cast<char>(record.spec.matching));
    out += record.data;
    return out;
}

Result<Record> from_rdata(std::string_view rdata)
{
    if (rdata.size() < 4)
        return fail(ErrorCode::Parse, fmt::format("TLSA RDATA of {} octets is too short", rdata.size()));
    auto usage = static_cast<uint8_t>(rdata[0]);
    auto selector = static_cast<uint8_t>(rdata[1]);
    auto matching = static_cast<uint8_t>(rdata[2]);
    if (usage > 3 || selector > 1 || matching > 2)
        return fail(ErrorCode::Parse,
                    fmt::format("TLSA parameters {} {} {} are not ones Signet knows", usage, selector, matching));
    Record record { { static_cast<CertUsage>(usage), static_cast<Selector>(selector),
                      static_cast<MatchingType>(matching) },
                    Bytes(rdata.substr(3)) };
    size_t expected = record.spec.matching == MatchingType::Sha256 ? 32
        : record.spec.matching == MatchingType::Sha512             ? 64
                                                                   : 0;
    if (expected != 0 && record.data.size() != expected)
        return fail(ErrorCode::Parse, fmt::format("a {} digest is {} octets, not {}",
                                                  matching_to_text(record.spec.matching), expected,
                                                  record.data.size()));
    return record;
}

std::string to_text(const Record& record) { return dns::rdata_to_text(dns::RRType::TLSA, to_rdata(record)); }

std::string_view transport_to_text(Transport transport)
{
    switch (transport) {
    case Transport::Tcp: return "tcp";
    case Transport::Udp: return "udp";
    case Transport::Sctp: return "sctp";
    }
    return "tcp";
}

std::optional<Transport> transport_from_text(std::string_view text)
{
    for (Transport t : { Transport::Tcp, Transport::Udp, Transport::Sctp }) {
        if (equal_ignoring_case(text, transport_to_text(t)))
            return t;
    }
    return std::nullopt;
}

Result<dns::Name> owner_name(dns::NameView host, uint16_t port, Transport transport)
{
    if (port == 0)
        return fail(ErrorCode::Usage, "port 0 has no TLSA records; give a port from 1 to 65535");
    auto with_proto = dns::Name(host).prepend(fmt::format("_{}", transport_to_text(transport)));
    if (!with_proto)
        return fail(Error(with_proto.error()).with_context(fmt::format("TLSA owner for {}", host.to_text())));
    auto owner = with_proto->prepend(fmt::format("_{}", port));
    if (!owner)
        return fail(Error(owner.error()).with_context(fmt::format("TLSA owner for {}", host.to_text())));
    return owner;
}

} // namespace signet::tlsa
