#include "detail/canonical.h"

#include <algorithm>
#include <thread>
#include <vector>

namespace signet::signer::detail {

void run_on_threads(unsigned threads, const std::function<void()>& work)
{
    if (threads == 0)
        threads = std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t)
        pool.emplace_back(work);
    work();
    for (auto& thread : pool)
        thread.join();
}

uint16_t read_u16(std::string_view data, size_t offset)
{
    return static_cast<uint16_t>((static_cast<uint8_t>(data[offset]) << 8) | static_cast<uint8_t>(data[offset + 1]));
}

uint32_t read_u32(std::string_view data, size_t offset)
{
    return (static_cast<uint32_t>(read_u16(data, offset)) << 16) | read_u16(data, offset + 2);
}

void put_u16(Bytes& out, uint16_t value)
{
    out.push_back(static_cast<char>(value >> 8));
    out.push_back(static_cast<char>(value & 0xff));
}

void put_u32(Bytes& out, uint32_t value)
{
    put_u16(out, static_cast<uint16_t>(value >> 16));
    put_u16(out, static_cast<uint16_t>(value & 0xffff));
}

std::optional<RrsigFields> parse_rrsig(std::string_view rdata)
{
    if (rdata.size() < 19)
        return std::nullopt;
    RrsigFields f;
    f.type_covered = read_u16(rdata, 0);
    f.algorithm = static_cast<uint8_t>(rdata[2]);
    f.labels = static_cast<uint8_t>(rdata[3]);
    f.original_ttl = read_u32(rdata, 4);
    f.expiration = read_u32(rdata, 8);
    f.inception = read_u32(rdata, 12);
    f.key_tag = read_u16(rdata, 16);
    size_t offset = 18;
    while (offset < rdata.size() && rdata[offset] != 0)
        offset += 1 + static_cast<uint8_t>(rdata[offset]);
    if (offset >= rdata.size())
        return std::nullopt;
    ++offset;
    f.signer = rdata.substr(18, offset - 18);
    f.signature = rdata.substr(offset);
    f.prefix_size = offset;
    return f;
}

Bytes rrsig_prefix(dns::RRType covered, uint8_t algorithm, uint8_t labels, uint32_t original_ttl, uint32_t expiration,
                   uint32_t inception, uint16_t key_tag, const dns::Name& signer)
{
    Bytes out;
    out.reserve(18 + signer.wire().size() + 128);
    put_u16(out, static_cast<uint16_t>(covered));
    out.push_back(static_cast<char>(algorithm));
    out.push_back(static_cast<char>(labels));
    put_u32(out, original_ttl);
    put_u32(out, expiration);
    put_u32(out, inception);
    put_u16(out, key_tag);
    out += signer.lowercased().wire();
    return out;
}

void append_signed_rrs(Bytes& data, std::string_view owner, dns::RRType type, uint32_t ttl,
                       std::span<const std::string_view> rdatas)
{
    // RFC 4034 §6.3: RRs sorted by their canonical RDATA; duplicates once.
    std::vector<Bytes> canonical;
    canonical.reserve(rdatas.size());
    for (std::string_view rdata : rdatas)
        canonical.push_back(dns::rdata_canonical(type, rdata));
    std::sort(canonical.begin(), canonical.end());
    canonical.erase(std::unique(canonical.begin(), canonical.end()), canonical.end());
    for (const Bytes& rdata : canonical) {
        data += owner;
        put_u16(data, static_cast<uint16_t>(type));
        put_u16(data, 1); // class IN
        put_u32(data, ttl);
        put_u16(data, static_cast<uint16_t>(rdata.size()));
        data += rdata;
    }
}

} // namespace signet::signer::detail
