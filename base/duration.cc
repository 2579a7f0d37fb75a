#include <signet/base/duration.h>

#include <array>
#include <cctype>
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

int64_t unit_seconds(char letter)
{
    switch (std::tolower(static_cast<unsigned char>(letter))) {
    case 's': return 1;
    case 'm': return 60;
    case 'h': return 3600;
    case 'd': return 86400;
    case 'w': return 604800;
    default: return 0;
    }
}

} // namespace

Result<Duration> parse_duration(std::string_view text)
{
    auto bad = [&](std::string_view why) {
        return fail(ErrorCode::Parse,
                    fmt::format("bad duration '{}': {} (use seconds or units, e.g. \"90d\", \"1d12h\", \"5m\")",
                                text, why));
    };
    if (text.empty())
        return bad("empty");
    const int64_t limit = max_duration.count();
    int64_t total = 0;
    int64_t number = 0;
    bool have_digits = false;
    bool have_unit = false;
    for (char c : text) {
        if (c >= '0' && c <= '9') {
            number = number * 10 + (c - '0');
            have_digits = true;
            if (number > limit)
                return bad("too long");
            continue;
        }
        int64_t unit = unit_seconds(c);
        if (unit == 0)
            return bad(fmt::format("unexpected '{}'", c));
        if (!have_digits)
            return bad("a unit without a number");
        if (number > limit / unit)
            return bad("too long");
        total += number * unit;
        if (total > limit)
            return bad("too long");
        number = 0;
        have_digits = false;
        have_unit = true;
    }
    if (have_digits) {
        if (have_unit)
            return bad("a number without a unit after units");
        total += number;
        if (total > limit)
            return bad("too long");
    }
    return Duration(total);
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

} // namespace signet
