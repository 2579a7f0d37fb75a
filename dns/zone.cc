#include <signet/dns/zone.h>

#include <algorithm>
#include <cassert>

#include <fmt/format.h>

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

// RFC 4034 §6.2 / RFC 6840 §5.1: only some types lower-case their names in
// canonical form, so only those need a converted copy to sort and compare.
bool canonical_differs(RRType type)
{
    switch (type) {
    case RRType::NS: case RRType::CNAME: case RRType::SOA: case RRType::PTR: case RRType::MX:
    case RRType::RP: case RRType::SRV: case RRType::NAPTR: case RRType::DNAME: case RRType::RRSIG:
        return true;
    default:
        return false;
    }
}

uint16_t covered_type(const Record& record)
{
    if (record.type != RRType::RRSIG || record.rdata.size() < 2)
        return 0;
    return static_cast<uint16_t>((static_cast<uint8_t>(record.rdata[0]) << 8) | static_cast<uint8_t>(record.rdata[1]));
}

std::string rrset_text(const RRset& rrset)
{
    if (rrset.type == RRType::RRSIG)
        return fmt::format("{} RRSIG({})", rrset.owner.to_text(), type_to_text(static_cast<RRType>(rrset.covers)));
    return fmt::format("{} {}", rrset.owner.to_text(), type_to_text(rrset.type));
}

} // namespace

size_t Zone::record_count() const
{
    size_t count = 0;
    for (const auto& rrset : rrsets_)
        count += rrset.rdatas.size();
    return count;
}

size_t Zone::lower_bound(const Name& owner) const
{
    auto it = std::lower_bound(rrsets_.begin(), rrsets_.end(), owner,
                               [](const RRset& rrset, const Name& name) { return rrset.owner < name; });
    return static_cast<size_t>(it - rrsets_.begin());
}

const RRset* Zone::find(const Name& owner, RRType type, uint16_t covers) const
{
    for (size_t i = lower_bound(owner); i < rrsets_.size() && rrsets_[i].owner == owner; ++i) {
        if (rrsets_[i].type == type && rrsets_[i].covers == covers)
            return &rrsets_[i];
    }
    return nullptr;
}

const RRset& Zone::soa() const { return rrsets_[soa_index_]; }

