#include <signet/app/schedule.h>

#include <algorithm>

namespace signet::app {

void Schedule::put(const std::string& zone, TimePoint when)
{
    if (auto it = when_.find(zone); it != when_.end()) {
        order_.erase({ it->second, zone });
        it->second = when;
    } else {
        when_.emplace(zone, when);
    }
    order_.emplace(when, zone);
}

void Schedule::set(const std::string& zone, TimePoint when)
{
    failures_.erase(zone);
    put(zone, when);
}

void Schedule::wake(const std::string& zone, TimePoint now)
{
    auto it = when_.find(zone);
    if (it == when_.end() || it->second > now)
        put(zone, now);
}

TimePoint Schedule::failed(const std::string& zone, TimePoint now, std::optional<TimePoint> latest)
{
    unsigned& count = failures_[zone];
    auto wait = std::chrono::duration_cast<std::chrono::seconds>(longest_retry);
    if (count < 16)
        wait = std::min(wait, first_retry * (1u << count));
    ++count;
    TimePoint when = now + wait;
    if (latest)
        when = std::max(now, std::min(when, *latest));
    put(zone, when);
    return when;
}

void Schedule::remove(const std::string& zone)
{
    if (auto it = when_.find(zone); it != when_.end()) {
        order_.erase({ it->second, zone });
        when_.erase(it);
    }
    failures_.erase(zone);
}

std::vector<std::string> Schedule::due(TimePoint now, size_t limit) const
{
    std::vector<std::string> zones;
    for (const auto& [when, zone] : order_) {
        if (when > now || zones.size() >= limit)
            break;
        zones.push_back(zone);
    }
    return zones;
}

std::optional<TimePoint> Schedule::next() const
{
    if (order_.empty())
        return std::nullopt;
    return order_.begin()->first;
}

std::optional<TimePoint> Schedule::at(const std::string& zone) const
{
    auto it = when_.find(zone);
    if (it == when_.end())
        return std::nullopt;
    return it->second;
}

unsigned Schedule::failures(const std::string& zone) const
{
    auto it = failures_.find(zone);
    return it == failures_.end() ? 0 : it->second;
}

} // namespace signet::app
