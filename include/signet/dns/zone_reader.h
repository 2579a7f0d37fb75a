// The RFC 1035 master-file reader: directives ($ORIGIN, $TTL, $INCLUDE and
// BIND's $GENERATE), owner inheritance, parentheses, comments, quoted strings,
// TTL units, class IN. It streams: records go to a sink as they are read, so
// memory beyond what the sink keeps stays bounded by the longest entry, and
// it allocates nothing per record: the sink gets views of reused buffers.
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

// One resource record as read: a view of the reader's buffers, valid only
// during the sink call that receives it (copy what you keep). `file` indexes
// Diagnostics::files and `line` is where the record starts, so later checks
// can name the place.
struct RecordView {
    NameView owner;
    RRType type = RRType::A;
    uint32_t ttl = 0;
    std::string_view rdata; // wire form, at most 65535 octets
    uint16_t file = 0;
    uint32_t line = 0;
};

// Errors and warnings of one read, each with file:line:column, and the
// limits of the read. Reading stops after `max_errors` errors.
struct Diagnostics {
    std::vector<Error> errors;
    std::vector<Error> warnings;
    std::vector<std::string> files; // RecordView::file indexes this
    size_t max_errors = 10;
    // The most records one $GENERATE may make (a typo in a range should not
    // make a zone of billions of records).
    uint64_t max_generated_records = 10'000'000;

    bool full() const { return errors.size() >= max_errors; }
    // The place of a record: its file and line (column unknown).
    SourceLocation where(uint16_t file, uint32_t line) const;
};

// Receives each record as it is read.
using RecordSink = std::function<void(const RecordView&)>;

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
