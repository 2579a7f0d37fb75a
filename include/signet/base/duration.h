// Lengths of time in policies and on the command line: "90d", "12h", "1d12h".
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <signet/base/error.h>

namespace signet {

using Duration = std::chrono::seconds;

// The longest duration parse_duration accepts: 100 years of 366 days. Far
// beyond any sensible timer, and small enough that adding it to a TimePoint
// cannot overflow.
inline constexpr Duration max_duration { 100LL * 366 * 86400 };

// Decimal seconds ("3600") or numbers with units, largest first or in any
// order: "2w", "90d", "1d12h", "5m30s" (s, m, h, d, w; any case). Words such
// as "unlimited" are for callers to recognise before calling this.
Result<Duration> parse_duration(std::string_view text);

// The exact value in days, hours, minutes and seconds, leaving out zero
// parts: "90d", "1d12h", "5m30s", "0s". Weeks are read but not written, so
// that "90d" stays "90d" and not "12w6d". parse_duration reads it back.
std::string format_duration(Duration duration);

} // namespace signet
