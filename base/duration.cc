#include <signet/base/duration.h>

#include <array>
#include <cstdint>

#include <fmt/format.h>

namespace signet {

namespace {

struct Unit {
    char letter;
    int64_t seconds;
};

constexpr std::array written_units {
    Unit { 'd', 86400 },
    Unit { 'h', 3600 },
    Unit { 'm', 60 },
    Unit { 's', 1 },
};

// Seconds in one unit, or 0 for a character that is not a unit.
uint64_t unit_seconds(char letter)
{
    switch (letter) {
    case 's': case 'S': return 1;
    case 'm': case 'M': return 60;
    case 'h': case 'H': return 3600;
    case 'd': case 'D': return 86400;
    case 'w': case 'W': return 604800;
    default: return 0;
    }
}

} // namespace

std::expected<uint64_t, SecondsError> parse_seconds(std::string_view text, uint64_t max)
{
    if (text.empty())
        return std::unexpected(SecondsError::Empty);
    uint64_t total = 0;
    uint64_t number = 0;
    bool have_digits = false;
    bool have_unit = false;
    for (char c : text) {
        if (c >= '0' && c <= '9') {
            number = number * 10 + static_cast<uint64_t>(c - '0');
            if (number > max)
                return std::unexpected(SecondsError::TooLarge);
            have_digits = true;
            continue;
        }
        const uint64_t unit = unit_seconds(c);
        if (unit == 0)
            return std::unexpected(SecondsError::BadCharacter);
        if (!have_digits)
            return std::unexpected(SecondsError::UnitWithoutNumber);
        // Checked at every step, so that neither the product nor a sum of
        // many parts can wrap around.
        if (number > max / unit)
            return std::unexpected(SecondsError::TooLarge);
        total += number * unit;
        if (total > max)
            return std::unexpected(SecondsError::TooLarge);
        number = 0;
        have_digits = false;
        have_unit = true;
    }
    if (have_digits) {
        if (have_unit)
            return std::unexpected(SecondsError::NumberAfterUnits);
        total = number;
    }
    return total;
}

Result<Duration> parse_duration(std::string_view text)
{
    auto bad = [&](std::string_view why) {
        return fail(ErrorCode::Parse,
                    fmt::format("bad duration '{}': {} (use seconds or units, e.g. \"90d\", \"1d12h\", \"5m\")",
                                text, why));
    };
    auto seconds = parse_seconds(text, static_cast<uint64_t>(max_duration.count()));
    if (!seconds) {
        switch (seconds.error()) {
        case SecondsError::Empty: return bad("empty");
        case SecondsError::BadCharacter:
            // parse_seconds stops at the first character that is neither a
            // digit nor a unit.
            return bad(fmt::format("unexpected '{}'", text[text.find_first_not_of("0123456789smhdwSMHDW")]));
        case SecondsError::UnitWithoutNumber: return bad("a unit without a number");
        case SecondsError::NumberAfterUnits: return bad("a number without a unit after units");
        case SecondsError::TooLarge: return bad("too long");
        }
    }
    return Duration(static_cast<int64_t>(*seconds));
}

std::string format_duration(Duration duration)
{
    int64_t count = duration.count();
    if (count == 0)
        return "0s";
    std::string out;
    // Negative values come only from arithmetic gone wrong; show them anyway.
    uint64_t left = static_cast<uint64_t>(count);
    if (count < 0) {
        out += '-';
        left = 0 - left;
    }
    for (const auto& unit : written_units) {
        auto seconds = static_cast<uint64_t>(unit.seconds);
        if (left >= seconds) {
            out += fmt::format("{}{}", left / seconds, unit.letter);
            left %= seconds;
        }
    }
    return out;
}

std::string format_duration_roughly(Duration duration)
{
    auto hours = std::chrono::duration_cast<std::chrono::hours>(duration).count();
    if (hours >= 48)
        return fmt::format("{} days", hours / 24);
    if (hours >= 1)
        return fmt::format("{} h", hours);
    return fmt::format("{} min", std::chrono::duration_cast<std::chrono::minutes>(duration).count());
}

} // namespace signet
