// Feeds arbitrary bytes to the master-file reader and the zone checks, then
// writes what was accepted and reads it back: the reader must never crash,
// and whatever it accepts must survive a round trip through the writer.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <signet/dns/zone.h>
#include <signet/dns/zone_writer.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace signet::dns;
    static const Name origin = *Name::from_text("example.");
    std::string_view text(reinterpret_cast<const char*>(data), size);
    // $INCLUDE would read files of the machine; the fuzzer is about parsing.
    if (text.find("$INCLUDE") != std::string_view::npos || text.find("$include") != std::string_view::npos)
        return 0;
    Diagnostics diagnostics;
    // Millions of $GENERATE records are valid but make one input take
    // seconds; the fuzzer looks for crashes, not for slow big zones.
    diagnostics.max_generated_records = 10'000;
    auto zone = load_zone_text(text, origin, diagnostics, "fuzz");
    if (!zone)
        return 0;
    std::string written = zone_to_text(*zone);
    Diagnostics again;
    auto reread = load_zone_text(written, origin, again, "rewritten");
    if (!reread || zone_to_text(*reread) != written)
        std::abort();
    return 0;
}