uint32_t Zone::serial() const
{
    const Bytes& rdata = soa().rdatas.front();
    size_t offset = 0;
    // Skip MNAME and RNAME; the reader checked the layout.
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

std::vector<Name> Zone::cuts() const
{
    std::vector<Name> out;
    for (size_t i = 0; i < rrsets_.size(); ++i) {
        if (roles_[i] == Role::Delegation)
            out.push_back(rrsets_[i].owner);
    }
    return out;
}

std::vector<Name> Zone::empty_non_terminals() const
{
    std::vector<Name> owners;
    for (const auto& rrset : rrsets_) {
        if (owners.empty() || !(owners.back() == rrset.owner))
            owners.push_back(rrset.owner);
    }
    std::vector<Name> out;
    for (const auto& owner : owners) {
        if (owner == origin_)
            continue;
        for (Name up = owner.parent(); !(up == origin_) && up.is_subdomain_of(origin_); up = up.parent()) {
            if (std::binary_search(owners.begin(), owners.end(), up))
                break;
            out.push_back(up);
        }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

ZoneBuilder::ZoneBuilder(Name origin)
    : origin_(std::move(origin))
{
}

void ZoneBuilder::add(Record&& record) { records_.push_back(std::move(record)); }

RecordSink ZoneBuilder::sink()
{
    return [this](Record&& record) { add(std::move(record)); };
}

Result<Zone> ZoneBuilder::build(Diagnostics& diag) &&
{
    size_t errors_before = diag.errors.size();
    auto report = [&](const Record& record, std::string message) {
        diag.errors.emplace_back(ErrorCode::Parse, std::move(message), diag.where(record));
    };

    // Sort record indexes by (canonical owner, type, covered type). The
    // owner's canonical key is computed once per run of equal owners, which is
    // how master files usually list records.
    struct Entry {
        uint32_t key;
        uint16_t type;
        uint16_t covers;
        uint32_t record;
    };
    std::vector<Bytes> keys;
    std::vector<Entry> entries;
    entries.reserve(records_.size());
    for (size_t i = 0; i < records_.size(); ++i) {
        const Record& record = records_[i];
        if (!record.owner.is_subdomain_of(origin_)) {
            if (!diag.full())
                report(record, fmt::format("'{}' is outside the zone '{}'", record.owner.to_text(), origin_.to_text()));
            continue;
        }
        if (keys.empty() || !(records_[entries.empty() ? i : entries.back().record].owner == record.owner))
            keys.push_back(record.owner.canonical_key());
        entries.push_back(Entry { static_cast<uint32_t>(keys.size() - 1), static_cast<uint16_t>(record.type),
                                  covered_type(record), static_cast<uint32_t>(i) });
    }
    std::sort(entries.begin(), entries.end(), [&](const Entry& a, const Entry& b) {
        if (a.key != b.key) {
            int c = keys[a.key].compare(keys[b.key]);
            if (c != 0)
                return c < 0;
        }
        if (a.type != b.type)
            return a.type < b.type;
        if (a.covers != b.covers)
            return a.covers < b.covers;
        return a.record < b.record;
    });

    Zone zone;
    zone.origin_ = origin_;
    std::vector<uint32_t> first_record; // per RRset, for messages
    for (size_t start = 0; start < entries.size();) {
        size_t end = start + 1;
        const Entry& head = entries[start];
        while (end < entries.size() && entries[end].type == head.type && entries[end].covers == head.covers
               && (entries[end].key == head.key || keys[entries[end].key] == keys[head.key]))
            ++end;
        Record& first = records_[head.record];
        RRset rrset { first.owner, first.type, head.covers, first.ttl, {} };
        struct Item {
            Bytes canonical; // empty when equal to the original
            Bytes original;
            uint32_t record;
            const Bytes& key() const { return canonical.empty() ? original : canonical; }
        };
        std::vector<Item> items;
        items.reserve(end - start);
        for (size_t k = start; k < end; ++k) {
            Record& record = records_[entries[k].record];
            if (record.ttl != rrset.ttl && record.type != RRType::RRSIG) {
                diag.warnings.emplace_back(
                    ErrorCode::Parse,
                    fmt::format("TTL {} differs from TTL {} of the RRset {}; using {} (RFC 2181 §5.2)", record.ttl,
                                rrset.ttl, rrset_text(rrset), rrset.ttl),
                    diag.where(record));
            }
            Bytes canonical = canonical_differs(record.type) ? rdata_canonical(record.type, record.rdata) : Bytes();
            items.push_back(Item { std::move(canonical), std::move(record.rdata), entries[k].record });
        }
        // RFC 4034 §6.3: RDATA as left-justified unsigned octet strings.
        std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
            if (a.key() != b.key())
                return a.key() < b.key();
            return a.record < b.record;
        });
        std::vector<bool> duplicate(items.size(), false);
        for (size_t k = 1; k < items.size(); ++k) {
            if (items[k].key() == items[k - 1].key()) {
                duplicate[k] = true;
                diag.warnings.emplace_back(ErrorCode::Parse,
                                           fmt::format("duplicate record in {} ignored", rrset_text(rrset)),
                                           diag.where(records_[items[k].record]));
            }
        }
        rrset.rdatas.reserve(items.size());
        for (size_t k = 0; k < items.size(); ++k) {
            if (!duplicate[k])
                rrset.rdatas.push_back(std::move(items[k].original));
        }
        rrset.rdatas.shrink_to_fit();
        zone.rrsets_.push_back(std::move(rrset));
        first_record.push_back(head.record);
        start = end;
    }
    keys = {};
    entries = {};

    // Per owner: SOA, CNAME, DNAME and DS rules, then roles.
    zone.roles_.assign(zone.rrsets_.size(), Role::Authoritative);
    bool have_soa = false;
    bool apex_ns = false;
    std::optional<Name> cut; // the closest enclosing delegation point
    std::optional<Name> dname; // the closest enclosing DNAME owner
    auto& sets = zone.rrsets_;
    for (size_t start = 0; start < sets.size();) {
        size_t end = start + 1;
        while (end < sets.size() && sets[end].owner == sets[start].owner)
            ++end;
        const Name& owner = sets[start].owner;
        const bool apex = owner == origin_;
        bool has_ns = false, has_ds = false;
        std::optional<size_t> cname_index;
        RRType other = RRType::A;
        bool has_other = false; // data that may not stand beside a CNAME
        for (size_t i = start; i < end; ++i) {
            RRType type = sets[i].type;
            const Record& where = records_[first_record[i]];
            if (type == RRType::NS)
                has_ns = true;
            else if (type == RRType::DS)
                has_ds = true;
            else if (type == RRType::CNAME) {
                cname_index = i;
                if (sets[i].rdatas.size() > 1)
                    report(where, fmt::format("more than one CNAME record at '{}'", owner.to_text()));
            } else if (type == RRType::DNAME && sets[i].rdatas.size() > 1) {
                report(where, fmt::format("more than one DNAME record at '{}'", owner.to_text()));
            } else if (type == RRType::SOA) {
                if (!apex)
                    report(where, fmt::format("SOA record at '{}', which is not the zone apex '{}'", owner.to_text(),
                                              origin_.to_text()));
                else if (sets[i].rdatas.size() > 1)
                    report(where, "more than one SOA record at the zone apex");
                else {
                    have_soa = true;
                    zone.soa_index_ = i;
                }
            }
            // RFC 4035 §2.5: RRSIG and NSEC may stand beside a CNAME.
            if (type != RRType::CNAME && type != RRType::RRSIG && type != RRType::NSEC) {
                if (!has_other)
                    other = type;
                has_other = true;
            }
        }
        if (cname_index && has_other)
            report(records_[first_record[*cname_index]],
                   fmt::format("CNAME at '{}' beside other data ({}); RFC 1034 §3.6.2 forbids it", owner.to_text(),
                               type_to_text(other)));
        if (apex)
            apex_ns = has_ns;
        if (has_ds && (apex || !has_ns)) {
            for (size_t i = start; i < end; ++i) {
                if (sets[i].type == RRType::DS)
                    report(records_[first_record[i]],
                           apex ? std::string("DS record at the zone apex: it belongs in the parent zone")
                                : fmt::format("DS record at '{}', which is not a delegation (no NS)", owner.to_text()));
            }
        }

        if (cut && !owner.is_subdomain_of(*cut))
            cut.reset();
        if (dname && !owner.is_subdomain_of(*dname))
            dname.reset();
        const bool below_dname = dname && !(owner == *dname);
        const bool below_cut = cut.has_value(); // strictly below: the cut itself is handled next
        const bool at_cut = !below_cut && !apex && has_ns;
        for (size_t i = start; i < end; ++i) {
            RRType type = sets[i].type;
            bool address = type == RRType::A || type == RRType::AAAA;
            Role role = Role::Authoritative;
            if (below_dname)
                role = Role::Occluded;
            else if (below_cut)
                role = address ? Role::Glue : Role::Occluded;
            else if (at_cut) {
                if (type == RRType::NS)
                    role = Role::Delegation;
                else if (address)
                    role = Role::Glue;
                else if (type != RRType::DS && type != RRType::NSEC && type != RRType::RRSIG)
                    role = Role::Occluded;
            }
            zone.roles_[i] = role;
            if (role == Role::Occluded && !diag.full())
                diag.warnings.emplace_back(
                    ErrorCode::Parse,
                    fmt::format("{} is occluded by the {} at '{}' and will not be served or signed",
                                rrset_text(sets[i]), below_dname ? "DNAME" : "delegation",
                                below_dname ? dname->to_text() : (cut ? cut->to_text() : owner.to_text())),
                    diag.where(records_[first_record[i]]));
        }
        if (at_cut)
            cut = owner;
        if (!dname && !below_cut) {
            for (size_t i = start; i < end; ++i) {
                if (sets[i].type == RRType::DNAME)
                    dname = owner;
            }
        }
        start = end;
    }
    std::string origin_text = origin_.to_text();
    if (!have_soa)
        diag.errors.emplace_back(ErrorCode::Parse, fmt::format("no SOA record at the zone apex '{}'", origin_text),
                                 SourceLocation { diag.files.empty() ? std::string() : diag.files[0], 0, 0 });
    else if (!apex_ns)
        diag.errors.emplace_back(ErrorCode::Parse, fmt::format("no NS records at the zone apex '{}'", origin_text),
                                 SourceLocation { diag.files.empty() ? std::string() : diag.files[0], 0, 0 });

    records_ = {};
    if (diag.errors.size() > errors_before) {
        if (diag.errors.size() > diag.max_errors)
            diag.errors.erase(diag.errors.begin() + static_cast<std::ptrdiff_t>(diag.max_errors), diag.errors.end());
        return fail(diag.errors[errors_before]);
    }
    return zone;
}

Result<Zone> load_zone_file(const std::filesystem::path& path, const Name& origin, Diagnostics& diagnostics)
{
    ZoneBuilder builder(origin);
    if (!read_master_file(path, origin, builder.sink(), diagnostics))
        return fail(diagnostics.errors.front());
    return std::move(builder).build(diagnostics);
}

Result<Zone> load_zone_text(std::string_view text, const Name& origin, Diagnostics& diagnostics, std::string label)
{
    ZoneBuilder builder(origin);
    if (!read_master_text(text, std::move(label), origin, builder.sink(), diagnostics))
        return fail(diagnostics.errors.front());
    return std::move(builder).build(diagnostics);
}

} // namespace signet::dns
