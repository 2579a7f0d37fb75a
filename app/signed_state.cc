#include <signet/app/signed_state.h>

#include <unistd.h>

#include <cstring>

#include <fmt/format.h>

#include <signet/base/regular_file.h>
#include <signet/crypto/dnssec.h>
#include <signet/dns/zone_snapshot.h>

namespace signet::app {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view magic = "SIGNETSV";
constexpr size_t digest_size = 32;
constexpr size_t max_header = 4096;

std::string header_text(const enforcer::ZoneEntry& zone)
{
    return fmt::format("zone {}\nserial {}\noutput {}\n", zone.name, zone.serial.value_or(0), zone.output_id);
}

} // namespace

fs::path signed_state_path(const fs::path& state_dir, int64_t zone_id)
{
    return state_dir / "signed" / fmt::format("zone-{}.state", zone_id);
}

fs::path signing_failure_path(const fs::path& state_dir, int64_t zone_id)
{
    return state_dir / "signed" / fmt::format("zone-{}.failure", zone_id);
}

Result<dns::Zone> load_signed_state(const fs::path& state_dir, const enforcer::ZoneEntry& zone, const dns::Name& apex)
{
    const fs::path path = signed_state_path(state_dir, zone.id);
    auto file = open_regular_file(path);
    if (!file)
        return fail(file.error().code(), fmt::format("{}: {}", path.string(), file.error().message()));
    uint64_t left = file->size;
    crypto::Sha256 sha;
    auto read = [&](char* into, size_t size) -> Result<void> {
        if (size > left)
            return fail(ErrorCode::Parse, "shorter than its content says");
        for (size_t done = 0; done < size;) {
            ssize_t n = ::read(file->fd.get(), into + done, size - done);
            if (n <= 0)
                return fail(ErrorCode::Io, n == 0 ? std::string("cut short") : std::string(std::strerror(errno)));
            done += static_cast<size_t>(n);
        }
        left -= size;
        sha.add(std::string_view(into, size));
        return {};
    };
    auto parsed = [&]() -> Result<dns::Zone> {
        char head[12];
        SIGNET_TRY(read(head, sizeof head));
        if (std::string_view(head, 8) != magic)
            return fail(ErrorCode::Parse, "not a signer state file");
        const uint32_t header_size = (static_cast<uint32_t>(static_cast<uint8_t>(head[8])) << 24)
                                     | (static_cast<uint32_t>(static_cast<uint8_t>(head[9])) << 16)
                                     | (static_cast<uint32_t>(static_cast<uint8_t>(head[10])) << 8)
                                     | static_cast<uint8_t>(head[11]);
        if (header_size > max_header)
            return fail(ErrorCode::Parse, "damaged header");
        std::string header(header_size, '\0');
        SIGNET_TRY(read(header.data(), header.size()));
        if (header != header_text(zone))
            return fail(ErrorCode::Conflict, "not the version the store says is published (a run stopped before its "
                                             "commit, or a restored store)");
        if (left < digest_size)
            return fail(ErrorCode::Parse, "cut short");
        dns::Zone signed_zone = SIGNET_TRY(dns::ZoneSnapshot::read(read, left - digest_size, apex));
        std::string expected = sha.finish();
        std::string stored(digest_size, '\0');
        SIGNET_TRY(read(stored.data(), stored.size()));
        if (stored != expected || left != 0)
            return fail(ErrorCode::Parse, "damaged (its checksum does not match)");
        return signed_zone;
    }();
    if (!parsed)
        return fail(parsed.error().code(), fmt::format("{}: {}", path.string(), parsed.error().message()));
    return parsed;
}

Result<AtomicFile> write_signed_state(const fs::path& state_dir, const enforcer::ZoneEntry& zone,
                                      const dns::Zone& signed_zone)
{
    const fs::path dir = state_dir / "signed";
    std::error_code ec;
    fs::create_directory(dir, ec);
    fs::permissions(dir, fs::perms::owner_all, ec);
    auto file = SIGNET_TRY(AtomicFile::create(signed_state_path(state_dir, zone.id), 0600));
    crypto::Sha256 sha;
    auto write = [&](std::string_view bytes) -> Result<void> {
        sha.add(bytes);
        return file.write(bytes);
    };
    const std::string header = header_text(zone);
    std::string head(magic);
    for (int shift = 24; shift >= 0; shift -= 8)
        head.push_back(static_cast<char>((header.size() >> shift) & 0xff));
    SIGNET_TRY(write(head));
    SIGNET_TRY(write(header));
    SIGNET_TRY(dns::ZoneSnapshot::write(signed_zone, write));
    SIGNET_TRY(file.write(sha.finish()));
    return file;
}

void remove_signed_state(const fs::path& state_dir, int64_t zone_id)
{
    std::error_code ignored;
    fs::remove(signed_state_path(state_dir, zone_id), ignored);
    fs::remove(signing_failure_path(state_dir, zone_id), ignored);
}

} // namespace signet::app
