#include <signet/base/clock.h>

#include <charconv>

#include <fmt/format.h>

namespace signet {

TimePoint SystemClock::now() const
{
    return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

namespace {

bool read_number(std::string_view text, size_t pos, size_t digits, int& out)
{
    if (pos + digits > text.size())
        return false;
    auto [ptr, ec] = std::from_chars(text.data() + pos, text.data() + pos + digits, out);
    return ec == std::errc() && ptr == text.data() + pos + digits;
}

} // namespace

Result<TimePoint> parse_time(std::string_view text)
{
    auto bad = [&] {
        return fail(ErrorCode::Usage,
                    fmt::format("bad time '{}': use Unix seconds or RFC 3339 (2026-11-23T12:00:00Z)", text));
    };
    if (!text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos) {
        int64_t seconds = 0;
        auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
        if (ec != std::errc() || ptr != text.data() + text.size())
            return bad();
        return TimePoint(std::chrono::seconds(seconds));
    }
    int year, month, day, hour, minute, second;
    if (text.size() < 20 || !read_number(text, 0, 4, year) || text[4] != '-' || !read_number(text, 5, 2, month)
        || text[7] != '-' || !read_number(text, 8, 2, day) || (text[10] != 'T' && text[10] != 't' && text[10] != ' ')
        || !read_number(text, 11, 2, hour) || text[13] != ':' || !read_number(text, 14, 2, minute)
        || text[16] != ':' || !read_number(text, 17, 2, second))
        return bad();
    size_t pos = 19;
    if (text[pos] == '.') {
        ++pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9')
            ++pos;
    }
    int offset_minutes = 0;
    if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z') && pos + 1 == text.size()) {
    } else if (pos + 6 == text.size() && (text[pos] == '+' || text[pos] == '-') && text[pos + 3] == ':') {
        int oh, om;
        if (!read_number(text, pos + 1, 2, oh) || !read_number(text, pos + 4, 2, om))
            return bad();
        offset_minutes = (oh * 60 + om) * (text[pos] == '-' ? -1 : 1);
    } else {
        return bad();
    }
    std::chrono::year_month_day date { std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                                       std::chrono::day(static_cast<unsigned>(day)) };
    if (!date.ok() || hour > 23 || minute > 59 || second > 60)
        return bad();
    auto days = std::chrono::sys_days(date);
    return TimePoint(days) + std::chrono::hours(hour) + std::chrono::minutes(minute - offset_minutes)
        + std::chrono::seconds(second);
}

std::string format_time(TimePoint time)
{
    auto days = std::chrono::floor<std::chrono::days>(time);
    std::chrono::year_month_day date(days);
    std::chrono::hh_mm_ss clock(time - days);
    return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z", static_cast<int>(date.year()),
                       static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                       clock.hours().count(), clock.minutes().count(), clock.seconds().count());
}

} // namespace signet
