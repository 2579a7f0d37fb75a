// Octet helpers the xfr part's files share (big-endian, RFC 1035 §2.3.2).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace signet::xfr::detail {

inline uint16_t get16(std::string_view wire, size_t at)
{
    return static_cast<uint16_t>((static_cast<uint8_t>(wire[at]) << 8) | static_cast<uint8_t>(wire[at + 1]));
}

inline uint32_t get32(std::string_view wire, size_t at)
{
    return (static_cast<uint32_t>(get16(wire, at)) << 16) | get16(wire, at + 2);
}

inline void put16(std::string& out, uint16_t value)
{
    out += static_cast<char>(value >> 8);
    out += static_cast<char>(value & 0xff);
}

inline void put32(std::string& out, uint32_t value)
{
    put16(out, static_cast<uint16_t>(value >> 16));
    put16(out, static_cast<uint16_t>(value & 0xffff));
}

// TSIG's 48-bit times (RFC 8945 §4.2).
inline void put48(std::string& out, uint64_t value)
{
    for (int shift = 40; shift >= 0; shift -= 8)
        out += static_cast<char>((value >> shift) & 0xff);
}

} // namespace signet::xfr::detail
