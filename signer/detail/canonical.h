// What the signer and the verifier share: the RRSIG RDATA layout and the
// data a signature covers (RFC 4034 §3.1.8.1, §6).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <signet/dns/name.h>
#include <signet/dns/rdata.h>

namespace signet::signer::detail {

using dns::Bytes;

struct RrsigFields {
    uint16_t type_covered = 0;
    uint8_t algorithm = 0;
    uint8_t labels = 0;
    uint32_t original_ttl = 0;
    uint32_t expiration = 0;
    uint32_t inception = 0;
    uint16_t key_tag = 0;
    std::string_view signer; // wire
    std::string_view signature;
    size_t prefix_size = 0; // RDATA up to (not including) the signature
};

std::optional<RrsigFields> parse_rrsig(std::string_view rdata);

// RRSIG RDATA without the signature; `signer` is the lower-cased apex.
Bytes rrsig_prefix(dns::RRType covered, uint8_t algorithm, uint8_t labels, uint32_t original_ttl, uint32_t expiration,
                   uint32_t inception, uint16_t key_tag, const dns::Name& signer);

// Appends to `data` the RRs of one RRset in canonical form and order, as a
// signature covers them: `owner_canonical` is the lower-cased owner wire.
// `rdatas` need not be sorted.
void append_signed_rrs(Bytes& data, std::string_view owner_canonical, dns::RRType type, uint32_t ttl,
                       std::span<const std::string_view> rdatas);

// Runs `work` on `threads` threads (0: one per core), this one among them,
// and returns when all have returned.
void run_on_threads(unsigned threads, const std::function<void()>& work);

uint16_t read_u16(std::string_view data, size_t offset);
uint32_t read_u32(std::string_view data, size_t offset);
void put_u16(Bytes& out, uint16_t value);
void put_u32(Bytes& out, uint32_t value);

} // namespace signet::signer::detail
