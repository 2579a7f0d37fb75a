// The journal of a zone's published versions: what each signing removed
// and added (the signer's changeset), kept in the store for zone transfers
// (IXFR, RFC 1995) and `signet zone diff`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <signet/base/clock.h>
#include <signet/base/error.h>
#include <signet/dns/zone_assembler.h>
#include <signet/enforcer/keydb.h>

namespace signet::app {

// A changeset as the store keeps it.
Result<enforcer::JournalEntry> journal_entry(int64_t zone_id, uint32_t serial_from, uint32_t serial_to, TimePoint time,
                                             const dns::ZoneDiff& changes);

struct VersionChanges {
    uint32_t serial_from = 0;
    uint32_t serial_to = 0;
    TimePoint time {};
    dns::ZoneDiff changes; // the old SOA among the removed records, the new among the added
};

// The versions after `from` (the last one alone when nullopt), oldest
// first; an error when the journal does not reach back to `from`.
Result<std::vector<VersionChanges>> journal_since(enforcer::KeyDb& db, const enforcer::ZoneEntry& zone,
                                                  const dns::Name& apex, std::optional<uint32_t> from);

} // namespace signet::app
