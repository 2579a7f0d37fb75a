#include <signet/dns/zone_writer.h>

#include <iterator>

#include <signet/base/atomic_file.h>

#include <fmt/format.h>

namespace signet::dns {

void append_record(std::string& out, NameView owner, uint32_t ttl, RRType type, std::string_view rdata)
{
    owner.append_text(out);
    fmt::format_to(std::back_inserter(out), " {} IN {} ", ttl, type_to_text(type));
    out += rdata_to_text(type, rdata);
    out += '\n';
}

namespace {

template <typename Emit>
Result<void> each_line(const Zone& zone, Emit&& emit)
{
    std::string chunk;
    for (RRsetView rrset : zone) {
        for (std::string_view rdata : rrset.rdatas())
            append_record(chunk, rrset.owner(), rrset.ttl(), rrset.type(), rdata);
        if (chunk.size() >= (1 << 16)) {
            SIGNET_TRY(emit(chunk));
            chunk.clear();
        }
    }
    return emit(chunk);
}

} // namespace

std::string zone_to_text(const Zone& zone)
{
    std::string out;
    (void)each_line(zone, [&](std::string_view chunk) -> Result<void> {
        out += chunk;
        return {};
    });
    return out;
}

Result<void> write_zone_text(const Zone& zone, const std::function<Result<void>(std::string_view)>& sink)
{
    return each_line(zone, sink);
}

Result<void> write_zone_file(const Zone& zone, const std::filesystem::path& path)
{
    auto file = SIGNET_TRY(AtomicFile::create(path));
    SIGNET_TRY(each_line(zone, [&](std::string_view chunk) { return file.write(chunk); }));
    return file.commit();
}

} // namespace signet::dns
