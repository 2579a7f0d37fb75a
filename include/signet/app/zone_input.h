// How a policy's zone-input keys (include-directories, max-zone-records, ...)
// become the settings of a zone file read.
#pragma once

#include <signet/dns/zone_reader.h>
#include <signet/enforcer/policy.h>

namespace signet::app {

// Read settings for an unsigned zone signed under `policy`.
dns::Diagnostics zone_read_settings(const enforcer::Policy& policy);

} // namespace signet::app
