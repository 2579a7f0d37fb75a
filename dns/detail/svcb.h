// Private to the RDATA codecs and the zone checks: the SvcParamKeys Signet
// knows, and reading the SvcParams of SVCB and HTTPS RDATA (RFC 9460 §2.2)
// that passed the codec's wire check (rdata_svcb.cc). The codec checks each
// record on its own; rules that depend on the owner name, such as those for
// DNS servers under "_dns" (RFC 9461), are the zone checks' business.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include <signet/dns/name.h>

namespace signet::dns::detail {

// The IANA "Service Parameter Keys (SvcParamKeys)" registry, as far as
// Signet checks and writes the values: RFC 9460 §14.3.2, RFC 9461 §5
// (dohpath), RFC 9540 §4 (ohttp). Other keys are read and written only as
// "keyNNNNN", their values as opaque octets (RFC 9460 §2.1).
enum SvcKey : uint16_t {
    key_mandatory = 0,
    key_alpn = 1,
    key_no_default_alpn = 2,
    key_port = 3,
    key_ipv4hint = 4,
    key_ech = 5,
    key_ipv6hint = 6,
    key_dohpath = 7,
    key_ohttp = 8,
};

// SvcPriority: 0 is AliasMode, anything else ServiceMode (RFC 9460 §2.4.1).
uint16_t svcb_priority(std::string_view rdata);
NameView svcb_target(std::string_view rdata);
// Whether the record has any SvcParam at all.
bool svcb_has_params(std::string_view rdata);
// The wire value of `key`, or nullopt when the record does not have it.
std::optional<std::string_view> svcb_param(std::string_view rdata, uint16_t key);

// Calls `id` for each alpn-id of a valid alpn value (RFC 9460 §7.1.1).
template <typename F>
void for_each_alpn_id(std::string_view value, F&& id)
{
    for (size_t at = 0; at < value.size();) {
        const size_t length = static_cast<uint8_t>(value[at]);
        id(value.substr(at + 1, length));
        at += 1 + length;
    }
}

} // namespace signet::dns::detail
