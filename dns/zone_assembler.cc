#include <signet/dns/zone_assembler.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include <fmt/format.h>

namespace signet::dns {

std::strong_ordering compare_rrsets(RRsetView a, RRsetView b)
{
    if (auto owners = a.owner() <=> b.owner(); owners != 0)
        return owners;
    if (auto types = static_cast<uint16_t>(a.type()) <=> static_cast<uint16_t>(b.type()); types != 0)
        return types;
    return a.covers() <=> b.covers();
}

ZoneAssembler::ZoneAssembler(Name origin) { zone_.origin_ = std::move(origin); }

void ZoneAssembler::reserve(size_t rrsets, size_t rdata_bytes)
{
    zone_.slots_.reserve(rrsets);
    zone_.rdata_.reserve(rdata_bytes);
}

void ZoneAssembler::begin_rrset(NameView owner, RRType type, uint16_t covers, uint32_t ttl, Role role)
{
    // The order is checked here, one comparison per RRset, against the
    // RRset before: no second pass over the zone in finish().
    const std::strong_ordering owners = last_owner_ ? owner <=> zone_.owner_at(*last_owner_)
                                                    : std::strong_ordering::greater;
    if (!zone_.slots_.empty() && !problem_) {
        const Zone::Slot& last = zone_.slots_.back();
        if (last.count == 0)
            problem_ = fmt::format("an RRset of '{}' has no record", zone_.owner_at(last.owner).to_text());
        else if (owners < 0 || (owners == 0 && std::pair(static_cast<uint16_t>(type), covers) <= std::pair(last.type, last.covers)))
            problem_ = fmt::format("RRsets of '{}' out of canonical order", owner.to_text());
    }
    if (owners != 0) {
        last_owner_ = static_cast<uint32_t>(zone_.names_.size());
        zone_.names_.push_back(static_cast<char>(owner.wire().size()));
        zone_.names_.insert(zone_.names_.end(), owner.wire().begin(), owner.wire().end());
        ++zone_.owner_count_;
    }
    Zone::Slot slot {};
    slot.owner = *last_owner_;
    slot.ttl = ttl;
    slot.count = 0;
    const uint64_t at = zone_.rdata_.size();
    slot.rdata_low = static_cast<uint32_t>(at);
    slot.rdata_high = static_cast<uint16_t>(at >> 32);
    slot.type = static_cast<uint16_t>(type);
    slot.covers = covers;
    slot.role = role;
    if (type == RRType::SOA && owner == zone_.origin_)
        zone_.soa_index_ = zone_.slots_.size();
    zone_.slots_.push_back(slot);
}

uint64_t ZoneAssembler::add_rdata(std::string_view rdata)
{
    zone_.rdata_.push_back(static_cast<char>(rdata.size() >> 8));
    zone_.rdata_.push_back(static_cast<char>(rdata.size() & 0xff));
    const uint64_t at = zone_.rdata_.size();
    zone_.rdata_.insert(zone_.rdata_.end(), rdata.begin(), rdata.end());
    ++zone_.slots_.back().count;
    ++zone_.record_count_;
    return at;
}

void ZoneAssembler::write_at(uint64_t offset, std::string_view bytes)
{
    std::memcpy(zone_.rdata_.data() + offset, bytes.data(), bytes.size());
}

void ZoneAssembler::sort_rrset(size_t index)
{
    const uint64_t begin = zone_.slots_[index].rdata();
    std::vector<std::string> rrs;
    for (std::string_view rdata : zone_.rrset(index).rdatas())
        rrs.emplace_back(rdata);
    std::sort(rrs.begin(), rrs.end());
    uint64_t at = begin;
    for (const auto& rdata : rrs) {
        zone_.rdata_[at] = static_cast<char>(rdata.size() >> 8);
        zone_.rdata_[at + 1] = static_cast<char>(rdata.size() & 0xff);
        std::memcpy(zone_.rdata_.data() + at + 2, rdata.data(), rdata.size());
        at += 2 + rdata.size();
    }
}

Result<Zone> ZoneAssembler::finish() &&
{
    if (!problem_ && !zone_.slots_.empty() && zone_.slots_.back().count == 0)
        problem_ = fmt::format("an RRset of '{}' has no record", zone_.owner_at(zone_.slots_.back().owner).to_text());
    if (problem_)
        return fail(ErrorCode::Internal, fmt::format("assembled zone '{}': {}", zone_.origin_.to_text(), *problem_));
    return std::move(zone_);
}

namespace {

// Adds to `out` the RRs of `rrset` that `other` (the same RRset in the
// other version, if any) does not have; both hold RRs in canonical order.
void add_missing(ZoneAssembler& out, RRsetView rrset, std::optional<RRsetView> other, size_t& count)
{
    bool begun = false;
    auto theirs = other ? other->rdatas().begin() : RdataRange::iterator();
    auto theirs_end = other ? other->rdatas().end() : RdataRange::iterator();
    for (std::string_view rdata : rrset.rdatas()) {
        // Same TTL or not, a change of TTL replaces the whole RRset.
        bool present = false;
        if (other && other->ttl() == rrset.ttl()) {
            while (theirs != theirs_end && *theirs < rdata)
                ++theirs;
            present = theirs != theirs_end && *theirs == rdata;
        }
        if (present)
            continue;
        if (!begun) {
            out.begin_rrset(rrset.owner(), rrset.type(), rrset.covers(), rrset.ttl(), rrset.role());
            begun = true;
        }
        out.add_rdata(rdata);
        ++count;
    }
}

} // namespace

std::optional<ZoneDiff> diff_zones(const Zone& from, const Zone& to, size_t limit)
{
    ZoneAssembler removed(to.origin());
    ZoneAssembler added(to.origin());
    size_t count = 0;
    size_t i = 0, j = 0;
    while (i < from.size() || j < to.size()) {
        std::strong_ordering order = i == from.size() ? std::strong_ordering::greater
                                     : j == to.size() ? std::strong_ordering::less
                                                      : compare_rrsets(from[i], to[j]);
        if (order < 0) {
            add_missing(removed, from[i++], std::nullopt, count);
        } else if (order > 0) {
            add_missing(added, to[j++], std::nullopt, count);
        } else {
            add_missing(removed, from[i], to[j], count);
            add_missing(added, to[j], from[i], count);
            ++i;
            ++j;
        }
        if (count > limit)
            return std::nullopt;
    }
    auto removed_zone = std::move(removed).finish();
    auto added_zone = std::move(added).finish();
    if (!removed_zone || !added_zone)
        return std::nullopt; // inputs out of order: not zones a diff is made of
    return ZoneDiff { std::move(*removed_zone), std::move(*added_zone) };
}

} // namespace signet::dns
