// The signer's memory between runs: each zone's last published version, in
// DIR/signed/, so that the next signing keeps what is still good instead of
// signing everything again.
//
// One file per zone ("zone-ID.state"): a small header (zone name, serial,
// which output file it was published as), the signed zone as a
// dns::ZoneSnapshot, and a SHA-256 over both. A binary snapshot rather than
// the signed master file: it loads at disk speed (a 1M-RRset zone is read in
// a fraction of the time parsing its text takes) and needs no parser on a
// file the signer wrote itself. It is trusted only when its header matches
// the store's zone row (serial and output identity, which are committed in
// the same transaction as the output); anything else (missing, from a run
// killed before its commit, damaged) is reported and the zone is signed in
// full once.
#pragma once

#include <filesystem>
#include <string>

#include <signet/base/atomic_file.h>
#include <signet/base/error.h>
#include <signet/dns/zone.h>
#include <signet/enforcer/keydb.h>

namespace signet::app {

std::filesystem::path signed_state_path(const std::filesystem::path& state_dir, int64_t zone_id);
// Beside it, the record of the zone's last failed signing (see health.h).
std::filesystem::path signing_failure_path(const std::filesystem::path& state_dir, int64_t zone_id);

// The version the store says is published, or an error saying why it
// cannot be used.
Result<dns::Zone> load_signed_state(const std::filesystem::path& state_dir, const enforcer::ZoneEntry& zone,
                                    const dns::Name& apex);

// Writes the state of `zone` (as it will be stored: serial and output
// identity set) to a temporary file for the caller to commit with the store.
Result<AtomicFile> write_signed_state(const std::filesystem::path& state_dir, const enforcer::ZoneEntry& zone,
                                      const dns::Zone& signed_zone);

void remove_signed_state(const std::filesystem::path& state_dir, int64_t zone_id);

} // namespace signet::app
