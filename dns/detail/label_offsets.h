// Private to the zone model (zone.cc, zone_builder.cc): where the labels of
// a name in wire form start, for code that compares names label by label
// from the right. Nothing here is part of the public API.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace signet::dns::detail {

// Offsets of the length octets of each label of the valid wire form `wire`,
// root excluded (a name has at most 127 labels); returns the count.
inline size_t label_offsets(std::string_view wire, std::array<uint8_t, 128>& offsets)
{
    size_t count = 0;
    for (size_t pos = 0; wire[pos] != '\0'; pos += 1 + static_cast<uint8_t>(wire[pos]))
        offsets[count++] = static_cast<uint8_t>(pos);
    return count;
}

} // namespace signet::dns::detail
