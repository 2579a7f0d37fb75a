#include <signet/dns/zone.h>

#include <algorithm>
#include <array>

#include "detail/label_offsets.h"

namespace signet::dns {

std::string_view role_to_text(Role role)
{
    switch (role) {
    case Role::Authoritative: return "authoritative";
    case Role::Delegation: return "delegation";
    case Role::Glue: return "glue";
    case Role::Occluded: return "occluded";
    }
    return "?";
}

namespace {

using detail::label_offsets;

bool label_equal(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i) {
        auto x = static_cast<uint8_t>(a[i]);
        auto y = static_cast<uint8_t>(b[i]);
        if (x != y && ((x | 0x20) != (y | 0x20) || (x | 0x20) < 'a' || (x | 0x20) > 'z'))
            return false;
    }
    return true;
}

} // namespace

// --- Zone -----------------------------------------------------------------

size_t Zone::lower_bound(NameView owner) const
{
    size_t low = 0;
    size_t high = slots_.size();
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (owner_at(slots_[middle].owner) < owner)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

std::optional<RRsetView> Zone::find(NameView owner, RRType type, uint16_t covers) const
{
    size_t i = lower_bound(owner);
    if (i == slots_.size() || owner_at(slots_[i].owner) != owner)
        return std::nullopt;
    // The RRsets of one owner share its name in the arena.
    for (const uint32_t at = slots_[i].owner; i < slots_.size() && slots_[i].owner == at; ++i) {
        if (slots_[i].type == static_cast<uint16_t>(type) && slots_[i].covers == covers)
            return rrset(i);
    }
    return std::nullopt;
}

size_t Zone::owner_end(size_t index) const
{
    // The RRsets of one owner share its name in the arena.
    const uint32_t at = slots_[index].owner;
    size_t end = index + 1;
    while (end < slots_.size() && slots_[end].owner == at)
        ++end;
    return end;
}

size_t Zone::owner_begin(size_t index) const
{
    const uint32_t at = slots_[index].owner;
    while (index > 0 && slots_[index - 1].owner == at)
        --index;
    return index;
}

bool serial_greater(uint32_t a, uint32_t b)
{
    return (a < b && b - a > 0x80000000u) || (a > b && a - b < 0x80000000u);
}

uint32_t soa_serial(std::string_view rdata)
{
    size_t offset = 0;
    // Skip MNAME and RNAME (uncompressed; the layout was checked).
    for (int names = 0; names < 2; ++names) {
        while (rdata[offset] != 0)
            offset += 1 + static_cast<uint8_t>(rdata[offset]);
        ++offset;
    }
    uint32_t serial = 0;
    for (int i = 0; i < 4; ++i)
        serial = (serial << 8) | static_cast<uint8_t>(rdata[offset + i]);
    return serial;
}

uint32_t Zone::serial() const { return soa_serial(soa().rdata(0)); }

std::vector<NameView> Zone::cuts() const
{
    std::vector<NameView> out;
    for (const Slot& slot : slots_) {
        if (slot.role == Role::Delegation)
            out.push_back(owner_at(slot.owner));
    }
    return out;
}

std::vector<NameView> Zone::empty_non_terminals() const
{
    // In canonical order every name's subtree is one contiguous run that
    // starts with the name itself. So an ancestor A of owner O is empty
    // exactly when it is not also an ancestor (or the name) of the owner
    // before O: had A owned data, or had an earlier owner been below A, the
    // owner just before O would be A or below A. Those ancestors are O's
    // suffixes with more labels than O shares with the previous owner, and
    // they sort between the two, shallowest first.
    std::vector<NameView> out;
    std::array<uint8_t, 128> offsets;
    std::array<uint8_t, 128> previous_offsets;
    NameView previous = origin_;
    size_t previous_count = label_offsets(previous.wire(), previous_offsets);
    const size_t origin_labels = previous_count;
    for (size_t i = 0; i < slots_.size(); i = owner_end(i)) {
        NameView owner = owner_at(slots_[i].owner);
        size_t count = label_offsets(owner.wire(), offsets);
        size_t common = 0;
        while (common < count && common < previous_count) {
            size_t a = offsets[count - 1 - common];
            size_t b = previous_offsets[previous_count - 1 - common];
            std::string_view label_a = owner.wire().substr(a + 1, static_cast<uint8_t>(owner.wire()[a]));
            std::string_view label_b = previous.wire().substr(b + 1, static_cast<uint8_t>(previous.wire()[b]));
            if (!label_equal(label_a, label_b))
                break;
            ++common;
        }
        for (size_t labels = std::max(common, origin_labels) + 1; labels < count; ++labels)
            out.push_back(NameView::from_valid_wire(owner.wire().substr(offsets[count - labels])));
        previous = owner;
        previous_offsets = offsets;
        previous_count = count;
    }
    return out;
}

size_t Zone::memory_usage() const
{
    return names_.capacity() + rdata_.capacity() + slots_.capacity() * sizeof(Slot) + origin_.wire().capacity();
}

} // namespace signet::dns
