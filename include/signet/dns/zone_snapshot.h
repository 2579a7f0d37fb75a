// A Zone in a binary form that loads at the speed of the disk: its three
// arenas as they are in memory, after a small header. Meant for a zone this
// program wrote itself and reads back on the same machine (the signer's
// last version in the state dir), not for exchange: the byte order and the
// slot layout are the machine's, and a snapshot of another layout is
// refused. Reading checks every offset and name, so a damaged file is an
// error, never a crash or a zone that breaks its own invariants; the caller
// adds a checksum for damage that keeps the structure intact.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include <signet/base/error.h>
#include <signet/dns/zone.h>

namespace signet::dns {

class ZoneSnapshot {
public:
    using Sink = std::function<Result<void>(std::string_view)>;
    // Reads exactly `size` bytes into `into`, or fails.
    using Source = std::function<Result<void>(char* into, size_t size)>;

    static Result<void> write(const Zone& zone, const Sink& sink);
    // `available`: how many bytes the source holds at most, so that a damaged
    // size field cannot ask for more memory than the file could fill.
    static Result<Zone> read(const Source& source, uint64_t available, const Name& origin);
    // A snapshot held in memory (a journal entry).
    static Result<Zone> read(std::string_view bytes, const Name& origin);
    static Result<std::string> to_bytes(const Zone& zone);
};

} // namespace signet::dns
