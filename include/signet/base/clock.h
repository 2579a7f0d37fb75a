// Time comes from a Clock that callers pass in, never from the system
// directly, so that `--now` and tests can move it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <signet/base/error.h>

namespace signet {

using TimePoint = std::chrono::sys_seconds;

class Clock {
public:
    virtual ~Clock() = default;
    virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
public:
    TimePoint now() const override;
};

class FixedClock final : public Clock {
public:
    explicit FixedClock(TimePoint at)
        : at_(at)
    {
    }
    TimePoint now() const override { return at_; }
    void set(TimePoint at) { at_ = at; }

private:
    TimePoint at_;
};

// Unix seconds ("1700000000") or RFC 3339 ("2026-11-23T12:00:00Z", with an
// optional fraction, and "Z" or a "+hh:mm" offset).
Result<TimePoint> parse_time(std::string_view text);
// RFC 3339 in UTC, "2026-11-23T12:00:00Z".
std::string format_time(TimePoint time);

} // namespace signet
