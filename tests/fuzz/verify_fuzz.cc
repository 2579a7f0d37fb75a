// Feeds arbitrary bytes to `signet verify`: the master-file reader, then
// the verifier with signatures on at a fixed time. The verifier reads what
// any signer, or an attacker, wrote; it must report, never crash.
#include <chrono>
#include <cstdint>
#include <string_view>

#include <signet/dns/zone.h>
#include <signet/signer/verify.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace signet;
    static const dns::Name origin = *dns::Name::from_text("example.");
    // Inside the validity of the seeds' signatures, so that inputs near them
    // reach the cryptography rather than stopping at the windows.
    static const TimePoint now = TimePoint(std::chrono::seconds(1795435200)); // 2026-11-23
    std::string_view text(reinterpret_cast<const char*>(data), size);
    // $INCLUDE would read files of the machine; the fuzzer is about the zone.
    if (text.find("$INCLUDE") != std::string_view::npos || text.find("$include") != std::string_view::npos)
        return 0;
    dns::Diagnostics diagnostics;
    diagnostics.max_generated_records = 10'000;
    auto zone = dns::load_zone_text(text, origin, diagnostics, "fuzz");
    if (!zone)
        return 0;
    auto report = signer::verify_zone(*zone, now, { .signatures = true, .threads = 1 });
    (void)report.verdict();
    return 0;
}
