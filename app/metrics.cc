#include <signet/app/metrics.h>

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace signet::app {

namespace {

// A label value as the exposition format wants it: backslash, double quote
// and newline escaped. Zone names are the operator's, but may hold anything.
std::string label(std::string_view value)
{
    std::string out;
    for (char c : value) {
        if (c == '\\' || c == '"')
            out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

double seconds_of(TimePoint time) { return static_cast<double>(time.time_since_epoch().count()); }

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help)
{
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

// The process's own figures, as the Prometheus client libraries name them.
void process_figures(std::string& out, TimePoint started)
{
    long ticks = ::sysconf(_SC_CLK_TCK), page = ::sysconf(_SC_PAGESIZE);
    std::ifstream stat("/proc/self/stat");
    std::string line;
    std::getline(stat, line);
    // Fields after the command (which may hold spaces) in parentheses.
    auto close = line.rfind(')');
    if (close != std::string::npos && ticks > 0) {
        std::istringstream fields(line.substr(close + 2));
        std::vector<std::string> f;
        for (std::string field; fields >> field;)
            f.push_back(field);
        // state is field 3 of the line, f[0]; utime and stime are 14 and 15.
        if (f.size() > 21) {
            double cpu = (std::stod(f[11]) + std::stod(f[12])) / static_cast<double>(ticks);
            family(out, "process_cpu_seconds_total", "counter", "User and system CPU time spent, in seconds.");
            out += fmt::format("process_cpu_seconds_total {}\n", cpu);
            family(out, "process_resident_memory_bytes", "gauge", "Resident memory size, in bytes.");
            out += fmt::format("process_resident_memory_bytes {}\n", std::stoll(f[21]) * page);
            family(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size, in bytes.");
            out += fmt::format("process_virtual_memory_bytes {}\n", f[20]);
        }
    }
    if (DIR* fds = ::opendir("/proc/self/fd")) {
        size_t count = 0;
        while (const dirent* entry = ::readdir(fds))
            count += entry->d_name[0] != '.';
        ::closedir(fds);
        family(out, "process_open_fds", "gauge", "Open file descriptors.");
        out += fmt::format("process_open_fds {}\n", count > 0 ? count - 1 : 0); // not the one reading
    }
    family(out, "process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch, in seconds.");
    out += fmt::format("process_start_time_seconds {}\n", seconds_of(started));
}

} // namespace

std::optional<std::string> key_phase(const enforcer::KeyEntry& key)
{
    if (key.removed)
        return std::nullopt;
    if (key.retired)
        return "retired";
    if (key.active)
        return "active";
    if (key.published)
        return "published";
    return "generated";
}

void Metrics::set_zone(const std::string& name, const enforcer::ZoneEntry& zone,
                       std::optional<TimePoint> last_failure, std::optional<TimePoint> next_work,
                       const std::vector<enforcer::KeyEntry>& keys)
{
    Zone figures;
    figures.serial = zone.serial;
    figures.signed_at = zone.signed_at;
    figures.last_failure = last_failure;
    figures.expiration = zone.insecure_since ? std::nullopt : zone.expires;
    figures.next_work = next_work;
    for (const auto& key : keys) {
        if (auto phase = key_phase(key))
            ++figures.keys[{ std::string(enforcer::key_role_to_text(key.role)), *phase }];
    }
    std::lock_guard lock(mutex_);
    zones_[name] = std::move(figures);
    counts_.try_emplace(name);
}

void Metrics::remove_zone(const std::string& name)
{
    std::lock_guard lock(mutex_);
    zones_.erase(name);
    counts_.erase(name);
}

void Metrics::count_signing(const std::string& name, uint64_t made, uint64_t reused, bool failed)
{
    std::lock_guard lock(mutex_);
    Counts& counts = counts_[name];
    counts.made += made;
    counts.reused += reused;
    ++counts.signings;
    counts.failures += failed;
}

void Metrics::observe_token_signature(std::chrono::nanoseconds took)
{
    const double seconds = std::chrono::duration<double>(took).count();
    std::lock_guard lock(mutex_);
    for (size_t i = 0; i < latency_buckets.size(); ++i) {
        if (seconds <= latency_buckets[i])
            ++latency_counts_[i];
    }
    ++latency_count_;
    latency_sum_ += seconds;
}

std::string Metrics::render() const
{
    std::lock_guard lock(mutex_);
    std::string out;
    auto per_zone = [&](std::string_view name, std::string_view type, std::string_view help, auto value) {
        family(out, name, type, help);
        for (const auto& [zone, figures] : zones_) {
            if (auto v = value(zone, figures))
                out += fmt::format("{}{{zone=\"{}\"}} {}\n", name, label(zone), *v);
        }
    };
    auto time = [](const std::optional<TimePoint>& t) -> std::optional<double> {
        return t ? std::optional(seconds_of(*t)) : std::nullopt;
    };
    per_zone("signet_zone_serial", "gauge", "SOA serial of the published version.",
             [](const std::string&, const Zone& z) { return z.serial; });
    per_zone("signet_zone_last_signing_timestamp_seconds", "gauge", "When the zone was last signed successfully.",
             [&](const std::string&, const Zone& z) { return time(z.signed_at); });
    per_zone("signet_zone_last_failure_timestamp_seconds", "gauge",
             "When the last signing failed or signed the last good version instead of the input (absent: it did "
             "not).",
             [&](const std::string&, const Zone& z) { return time(z.last_failure); });
    per_zone("signet_zone_signature_expiration_timestamp_seconds", "gauge",
             "The earliest signature expiration of the published version.",
             [&](const std::string&, const Zone& z) { return time(z.expiration); });
    per_zone("signet_zone_next_work_timestamp_seconds", "gauge", "When signetd works on the zone next.",
             [&](const std::string&, const Zone& z) { return time(z.next_work); });
    auto counter = [&](std::string_view name, std::string_view help, uint64_t Counts::*field) {
        family(out, name, "counter", help);
        for (const auto& [zone, counts] : counts_)
            out += fmt::format("{}{{zone=\"{}\"}} {}\n", name, label(zone), counts.*field);
    };
    counter("signet_zone_signatures_made_total", "RRSIGs made by signetd's signings of the zone.", &Counts::made);
    counter("signet_zone_signatures_reused_total", "RRSIGs carried over from the previous version.", &Counts::reused);
    counter("signet_zone_signings_total", "Signings of the zone by signetd, unchanged ones included.",
            &Counts::signings);
    counter("signet_zone_signing_failures_total", "Signings of the zone by signetd that failed.", &Counts::failures);
    family(out, "signet_zone_keys", "gauge", "Keys of the zone by role and phase.");
    for (const auto& [zone, figures] : zones_) {
        for (const auto& [which, count] : figures.keys)
            out += fmt::format("signet_zone_keys{{zone=\"{}\",role=\"{}\",state=\"{}\"}} {}\n", label(zone),
                               which.first, which.second, count);
    }
    family(out, "signet_zones", "gauge", "Zones signetd keeps signed.");
    out += fmt::format("signet_zones {}\n", zones_.size());
    family(out, "signet_token_sign_seconds", "histogram", "Time the token took for one signature.");
    for (size_t i = 0; i < latency_buckets.size(); ++i)
        out += fmt::format("signet_token_sign_seconds_bucket{{le=\"{}\"}} {}\n", latency_buckets[i], latency_counts_[i]);
    out += fmt::format("signet_token_sign_seconds_bucket{{le=\"+Inf\"}} {}\n", latency_count_);
    out += fmt::format("signet_token_sign_seconds_sum {}\n", latency_sum_);
    out += fmt::format("signet_token_sign_seconds_count {}\n", latency_count_);
    process_figures(out, started_);
    return out;
}

} // namespace signet::app
