// Writes zones as master files: the SOA (and its signatures) first, then
// canonical order; one RR per line, absolute owner names, class IN, no
// directives, so any tool can load, diff and read them.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include <signet/base/error.h>
#include <signet/dns/zone.h>

namespace signet::dns {

// Appends "owner TTL IN TYPE RDATA\n".
void append_record(std::string& out, NameView owner, uint32_t ttl, RRType type, std::string_view rdata);

std::string zone_to_text(const Zone& zone);
// Streams the master-file text to `sink` in chunks, in order; a large zone's
// text is formatted on `threads` threads (0: one per core).
Result<void> write_zone_text(const Zone& zone, const std::function<Result<void>(std::string_view)>& sink,
                             unsigned threads = 1);
// Replaces `path` atomically; on error the old file stays as it was.
Result<void> write_zone_file(const Zone& zone, const std::filesystem::path& path);

} // namespace signet::dns
