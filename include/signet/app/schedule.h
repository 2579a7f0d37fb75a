// When signetd works on which zone. Each zone has one next work time: the
// signer's next_work (a signature reaching its refresh point, the next key
// event, the next resalt) after a signing, "now" when its input changed, or
// a retry after a failure, backed off so that a broken zone or token does
// not take the daemon's whole time, and never later than the zone needs
// (the caller caps it by the published signatures' refresh point).
//
// Pure bookkeeping, no clock and no I/O: the daemon asks what is due at a
// time it read, and the tests move time by hand.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <signet/base/clock.h>

namespace signet::app {

class Schedule {
public:
    // The first retry after a failure, and the longest wait between two.
    static constexpr std::chrono::seconds first_retry { 30 };
    static constexpr std::chrono::seconds longest_retry { 3600 };

    // The zone's next work at `when`, replacing what it had (a success
    // clears its failures).
    void set(const std::string& zone, TimePoint when);
    // Due at `now`, or at the time it had when that is earlier.
    void wake(const std::string& zone, TimePoint now);
    // A failed attempt at `now`: retried after first_retry, twice as long
    // after each further failure, at most longest_retry, and never after
    // `latest` (when the published signatures need it). Returns the time.
    TimePoint failed(const std::string& zone, TimePoint now, std::optional<TimePoint> latest = std::nullopt);
    void remove(const std::string& zone);

    // The zones due at `now`, earliest first (ties by name), at most
    // `limit`; they stay scheduled until set(), failed() or remove().
    std::vector<std::string> due(TimePoint now, size_t limit = SIZE_MAX) const;
    // The earliest next work of any zone.
    std::optional<TimePoint> next() const;
    std::optional<TimePoint> at(const std::string& zone) const;
    unsigned failures(const std::string& zone) const;
    size_t size() const { return when_.size(); }

private:
    void put(const std::string& zone, TimePoint when);

    std::map<std::string, TimePoint> when_;
    std::set<std::pair<TimePoint, std::string>> order_;
    std::map<std::string, unsigned> failures_;
};

} // namespace signet::app
