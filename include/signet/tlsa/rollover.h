// Changing a service's certificate without a moment in which a validating
// client, holding a TLSA RRset up to one TTL old, finds no record that
// matches the certificate the service presents (RFC 7671 §8.1, §8.4).
//
// The order: publish the next certificate's records beside the current
// ones; once every cache that holds the RRset holds them too (one TTL, plus
// the time secondaries take to serve the new zone, after they were first
// published), switch the service to the next certificate; then drop the
// records that only the old certificate matched. A CA change is the same
// order: the new CA's DANE-TA record is one of the next certificate's
// records, so it is in every cache before the certificate it issued is
// presented, and the old CA's record goes last.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include <signet/base/clock.h>
#include <signet/base/duration.h>
#include <signet/tlsa/record.h>

namespace signet::tlsa {

// A record in the zone's last signed output, and since when it has been
// there without a break.
struct PublishedRecord {
    Record record;
    TimePoint since {};

    bool operator==(const PublishedRecord&) const = default;
};

// What is published after a signing at `at` that publishes `records`:
// records that stay keep their time, new ones start at `at`, the others
// are gone.
std::vector<PublishedRecord> after_signing(const std::vector<PublishedRecord>& before,
                                           const std::vector<Record>& records, TimePoint at);

// Which certificate a record is for.
enum class RecordRole {
    Current, // only the current certificate matches it
    Next, // only the next certificate matches it
    Both, // both do (same key, or same CA)
    Leaving, // published, but neither certificate needs it: the next signing drops it
};
std::string_view role_to_text(RecordRole role); // "current", "next", "both", "leaving"

struct PlannedRecord {
    Record record;
    RecordRole role = RecordRole::Current;
    std::optional<TimePoint> since; // published without a break since; none: not published yet
    // since + TTL + propagation delay: from then on every cache that holds
    // the RRset holds this record.
    std::optional<TimePoint> everywhere_at;
};

// Whether the service may now present the next certificate.
enum class SwitchState {
    NoNext, // there is no next certificate
    SignFirst, // some of its records are not published yet: sign the zone
    Wait, // published, but some caches may still hold an RRset without them
    Safe, // every cache that holds the RRset has a record for it
};
std::string_view switch_state_to_text(SwitchState state); // "no-next", "sign-first", "wait", "safe"

struct RolloverInput {
    std::vector<Record> current; // derived from the current certificate now
    std::optional<std::vector<Record>> next; // from the next certificate, when there is one
    std::vector<PublishedRecord> published; // in the last signed output
    Duration ttl {};
    Duration propagation_delay {};
    TimePoint now {};
};

struct RolloverPlan {
    // The current and next records (in that order, each once), then the
    // published ones that are leaving.
    std::vector<PlannedRecord> records;
    // What the next signing publishes: the current and next records.
    std::vector<Record> to_publish;
    SwitchState switch_state = SwitchState::NoNext;
    // When switching is (or was) safe, for Wait and Safe; none for Safe
    // when the next certificate needs no record the current one lacks.
    std::optional<TimePoint> switch_at;
    // Records that only the current certificate matches: the ones that go
    // when the next certificate becomes the current one.
    std::vector<Record> old_only;
    // Records of the current certificate missing from a zone that already
    // publishes records for this service: the certificate (or key) changed
    // without being announced first, so clients with the old RRset cached
    // fail until one TTL after the next signing.
    std::vector<Record> unannounced;
};

RolloverPlan plan_rollover(const RolloverInput& input);

} // namespace signet::tlsa
