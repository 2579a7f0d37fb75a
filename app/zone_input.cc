#include <signet/app/zone_input.h>

#include <algorithm>

namespace signet::app {

dns::Diagnostics zone_read_settings(const enforcer::Policy& policy)
{
    dns::Diagnostics settings;
    settings.include_directories.assign(policy.include_directories.begin(), policy.include_directories.end());
    settings.max_records = policy.max_zone_records;
    settings.max_generated_records = policy.max_generate_records;
    settings.max_total_generated_records = policy.max_generate_records;
    settings.max_line_length = static_cast<size_t>(policy.max_line_length);
    settings.max_input_bytes = policy.max_zone_bytes;
    settings.max_record_bytes = policy.max_zone_bytes;
    return settings;
}

} // namespace signet::app
