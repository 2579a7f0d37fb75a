// The RFC 1035 master-file reader: directives ($ORIGIN, $TTL, $INCLUDE and
// BIND's $GENERATE), owner inheritance, parentheses, comments, quoted strings,
// TTL units, class IN. It streams: records go to a sink as they are read, so
// memory beyond what the sink keeps stays bounded by the longest entry.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <signet/base/error.h>
#include <signet/dns/name.h>
#include <signet/dns/rdata.h>

namespace signet::dns {

// One resource record as read, with where it came from (index into
// Diagnostics::files, and line) so later checks can name the place.
struct Record {
    Name owner;
    RRType type = RRType::A;
    uint32_t ttl = 0;
    Bytes rdata;
    uint16_t file = 0;
    uint32_t line = 0;
};

// Errors and warnings of one read, each with file:line:column. Reading stops
// after `max_errors` errors.
struct Diagnostics {
    std::vector<Error> errors;
    std::vector<Error> warnings;
    std::vector<std::string> files; // Record::file indexes this
    size_t max_errors = 10;

    bool full() const { return errors.size() >= max_errors; }
    SourceLocation where(const Record& record) const;
};

using RecordSink = std::function<void(Record&&)>;

// Reads `path` (and what it includes) with `origin` as the initial $ORIGIN.
// Returns false when there were errors (see `diagnostics`).
bool read_master_file(const std::filesystem::path& path, const Name& origin, const RecordSink& sink,
                      Diagnostics& diagnostics);

// The same for text in memory; `label` names it in messages and $INCLUDE
// paths are taken relative to the current directory.
bool read_master_text(std::string_view text, std::string label, const Name& origin, const RecordSink& sink,
                      Diagnostics& diagnostics);

// Parses a TTL: decimal seconds or units, "1w2d3h4m5s" (any case), at most
// 2^31 - 1 (RFC 2181 §8).
Result<uint32_t> parse_ttl(std::string_view text);

} // namespace signet::dns
