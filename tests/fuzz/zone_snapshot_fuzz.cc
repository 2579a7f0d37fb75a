// Feeds arbitrary bytes to the zone snapshot reader (the signer's state in
// DIR/signed/): a damaged snapshot must be refused or read into a zone that
// keeps the model's invariants, which writing it out and looking names up
// in it would trip over; never a crash.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <signet/dns/zone.h>
#include <signet/dns/zone_snapshot.h>
#include <signet/dns/zone_writer.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace signet::dns;
    static const Name origin = *Name::from_text("example.");
    auto zone = ZoneSnapshot::read(std::string_view(reinterpret_cast<const char*>(data), size), origin);
    if (!zone)
        return 0;
    (void)zone_to_text(*zone);
    for (size_t i = 0; i < zone->size(); i = zone->owner_end(i)) {
        auto found = zone->find((*zone)[i].owner(), (*zone)[i].type(), (*zone)[i].covers());
        if (!found || found->index() != i)
            std::abort();
    }
    return 0;
}
