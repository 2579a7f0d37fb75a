#include <signet/dns/zone_writer.h>

#include <algorithm>
#include <charconv>
#include <iterator>
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
    out += type_to_text(type);
    out += ' ';
    append_rdata_text(out, type, rdata);
    out += '\n';
}


// The text of RRsets [first, last), appended to `out`. A signed owner has
// several RRsets: its name is made text once.
void format_rrsets(const Zone& zone, size_t first, size_t last, std::string& out)
{
    std::string owner;
    for (size_t i = first; i < last;) {
        const size_t end = std::min(zone.owner_end(i), last);
        owner.clear();
        zone[i].owner().append_text(owner);
        for (; i < end; ++i) {
            RRsetView rrset = zone[i];
            for (std::string_view rdata : rrset.rdatas()) {
                out += owner;
                append_after_owner(out, rrset.ttl(), rrset.type(), rdata);
            }
        }
    }
}

template <typename Emit>
Result<void> each_line(const Zone& zone, Emit&& emit)
{
    std::string chunk;
    for (size_t i = 0; i < zone.size();) {
        const size_t end = zone.owner_end(i);
        format_rrsets(zone, i, end, chunk);
        i = end;
        if (chunk.size() >= (1 << 16)) {
            SIGNET_TRY(emit(chunk));
            chunk.clear();
        }
    }
    return emit(chunk);
}

// Text formatting (base64 of signatures, names) is most of a large zone's
// write time: `threads` threads format blocks of RRsets while the caller's
// thread hands the blocks before them to `emit`, in order. The text is the
// same as each_line's.
template <typename Emit>
Result<void> each_block_parallel(const Zone& zone, unsigned threads, Emit&& emit)
{
    constexpr size_t block = 4096; // RRsets; about 1 MB of text when signed
    const size_t blocks = (zone.size() + block - 1) / block;
    std::vector<std::string> ready(threads), next(threads);
    auto format_round = [&](size_t round, std::vector<std::string>& texts) {
        std::vector<std::thread> workers;
        for (unsigned t = 0; t < threads; ++t) {
            texts[t].clear();
            const size_t b = round * threads + t;
            if (b >= blocks)
                break;
            workers.emplace_back([&zone, &texts, b, t] {
                format_rrsets(zone, b * block, std::min(zone.size(), (b + 1) * block), texts[t]);
            });
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
    (void)each_line(zone, [&](std::string_view chunk) -> Result<void> {
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
    if (threads == 1 || zone.size() < 16384)
        return each_line(zone, sink);
    return each_block_parallel(zone, threads, sink);
}

Result<void> write_zone_file(const Zone& zone, const std::filesystem::path& path)
{
    auto file = SIGNET_TRY(AtomicFile::create(path));
    SIGNET_TRY(each_line(zone, [&](std::string_view chunk) { return file.write(chunk); }));
    return file.commit();
}

} // namespace signet::dns
