#include <signet/dns/zone_writer.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <thread>
#include <vector>

#include <signet/base/atomic_file.h>

namespace signet::dns {

namespace {

// A record's line after its owner: " TTL IN TYPE RDATA\n".
void append_after_owner(std::string& out, uint32_t ttl, RRType type, std::string_view rdata)
{
    out += ' ';
    char digits[10];
    out.append(digits, std::to_chars(digits, digits + sizeof digits, ttl).ptr);
    out += " IN ";
    append_type_and_rdata_text(out, type, rdata);
    out += '\n';
}


// Whether RRset `i` opens the zone's text: a master file starts with its
// zone's SOA (RFC 1035 §5.2), and tools and scripts read the serial from
// there; the SOA's signatures follow it.
bool opens_zone(const Zone& zone, size_t i)
{
    RRsetView rrset = zone[i];
    return rrset.type() == RRType::SOA
        || (rrset.type() == RRType::RRSIG && rrset.covers() == static_cast<uint16_t>(RRType::SOA));
}

// The text of RRsets [first, last), appended to `out`, in canonical order
// but for the apex, whose SOA and its signatures come first. A signed owner
// has several RRsets: its name is made text once.
void format_rrsets(const Zone& zone, size_t first, size_t last, std::string& out)
{
    std::string owner;
    auto format = [&](size_t index) {
        RRsetView rrset = zone[index];
        for (std::string_view rdata : rrset.rdatas()) {
            out += owner;
            append_after_owner(out, rrset.ttl(), rrset.type(), rdata);
        }
    };
    for (size_t i = first; i < last;) {
        const size_t end = std::min(zone.owner_end(i), last);
        owner.clear();
        zone[i].owner().append_text(owner);
        if (i == 0 && zone[0].owner() == zone.origin().view()) {
            for (size_t j = i; j < end; ++j)
                if (opens_zone(zone, j))
                    format(j);
            for (size_t j = i; j < end; ++j)
                if (!opens_zone(zone, j))
                    format(j);
        } else {
            for (size_t j = i; j < end; ++j)
                format(j);
        }
        i = end;
    }
}

// Text formatting (base64 of signatures, names) is most of a large zone's
// write time. The zone goes out in blocks of RRsets: `threads` threads
// format the blocks of one round while the caller's thread hands those of
// the round before to `emit`, in order; with one thread, or a small zone,
// the caller formats each block itself. The text is the same either way.
template <typename Emit>
Result<void> each_block(const Zone& zone, unsigned threads, Emit&& emit)
{
    constexpr size_t block = 4096; // RRsets; about 1 MB of text when signed
    const size_t blocks = (zone.size() + block - 1) / block;
    auto format_block = [&zone](size_t b, std::string& text) {
        text.clear();
        format_rrsets(zone, b * block, std::min(zone.size(), (b + 1) * block), text);
    };
    if (threads <= 1 || blocks < 4) {
        std::string text;
        for (size_t b = 0; b < blocks; ++b) {
            format_block(b, text);
            SIGNET_TRY(emit(text));
        }
        return {};
    }
    std::vector<std::string> ready(threads), next(threads);
    auto format_round = [&](size_t round, std::vector<std::string>& texts) {
        std::vector<std::thread> workers;
        for (unsigned t = 0; t < threads; ++t) {
            texts[t].clear();
            if (const size_t b = round * threads + t; b < blocks)
                workers.emplace_back(format_block, b, std::ref(texts[t]));
        }
        return workers;
    };
    const size_t rounds = (blocks + threads - 1) / threads;
    for (auto& worker : format_round(0, ready))
        worker.join();
    for (size_t round = 0; round < rounds; ++round) {
        std::vector<std::thread> workers;
        if (round + 1 < rounds)
            workers = format_round(round + 1, next);
        Result<void> emitted;
        for (const std::string& text : ready) {
            if (emitted && !text.empty())
                emitted = emit(text);
        }
        for (auto& worker : workers)
            worker.join();
        SIGNET_TRY(std::move(emitted));
        std::swap(ready, next);
    }
    return {};
}

} // namespace

void append_record(std::string& out, NameView owner, uint32_t ttl, RRType type, std::string_view rdata)
{
    owner.append_text(out);
    append_after_owner(out, ttl, type, rdata);
}

std::string zone_to_text(const Zone& zone)
{
    std::string out;
    (void)each_block(zone, 1, [&](std::string_view chunk) -> Result<void> {
        out += chunk;
        return {};
    });
    return out;
}

Result<void> write_zone_text(const Zone& zone, const std::function<Result<void>(std::string_view)>& sink,
                             unsigned threads)
{
    if (threads == 0)
        threads = std::max(1u, std::thread::hardware_concurrency());
    return each_block(zone, threads, sink);
}

Result<void> write_zone_file(const Zone& zone, const std::filesystem::path& path)
{
    auto file = SIGNET_TRY(AtomicFile::create(path));
    SIGNET_TRY(each_block(zone, 1, [&](std::string_view chunk) { return file.write(chunk); }));
    return file.commit();
}

} // namespace signet::dns
