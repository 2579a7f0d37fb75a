// Lengths of time in policies and on the command line ("90d", "12h",
// "1d12h"), and the syntax they share with TTLs in master files.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include <signet/base/error.h>

namespace signet {

using Duration = std::chrono::seconds;

// The longest duration parse_duration accepts: 100 years of 366 days. Far
// beyond any sensible timer, and small enough that adding it to a TimePoint
// cannot overflow.
inline constexpr Duration max_duration { 100LL * 366 * 86400 };

// What parse_seconds found wrong, in the order it looks: it stops at the
// first character that is wrong.
enum class SecondsError : uint8_t {
    Empty,
    BadCharacter, // not a digit nor one of s, m, h, d, w (any case)
    UnitWithoutNumber, // "h1", "1dh"
    NumberAfterUnits, // "1h30": minutes or seconds? BIND refuses it too
    TooLarge, // above `max`, as soon as a number or the sum is
};

// The one syntax for lengths of time, which policies share with the TTLs of
// master files (RFC 2308 §4 and BIND): decimal seconds ("3600"), or numbers
// with units summed in any order: "2w", "90d", "1d12h", "5m30s", "1H30M"
// (s, m, h, d, w; any case). At most `max` seconds, which must be below
// 2^60 so that no step overflows.
std::expected<uint64_t, SecondsError> parse_seconds(std::string_view text, uint64_t max);

// parse_seconds up to max_duration, failing with a message that says what
// is wrong. Words such as "unlimited" are for callers to recognise before
// calling this.
Result<Duration> parse_duration(std::string_view text);

// The exact value in days, hours, minutes and seconds, leaving out zero
// parts: "90d", "1d12h", "5m30s", "0s". Weeks are read but not written, so
// that "90d" stays "90d" and not "12w6d". parse_duration reads it back.
std::string format_duration(Duration duration);

// A length of time as people read it in a warning, rounded down to its
// largest sensible unit: "12 days" (from 48 hours on), "5 h", "40 min".
std::string format_duration_roughly(Duration duration);

} // namespace signet
