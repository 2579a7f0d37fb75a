// What signetd exposes to Prometheus (text exposition format 0.0.4): per
// zone its serial, last successful signing, last failure, the earliest
// signature expiration of the published version, its next work time, the
// signatures made and reused, and its keys by role and state; the token's
// signing latency; and the process's own figures. The daemon's thread
// writes, the metrics server's thread reads: every method may be called
// from several threads at once.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <signet/base/clock.h>
#include <signet/enforcer/model.h>

namespace signet::app {

class Metrics {
public:
    struct Zone {
        std::optional<uint32_t> serial;
        std::optional<TimePoint> signed_at; // last successful signing
        std::optional<TimePoint> last_failure;
        std::optional<TimePoint> expiration; // earliest, of the published version
        std::optional<TimePoint> next_work;
        std::map<std::pair<std::string, std::string>, unsigned> keys; // (role, state) -> count
    };

    // The zone as the store and the schedule have it now.
    void set_zone(const std::string& name, const enforcer::ZoneEntry& zone, std::optional<TimePoint> last_failure,
                  std::optional<TimePoint> next_work, const std::vector<enforcer::KeyEntry>& keys);
    void remove_zone(const std::string& name);
    // A signing of the zone by the daemon: what it made and kept.
    void count_signing(const std::string& name, uint64_t made, uint64_t reused, bool failed);
    // One signature by the token, and how long it took.
    void observe_token_signature(std::chrono::nanoseconds took);

    // The text a scrape gets.
    std::string render() const;

    // The buckets (upper bounds, seconds) of the token latency histogram.
    static constexpr std::array<double, 12> latency_buckets { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                              0.01,   0.025,   0.05,   0.1,   0.25,   1.0 };

private:
    struct Counts {
        uint64_t made = 0, reused = 0, signings = 0, failures = 0;
    };
    mutable std::mutex mutex_;
    std::map<std::string, Zone> zones_;
    std::map<std::string, Counts> counts_;
    std::array<uint64_t, latency_buckets.size()> latency_counts_ {};
    uint64_t latency_count_ = 0;
    double latency_sum_ = 0;
    TimePoint started_ = SystemClock().now();
};

// A key's phase for the metrics: "generated", "published", "active",
// "retired" (nullopt once removed).
std::optional<std::string> key_phase(const enforcer::KeyEntry& key);

} // namespace signet::app
