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
// settings of the read: where $INCLUDE may read from, and the limits that
// keep a hostile or mistaken zone file from taking unbounded memory or time.
// The defaults fit a large TLD; a hoster reading customers' files sets
// tighter ones. Reading stops after `max_errors` errors or at the first limit
// reached.
struct Diagnostics {
    std::vector<Error> errors;
    std::vector<Error> warnings;
    std::vector<std::string> files; // RecordView::file indexes this (escaped for messages)
    size_t max_errors = 10;
    // Warnings kept; later ones are only counted in `omitted_warnings` (a zone
    // of millions of duplicates would otherwise keep millions of messages).
    size_t max_warnings = 1000;
    size_t omitted_warnings = 0;
    // Records whose TTL differed from their RRset's and was replaced by it
    // (RFC 2181 §5.2), all counted, warned of or not. In a signed zone such
    // an RRset is not what was signed, whatever TTL a server picks.
    size_t differing_ttls = 0;

    // $INCLUDE reads only regular files below the directory of the file
    // being read at the top (compared as real paths, so neither ".." nor a
    // symbolic link leads out) or below one of these directories. Text read
    // from memory has no directory of its own: it may include only from
    // these.
    std::vector<std::filesystem::path> include_directories;
    // The most records one $GENERATE may make (a typo in a range should not
    // make a zone of billions of records), and all $GENERATEs of the read
    // together (so that two large ones cannot add up).
    uint64_t max_generated_records = 10'000'000;
    uint64_t max_total_generated_records = 10'000'000;
    // The most records the read may produce, generated ones included.
    uint64_t max_records = 100'000'000;
    // The longest line, and the longest entry (lines joined by parentheses).
    // The largest legal record, 65535 octets of RDATA written as \DDD
    // escapes, takes about 256 KiB.
    size_t max_line_length = size_t(1) << 20;
    // The most octets of text read, over the file and all it includes.
    uint64_t max_input_bytes = uint64_t(8) << 30;
    // The most octets of owner names and RDATA in wire form the read may
    // produce: what bounds the memory of whoever keeps the records, since a
    // short line ("@ NS @", a $GENERATE) can stand for many octets.
    uint64_t max_record_bytes = uint64_t(8) << 30;

    // Settings for reading back a file Signet wrote itself (the signed
    // zone, checked before it is published): no include, and no limit but
    // memory, since it holds several times the records of its input.
    static Diagnostics for_own_output();

    bool full() const { return errors.size() >= max_errors; }
    // Adds a warning, or counts it once `max_warnings` are kept.
    void warn(Error warning);
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
// paths are taken relative to the current directory (and allowed only below
// `diagnostics.include_directories`).
bool read_master_text(std::string_view text, std::string label, const Name& origin, const RecordSink& sink,
                      Diagnostics& diagnostics);

// Parses a TTL: decimal seconds or units, "1w2d3h4m5s" (any case), at most
// 2^31 - 1 (RFC 2181 §8).
Result<uint32_t> parse_ttl(std::string_view text);

} // namespace signet::dns
