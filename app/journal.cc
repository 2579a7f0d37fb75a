#include <signet/app/journal.h>

#include <fmt/format.h>

#include <signet/dns/zone_snapshot.h>

namespace signet::app {


Result<enforcer::JournalEntry> journal_entry(int64_t zone_id, uint32_t serial_from, uint32_t serial_to, TimePoint time,
                                             const dns::ZoneDiff& changes)
{
    enforcer::JournalEntry entry { zone_id, serial_from, serial_to, time, SIGNET_TRY(dns::ZoneSnapshot::to_bytes(changes.removed)),
                                   SIGNET_TRY(dns::ZoneSnapshot::to_bytes(changes.added)) };
    return entry;
}

Result<std::vector<VersionChanges>> journal_since(enforcer::KeyDb& db, const enforcer::ZoneEntry& zone,
                                                  const dns::Name& apex, std::optional<uint32_t> from)
{
    auto entries = SIGNET_TRY(db.journal_of(zone.id));
    if (entries.empty())
        return fail(ErrorCode::NotFound, fmt::format("zone '{}': the journal holds no version (it starts at the next "
                                                     "signing that changes the zone)",
                                                     zone.name));
    size_t first = entries.size() - 1;
    if (from) {
        auto it = std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return e.serial_from == *from; });
        if (it == entries.end())
            return fail(ErrorCode::NotFound,
                        fmt::format("zone '{}': the journal does not reach back to serial {} (it holds versions from "
                                    "serial {} to {})",
                                    zone.name, *from, entries.front().serial_from, entries.back().serial_to));
        first = static_cast<size_t>(it - entries.begin());
    }
    std::vector<VersionChanges> out;
    for (size_t i = first; i < entries.size(); ++i) {
        auto removed = dns::ZoneSnapshot::read(entries[i].removed, apex);
        auto added = dns::ZoneSnapshot::read(entries[i].added, apex);
        if (!removed || !added)
            return fail(ErrorCode::Database, fmt::format("zone '{}': the journal entry for serial {} is damaged: {}",
                                                         zone.name, entries[i].serial_to,
                                                         (removed ? added.error() : removed.error()).message()));
        out.push_back(VersionChanges { entries[i].serial_from, entries[i].serial_to, entries[i].time,
                                       dns::ZoneDiff { std::move(*removed), std::move(*added) } });
    }
    return out;
}

} // namespace signet::app
