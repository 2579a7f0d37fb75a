#include <signet/signer/signer.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_set>

#include <fmt/format.h>

#include <signet/crypto/dnssec.h>
#include <signet/dns/zone_writer.h>

#include "detail/canonical.h"

namespace signet::signer {

using dns::Name;
using dns::Role;
using dns::RRType;
using namespace detail;

namespace {

// Types the signer makes itself; the input's copies are dropped. An apex
// ZONEMD (RFC 8976) would no longer match the signed zone, so it goes too.
bool replaced_type(RRType type, bool apex)
{
    switch (type) {
    case RRType::RRSIG:
    case RRType::NSEC:
    case RRType::NSEC3: return true;
    case RRType::DNSKEY:
    case RRType::CDS:
    case RRType::CDNSKEY:
    case RRType::NSEC3PARAM:
    case RRType::ZONEMD: return apex;
    default: return false;
    }
}

enum class OwnerKind : uint8_t { Apex, Authoritative, Delegation, Below };

// One owner name of the input zone: its RRsets (index range) and what it is.
struct Owner {
    size_t first = 0;
    size_t last = 0; // one past
    OwnerKind kind = OwnerKind::Authoritative;
    bool has_ds = false;
    bool kept = false; // has RRsets that are not replaced
};

// One RRset of the signed zone, before it goes into the assembler.
struct Out {
    RRType type = RRType::A;
    uint32_t ttl = 0;
    dns::Role role = dns::Role::Authoritative;
    std::vector<std::string_view> rdatas; // canonical order
    bool sign = false;
    bool keyset = false; // signed by the KSK/CSK
};

struct Nsec3Entry {
    crypto::Nsec3Hash hash;
    Bytes bitmap;
    dns::NameView name; // for messages
};

struct SigningKey {
    const PlannedKey* planned;
    uint16_t tag;
    size_t signature_size = 0; // of a signing key
    bool reusable = false; // its signatures in the previous version may be kept
    std::optional<crypto::PublicKey> verifier; // Verification::Full: checks each new signature
};

// A signature to make: its place in the assembled zone and what it covers.
struct Job {
    size_t rrset; // the covered RRset's index in the assembled zone
    uint64_t at; // where its RRSIG RDATA starts
    uint32_t prefix; // RDATA bytes before the signature
    uint32_t key;
};

class Signer {
public:
    Signer(const dns::Zone& zone, const dns::Zone* previous, const SigningPlan& plan, const TokenSource& token,
           TimePoint now)
        : zone_(zone)
        , previous_(previous)
        , plan_(plan)
        , token_(token)
        , now_(now)
        , apex_(zone.origin())
        , apex_canonical_(apex_.lowercased().wire())
        , out_(zone.origin())
    {
    }

    Result<SignedVersion> run()
    {
        SIGNET_TRY(prepare_keys());
        scan_owners();
        prepare_apex();
        if (plan_.nsec3)
            SIGNET_TRY(build_nsec3());
        else
            collect_nsec_owners();
        out_.reserve(zone_.size() * 2 + nsec3_.size() * 2 + 8,
                     previous_ ? previous_->memory_usage() : zone_.memory_usage() * 3);
        assemble();
        changed_ |= previous_rrsets_ != matched_rrsets_;
        settle_soa();
        SIGNET_TRY(make_signatures());
        for (size_t index : unsorted_)
            out_.sort_rrset(index);

        SignedVersion version;
        version.zone = SIGNET_TRY(std::move(out_).finish());
        version.changed = changed_;
        stats_.signatures = jobs_.size();
        stats_.earliest_expiration = earliest_expiration(version.zone);
        version.next_work = stats_.earliest_expiration - plan_.refresh;
        if (previous_ && changed_)
            version.changes = dns::diff_zones(*previous_, version.zone, version.zone.record_count());
        version.stats = std::move(stats_);
        return version;
    }

private:
    Result<void> prepare_keys()
    {
        bool keyset = false, zone = false;
        std::map<std::pair<uint8_t, uint16_t>, int> signers; // (algorithm, tag) of signing keys
        for (const auto& key : plan_.keys) {
            SigningKey k { &key, crypto::key_tag(key.dnskey) };
            if (key.signs_keyset || key.signs_zone) {
                // Its signatures' size, known before they are made: their
                // place in the zone is taken when the zone is assembled.
                auto public_key = crypto::PublicKey::from_dnskey(key.dnskey);
                if (!public_key)
                    return fail(public_key.error().with_context(fmt::format("key {}", k.tag)));
                k.signature_size = public_key->signature_size();
                if (plan_.verification == Verification::Full)
                    k.verifier = std::move(*public_key);
                ++signers[{ static_cast<uint8_t>(key.algorithm), k.tag }];
            }
            keyset |= key.signs_keyset;
            zone |= key.signs_zone;
            if (key.publish)
                dnskeys_.push_back(key.dnskey);
            keys_.push_back(std::move(k));
        }
        if (!keyset || !zone)
            return fail(ErrorCode::Dnssec, fmt::format("the signing plan for '{}' has no key to sign the {}",
                                                       apex_.to_text(), keyset ? "zone" : "DNSKEY RRset"));
        std::sort(dnskeys_.begin(), dnskeys_.end());
        if (!previous_)
            return {};
        // A signature names its key by algorithm and tag only. It is kept
        // only when that names one key in the previous DNSKEY RRset, the
        // same key, and one signing key now.
        std::map<std::pair<uint8_t, uint16_t>, std::vector<std::string_view>> published;
        if (auto old = previous_->find(apex_, RRType::DNSKEY)) {
            for (std::string_view rdata : old->rdatas()) {
                if (rdata.size() > 4)
                    published[{ static_cast<uint8_t>(rdata[3]), crypto::key_tag(rdata) }].push_back(rdata);
            }
        }
        for (auto& key : keys_) {
            const std::pair<uint8_t, uint16_t> id { static_cast<uint8_t>(key.planned->algorithm), key.tag };
            auto old = published.find(id);
            key.reusable = old != published.end() && old->second.size() == 1 && old->second[0] == key.planned->dnskey
                           && signers[id] == 1;
        }
        // Two signing keys with one tag: their signatures' order is known
        // only once they are made.
        tag_clash_ = std::any_of(signers.begin(), signers.end(), [](const auto& s) { return s.second > 1; });
        return {};
    }

    void scan_owners()
    {
        for (size_t start = 0; start < zone_.size();) {
            const size_t end = zone_.owner_end(start);
            Owner owner { start, end };
            const bool apex = zone_[start].owner() == apex_;
            bool delegation = false, authoritative = false;
            for (size_t i = start; i < end; ++i) {
                if (replaced_type(zone_[i].type(), apex)) {
                    stats_.replaced_records += zone_[i].size();
                    continue;
                }
                owner.kept = true;
                Role role = zone_[i].role();
                delegation |= role == Role::Delegation;
                authoritative |= role == Role::Authoritative;
                owner.has_ds |= zone_[i].type() == RRType::DS;
            }
            owner.kind = apex ? OwnerKind::Apex
                              : delegation ? OwnerKind::Delegation
                                           : authoritative ? OwnerKind::Authoritative : OwnerKind::Below;
            if (owner.kept)
                owners_.push_back(owner);
            start = end;
        }
        if (stats_.replaced_records > 0)
            stats_.warnings.push_back(fmt::format(
                "{} records of the input (RRSIG, NSEC, NSEC3, and DNSKEY, CDS, CDNSKEY, NSEC3PARAM, ZONEMD at the "
                "apex) were replaced or dropped",
                stats_.replaced_records));
    }

    uint32_t denial_ttl() const
    {
        // RFC 9077: the lesser of the SOA TTL and the SOA MINIMUM.
        std::string_view rdata = soa_rdata_;
        return std::min(soa_ttl_, read_u32(rdata, rdata.size() - 4));
    }

    void prepare_apex()
    {
        dns::RRsetView s = zone_.soa();
        soa_rdata_ = *s.rdatas().begin();
        serial_at_ = soa_rdata_.size() - 20;
        input_serial_ = read_u32(soa_rdata_, serial_at_);
        new_serial_ = next_serial(plan_.serial, input_serial_, plan_.last_serial, now_.time_since_epoch().count());
        set_serial(soa_rdata_, new_serial_);
        if (plan_.soa_minimum) {
            Bytes minimum;
            put_u32(minimum, *plan_.soa_minimum);
            soa_rdata_.replace(soa_rdata_.size() - 4, 4, minimum);
        }
        soa_ttl_ = plan_.soa_ttl.value_or(s.ttl());
        cds_ = plan_.cds;
        cdnskey_ = plan_.cdnskey;
        std::sort(cds_.begin(), cds_.end());
        std::sort(cdnskey_.begin(), cdnskey_.end());
        if (plan_.nsec3) {
            Bytes rdata;
            put_u16(rdata, static_cast<uint16_t>(1u << 8)); // SHA-1, flags 0
            put_u16(rdata, plan_.nsec3->iterations);
            rdata.push_back(static_cast<char>(plan_.nsec3->salt.size()));
            rdata += plan_.nsec3->salt;
            nsec3param_.push_back(std::move(rdata));
        }
    }

    void set_serial(Bytes& soa, uint32_t serial) const
    {
        Bytes bytes;
        put_u32(bytes, serial);
        soa.replace(serial_at_, 4, bytes);
    }

    // The types a denial record lists for `owner` (RFC 4034 §4.1.2,
    // RFC 5155 §3.2.1): data that is served from this zone at that name.
    std::vector<RRType> owner_types(const Owner& owner, bool with_nsec) const
    {
        std::vector<RRType> types;
        bool apex = owner.kind == OwnerKind::Apex;
        bool signed_data = false;
        for (size_t i = owner.first; i < owner.last; ++i) {
            dns::RRsetView rrset = zone_[i];
            Role role = rrset.role();
            if (replaced_type(rrset.type(), apex) || role == Role::Glue || role == Role::Occluded)
                continue;
            types.push_back(rrset.type());
            signed_data |= role == Role::Authoritative;
        }
        if (apex) {
            types.push_back(RRType::DNSKEY);
            if (!cds_.empty())
                types.push_back(RRType::CDS);
            if (!cdnskey_.empty())
                types.push_back(RRType::CDNSKEY);
            if (plan_.nsec3)
                types.push_back(RRType::NSEC3PARAM);
            signed_data = true;
        }
        if (with_nsec) {
            types.push_back(RRType::NSEC);
            signed_data = true;
        }
        if (signed_data)
            types.push_back(RRType::RRSIG);
        return types;
    }

    void collect_nsec_owners()
    {
        for (size_t i = 0; i < owners_.size(); ++i) {
            if (owners_[i].kind != OwnerKind::Below)
                nsec_owners_.push_back(i);
        }
    }

    // Whether `name` owns RRsets of the input that the signed zone keeps.
    bool owns_kept_data(dns::NameView name) const
    {
        auto it = std::lower_bound(owners_.begin(), owners_.end(), name,
                                   [&](const Owner& owner, dns::NameView n) { return zone_[owner.first].owner() < n; });
        return it != owners_.end() && zone_[it->first].owner() == name;
    }

    Result<void> build_nsec3()
    {
        const Nsec3Params& params = *plan_.nsec3;
        crypto::Nsec3Hasher hasher(params.salt, params.iterations);
        std::unordered_set<Bytes> ents; // lower-cased wire
        for (const Owner& owner : owners_) {
            if (owner.kind == OwnerKind::Below)
                continue;
            if (owner.kind == OwnerKind::Delegation && params.opt_out && !owner.has_ds)
                continue; // RFC 5155 §6: covered by an opt-out span
            dns::NameView name = zone_[owner.first].owner();
            nsec3_.push_back(Nsec3Entry { hasher.hash(name), dns::type_bitmap_to_wire(owner_types(owner, false)), name });
            for (dns::NameView up = name.parent(); !(up == apex_) && up.is_subdomain_of(apex_); up = up.parent()) {
                if (owns_kept_data(up) || !ents.insert(up.lowercased().wire()).second)
                    break;
                ent_names_.push_back(up);
            }
        }
        for (dns::NameView name : ent_names_)
            nsec3_.push_back(Nsec3Entry { hasher.hash(name), Bytes(), name });
        std::sort(nsec3_.begin(), nsec3_.end(), [](const auto& a, const auto& b) { return a.hash < b.hash; });
        for (size_t i = 1; i < nsec3_.size(); ++i) {
            if (nsec3_[i].hash == nsec3_[i - 1].hash)
                return fail(ErrorCode::Dnssec,
                            fmt::format("NSEC3 hash collision between '{}' and '{}'; choose another salt",
                                        nsec3_[i].name.to_text(), nsec3_[i - 1].name.to_text()));
        }
        // The hashed owner names, one after another in one buffer: a
        // 32-character label (20 octets in base32hex) before the apex.
        constexpr size_t label_size = (crypto::Nsec3Hash::size * 8 + 4) / 5;
        const std::string_view apex = apex_.wire();
        const size_t each = 1 + label_size + apex.size();
        if (each > dns::Name::max_wire_length)
            return fail(ErrorCode::Dnssec, fmt::format("the zone name '{}' is too long for NSEC3: its hashed owner "
                                                       "names would exceed {} octets; use NSEC",
                                                       apex_.to_text(), dns::Name::max_wire_length));
        nsec3_owners_.resize(nsec3_.size() * each);
        nsec3_names_.reserve(nsec3_.size());
        char* at = nsec3_owners_.data();
        for (const auto& entry : nsec3_) {
            const std::string label = dns::to_base32hex(entry.hash.view(), HexCase::Lower);
            at[0] = static_cast<char>(label_size);
            std::copy(label.begin(), label.end(), at + 1);
            std::copy(apex.begin(), apex.end(), at + 1 + label_size);
            nsec3_names_.push_back(dns::NameView::from_valid_wire(std::string_view(at, each)));
            at += each;
        }
        return {};
    }

    Bytes nsec3_rdata(size_t index) const
    {
        const Nsec3Params& params = *plan_.nsec3;
        Bytes rdata;
        rdata.push_back(1); // SHA-1
        rdata.push_back(params.opt_out ? 1 : 0);
        put_u16(rdata, params.iterations);
        rdata.push_back(static_cast<char>(params.salt.size()));
        rdata += params.salt;
        const std::string_view next = nsec3_[(index + 1) % nsec3_.size()].hash.view();
        rdata.push_back(static_cast<char>(next.size()));
        rdata += next;
        rdata += nsec3_[index].bitmap;
        return rdata;
    }

    // The RRsets the signed zone has at one input owner: what the input has
    // there (less what the signer replaces) and what the signer adds.
    void owner_rrsets(size_t index, size_t& nsec_position)
    {
        const Owner& owner = owners_[index];
        const bool apex = owner.kind == OwnerKind::Apex;
        for (size_t i = owner.first; i < owner.last; ++i) {
            dns::RRsetView rrset = zone_[i];
            if (replaced_type(rrset.type(), apex))
                continue;
            Out out { rrset.type(), rrset.ttl(), rrset.role(), {}, rrset.role() == Role::Authoritative, false };
            if (out.type == RRType::SOA && apex) {
                out.ttl = soa_ttl_;
                out.rdatas.push_back(soa_rdata_);
            } else {
                for (std::string_view rdata : rrset.rdatas())
                    out.rdatas.push_back(rdata);
            }
            owner_out_.push_back(std::move(out));
        }
        auto add = [&](RRType type, uint32_t ttl, const std::vector<Bytes>& rdatas, bool keyset) {
            if (rdatas.empty())
                return;
            Out out { type, ttl, Role::Authoritative, {}, true, keyset };
            for (const auto& rdata : rdatas)
                out.rdatas.push_back(rdata);
            owner_out_.push_back(std::move(out));
        };
        if (apex) {
            add(RRType::DNSKEY, plan_.dnskey_ttl, dnskeys_, true);
            add(RRType::CDS, plan_.dnskey_ttl, cds_, true);
            add(RRType::CDNSKEY, plan_.dnskey_ttl, cdnskey_, true);
            if (plan_.nsec3)
                add(RRType::NSEC3PARAM, denial_ttl(), nsec3param_, false);
        }
        if (!plan_.nsec3 && owner.kind != OwnerKind::Below) {
            size_t next = nsec_owners_[(nsec_position + 1) % nsec_owners_.size()];
            nsec_rdata_ = zone_[owners_[next].first].owner().wire();
            nsec_rdata_ += dns::type_bitmap_to_wire(owner_types(owner, true));
            owner_out_.push_back(Out { RRType::NSEC, denial_ttl(), Role::Authoritative, { nsec_rdata_ }, true, false });
            ++stats_.denial_records;
            ++nsec_position;
        }
        std::stable_sort(owner_out_.begin(), owner_out_.end(),
                         [](const Out& a, const Out& b) { return a.type < b.type; });
    }

    void assemble()
    {
        size_t nsec_position = 0;
        size_t next_nsec3 = 0;
        auto nsec3_owner = [&](size_t index) {
            nsec_rdata_ = nsec3_rdata(index);
            owner_out_.push_back(Out { RRType::NSEC3, denial_ttl(), Role::Authoritative, { nsec_rdata_ }, true, false });
            ++stats_.denial_records;
            add_owner(nsec3_names_[index]);
        };
        for (size_t i = 0; i < owners_.size(); ++i) {
            dns::NameView name = zone_[owners_[i].first].owner();
            while (next_nsec3 < nsec3_names_.size() && nsec3_names_[next_nsec3] < name)
                nsec3_owner(next_nsec3++);
            owner_rrsets(i, nsec_position);
            add_owner(name);
        }
        while (next_nsec3 < nsec3_names_.size())
            nsec3_owner(next_nsec3++);
        if (previous_) {
            for (dns::RRsetView rrset : *previous_)
                previous_rrsets_ += rrset.type() != RRType::RRSIG;
        }
    }

    // The previous version's RRsets of `owner`: [first, last).
    std::pair<size_t, size_t> previous_range(dns::NameView owner)
    {
        if (!previous_)
            return { 0, 0 };
        const dns::Zone& old = *previous_;
        while (previous_at_ < old.size() && old[previous_at_].owner() < owner)
            previous_at_ = old.owner_end(previous_at_);
        if (previous_at_ == old.size() || old[previous_at_].owner() != owner)
            return { previous_at_, previous_at_ };
        return { previous_at_, old.owner_end(previous_at_) };
    }

    static bool same_rrset(const Out& out, dns::RRsetView old)
    {
        if (out.ttl != old.ttl() || out.rdatas.size() != old.size())
            return false;
        auto it = old.rdatas().begin();
        for (std::string_view rdata : out.rdatas) {
            if (rdata != *it++)
                return false;
        }
        return true;
    }

    // The RRSIG RDATA that goes into the zone for one key over one RRset:
    // the previous one when it can be kept, or a new one to sign.
    struct Signature {
        std::string_view kept; // the previous RRSIG RDATA, or empty
        Bytes made; // a new RRSIG RDATA, the signature still zeros
        uint32_t key = 0;
        std::string_view rdata() const { return kept.empty() ? std::string_view(made) : kept; }
    };

    // A previous RRSIG by `key` over the RRset that may be kept.
    std::string_view keepable(const Out& out, dns::NameView owner, const SigningKey& key,
                              std::optional<dns::RRsetView> old_sigs) const
    {
        if (!old_sigs || !key.reusable)
            return {};
        const int64_t now = now_.time_since_epoch().count();
        for (std::string_view rdata : old_sigs->rdatas()) {
            auto sig = parse_rrsig(rdata);
            if (!sig || sig->key_tag != key.tag || sig->algorithm != static_cast<uint8_t>(key.planned->algorithm))
                continue;
            // Serial arithmetic is not needed: Signet's signatures are within
            // 68 years of now.
            const bool fits = sig->type_covered == static_cast<uint16_t>(out.type) && sig->labels == owner.rrsig_labels()
                              && sig->original_ttl == out.ttl && sig->signer == apex_canonical_
                              && sig->signature.size() == key.signature_size && sig->inception <= now
                              && sig->expiration - now > (plan_.refresh + plan_.refresh_window).count()
                              && sig->expiration <= now + plan_.validity.count();
            return fits ? rdata : std::string_view();
        }
        return {};
    }

    uint32_t expiration_for(dns::NameView owner, RRType type) const
    {
        // Spread expirations over the jitter window so re-signing is spread
        // too; the same RRset gets the same offset.
        uint64_t h = 1469598103934665603ull;
        for (unsigned char c : owner.wire())
            h = (h ^ static_cast<unsigned char>(std::tolower(c))) * 1099511628211ull;
        h = (h ^ static_cast<uint16_t>(type)) * 1099511628211ull;
        auto jitter = plan_.jitter.count() > 0 ? static_cast<int64_t>(h % static_cast<uint64_t>(plan_.jitter.count()))
                                               : 0;
        return static_cast<uint32_t>(now_.time_since_epoch().count() + plan_.validity.count() - jitter);
    }

    Signature new_signature(const Out& out, dns::NameView owner, uint32_t key_index) const
    {
        const SigningKey& key = keys_[key_index];
        Signature sig;
        sig.key = key_index;
        sig.made = rrsig_prefix(out.type, static_cast<uint8_t>(key.planned->algorithm), owner.rrsig_labels(), out.ttl,
                                expiration_for(owner, out.type),
                                static_cast<uint32_t>(now_.time_since_epoch().count() - plan_.inception_offset.count()),
                                key.tag, apex_);
        sig.made.append(key.signature_size, '\0');
        return sig;
    }

    // The signatures of one RRset, kept or new, in canonical RDATA order.
    std::vector<Signature> signatures_for(const Out& out, dns::NameView owner, bool same,
                                          std::optional<dns::RRsetView> old_sigs, bool& all_kept) const
    {
        std::vector<Signature> sigs;
        all_kept = same;
        for (uint32_t k = 0; k < keys_.size(); ++k) {
            const PlannedKey& key = *keys_[k].planned;
            if (out.keyset ? !key.signs_keyset : !key.signs_zone)
                continue;
            std::string_view kept = same ? keepable(out, owner, keys_[k], old_sigs) : std::string_view();
            if (!kept.empty()) {
                sigs.push_back(Signature { kept, {}, k });
            } else {
                sigs.push_back(new_signature(out, owner, k));
                all_kept = false;
            }
        }
        // A signature of the previous version by a key that no longer signs
        // goes: the RRSIG RRset changed.
        if (all_kept && old_sigs && old_sigs->size() != sigs.size())
            all_kept = false;
        std::sort(sigs.begin(), sigs.end(), [](const Signature& a, const Signature& b) { return a.rdata() < b.rdata(); });
        return sigs;
    }

    // Appends one owner's RRsets (in owner_out_) and their signatures: the
    // RRsets of types below RRSIG, the RRSIG RRsets by the type they cover,
    // then the RRsets of types above RRSIG (RFC 4034 §6 order).
    void add_owner(dns::NameView owner)
    {
        auto [first, last] = previous_range(owner);
        auto old = [&](RRType type, uint16_t covers) -> std::optional<dns::RRsetView> {
            for (size_t i = first; i < last; ++i) {
                dns::RRsetView rrset = (*previous_)[i];
                if (rrset.type() == type && rrset.covers() == covers)
                    return rrset;
            }
            return std::nullopt;
        };
        // What each RRset keeps and needs, decided before anything is added.
        struct Pending {
            size_t out; // index in owner_out_
            std::vector<Signature> sigs;
            bool soa = false;
            size_t rrset = 0; // the covered RRset's index in the assembled zone, once added
        };
        std::vector<Pending> pending;
        for (size_t o = 0; o < owner_out_.size(); ++o) {
            Out& out = owner_out_[o];
            std::optional<dns::RRsetView> previous = old(out.type, 0);
            const bool soa = out.type == RRType::SOA && owner == apex_;
            bool same = previous && (soa ? same_soa(out, *previous) : same_rrset(out, *previous));
            matched_rrsets_ += previous.has_value();
            if (soa && same) {
                // Provisionally the previous SOA: if nothing else changes,
                // this version is the previous one (see settle_soa).
                soa_rdata_kept_ = *previous->rdatas().begin();
                out.rdatas = { soa_rdata_kept_ };
            }
            if (!out.sign) {
                changed_ |= !same;
                continue;
            }
            bool all_kept = false;
            std::vector<Signature> sigs
                = signatures_for(out, owner, same, old(RRType::RRSIG, static_cast<uint16_t>(out.type)), all_kept);
            if (soa)
                soa_kept_ = all_kept;
            else
                changed_ |= !all_kept;
            pending.push_back(Pending { o, std::move(sigs), soa });
        }

        const size_t first_job = jobs_.size();
        auto append = [&](size_t o) {
            const Out& out = owner_out_[o];
            out_.begin_rrset(owner, out.type, 0, out.ttl, out.role);
            for (size_t r = 0; r < out.rdatas.size(); ++r) {
                const uint64_t at = out_.add_rdata(out.rdatas[r]);
                if (r == 0 && out.type == RRType::SOA && owner == apex_) {
                    soa_rdata_at_ = at;
                    soa_rrset_ = out_.size() - 1;
                }
            }
            ++stats_.rrsets;
            for (auto& p : pending) {
                if (p.out == o)
                    p.rrset = out_.size() - 1;
            }
        };
        auto append_signatures = [&](size_t k) {
            const Pending& p = pending[k];
            const Out& out = owner_out_[p.out];
            out_.begin_rrset(owner, RRType::RRSIG, static_cast<uint16_t>(out.type), out.ttl, Role::Authoritative);
            const size_t index = out_.size() - 1;
            bool clash = false;
            for (size_t s = 0; s < p.sigs.size(); ++s) {
                const Signature& sig = p.sigs[s];
                const uint64_t at = out_.add_rdata(sig.rdata());
                if (!sig.kept.empty())
                    ++stats_.signatures_reused;
                else // the covered RRset's index is set below, once it is added
                    jobs_.push_back(Job { k, at, static_cast<uint32_t>(sig.made.size() - keys_[sig.key].signature_size),
                                          sig.key });
                if (p.soa)
                    soa_signatures_.push_back(SoaSignature { at, sig.key, !sig.kept.empty() });
                clash |= s > 0 && p.sigs[s - 1].rdata().substr(0, 18) == sig.rdata().substr(0, 18);
            }
            if (clash || (p.soa && tag_clash_))
                unsorted_.push_back(index);
            if (p.soa)
                soa_signatures_rrset_ = index;
        };
        size_t o = 0;
        for (; o < owner_out_.size() && owner_out_[o].type < RRType::RRSIG; ++o)
            append(o);
        for (size_t k = 0; k < pending.size(); ++k)
            append_signatures(k);
        for (; o < owner_out_.size(); ++o)
            append(o);
        for (size_t j = first_job; j < jobs_.size(); ++j)
            jobs_[j].rrset = pending[jobs_[j].rrset].rrset;
        owner_out_.clear();
    }

    // The SOA is the same as the previous one: everything but the serial,
    // which the policy makes anew, unless it is kept from the input.
    bool same_soa(const Out& out, dns::RRsetView old) const
    {
        if (out.ttl != old.ttl() || old.size() != 1)
            return false;
        std::string_view was = *old.rdatas().begin();
        if (was.size() != soa_rdata_.size())
            return false;
        Bytes masked(was);
        set_serial(masked, new_serial_);
        if (masked != soa_rdata_)
            return false;
        return plan_.serial != SerialMode::Keep || read_u32(was, serial_at_) == input_serial_;
    }

    // Once every other RRset is known: a version that changed anything
    // gets the new serial and new SOA signatures.
    void settle_soa()
    {
        changed_ |= plan_.new_version || !previous_;
        if (!changed_ && soa_kept_) {
            stats_.serial = read_u32(soa_rdata_kept_, serial_at_);
            return;
        }
        changed_ = true;
        stats_.serial = new_serial_;
        if (plan_.serial == SerialMode::Keep && new_serial_ != input_serial_)
            stats_.warnings.push_back(fmt::format("SOA serial {} of the input is not above the last published {}; "
                                                  "publishing {}",
                                                  input_serial_, *plan_.last_serial, new_serial_));
        Bytes serial;
        put_u32(serial, new_serial_);
        out_.write_at(soa_rdata_at_ + serial_at_, serial);
        // A kept SOA signature covers the previous serial: made again.
        const Out soa { RRType::SOA, soa_ttl_, Role::Authoritative, {}, true, false };
        bool remade = false;
        for (auto [at, key, kept] : soa_signatures_) {
            if (!kept)
                continue;
            remade = true;
            Signature sig = new_signature(soa, apex_, key);
            out_.write_at(at, sig.made);
            --stats_.signatures_reused;
            jobs_.push_back(Job { soa_rrset_, at, static_cast<uint32_t>(sig.made.size() - keys_[key].signature_size), key });
        }
        if (remade)
            unsorted_.push_back(soa_signatures_rrset_);
    }

    Result<void> sign_job(crypto::p11::KeyStore& store, const Job& job, const dns::Zone& zone)
    {
        const SigningKey& key = keys_[job.key];
        dns::RRsetView rrset = zone[job.rrset];
        std::string_view rrsig = out_.bytes_at(job.at, job.prefix);
        Bytes data(rrsig);
        std::vector<std::string_view> rdatas(rrset.rdatas().begin(), rrset.rdatas().end());
        std::array<char, 255> owner;
        append_signed_rrs(data, rrset.owner().lowercased_wire(owner), rrset.type(), rrset.ttl(), rdatas);
        auto signature = store.sign(key.planned->locator, key.planned->algorithm, data);
        if (!signature)
            return fail(signature.error().with_context(fmt::format("signing {} {} in zone '{}'", rrset.owner().to_text(),
                                                                   dns::type_to_text(rrset.type()), apex_.to_text())));
        if (signature->size() != key.signature_size)
            return fail(ErrorCode::Crypto, fmt::format("key {} made a signature of {} octets, not {}", key.tag,
                                                       signature->size(), key.signature_size));
        if (key.verifier && !key.verifier->verify(data, *signature))
            return fail(ErrorCode::Dnssec,
                        fmt::format("self-check: the token's signature over {} {} by key {} does not verify",
                                    rrset.owner().to_text(), dns::type_to_text(rrset.type()), key.tag));
        out_.write_at(job.at + job.prefix, *signature);
        return {};
    }

    static TimePoint earliest_expiration(const dns::Zone& zone)
    {
        uint32_t earliest = 0;
        for (dns::RRsetView rrset : zone) {
            if (rrset.type() != RRType::RRSIG)
                continue;
            for (std::string_view rdata : rrset.rdatas()) {
                const uint32_t expiration = read_u32(rdata, 8);
                if (earliest == 0 || expiration < earliest)
                    earliest = expiration;
            }
        }
        return TimePoint(std::chrono::seconds(earliest));
    }

    Result<void> make_signatures()
    {
        if (jobs_.empty())
            return {};
        crypto::p11::KeyStore* store = SIGNET_TRY(token_());
        const dns::Zone& zone = out_.peek();
        unsigned threads = plan_.threads ? plan_.threads : std::max(1u, std::thread::hardware_concurrency());
        threads = static_cast<unsigned>(std::min<size_t>(threads, std::max<size_t>(1, jobs_.size() / 16)));
        std::atomic<size_t> next = 0;
        std::optional<Error> failure;
        std::mutex mutex;
        auto work = [&] {
            for (;;) {
                size_t start = next.fetch_add(64);
                if (start >= jobs_.size())
                    return;
                for (size_t i = start; i < std::min(start + 64, jobs_.size()); ++i) {
                    if (auto done = sign_job(*store, jobs_[i], zone); !done) {
                        std::lock_guard lock(mutex);
                        if (!failure)
                            failure = done.error();
                        next = jobs_.size();
                        return;
                    }
                }
            }
        };
        run_on_threads(threads, work);
        if (failure)
            return fail(std::move(*failure));
        return {};
    }

    const dns::Zone& zone_;
    const dns::Zone* previous_;
    const SigningPlan& plan_;
    const TokenSource& token_;
    TimePoint now_;
    Name apex_;
    Bytes apex_canonical_;
    dns::ZoneAssembler out_;

    std::vector<SigningKey> keys_;
    bool tag_clash_ = false;
    std::vector<Bytes> dnskeys_, cds_, cdnskey_, nsec3param_;
    Bytes soa_rdata_; // with the new serial
    size_t serial_at_ = 0;
    uint32_t input_serial_ = 0, new_serial_ = 0;
    uint32_t soa_ttl_ = 0;
    std::vector<Owner> owners_;
    std::vector<size_t> nsec_owners_;
    std::vector<Nsec3Entry> nsec3_;
    std::vector<dns::NameView> ent_names_; // views into owner names of the zone
    Bytes nsec3_owners_; // the wire forms nsec3_names_ look into
    std::vector<dns::NameView> nsec3_names_;

    std::vector<Out> owner_out_;
    Bytes nsec_rdata_; // the denial record of the owner in hand
    size_t previous_at_ = 0;
    size_t previous_rrsets_ = 0, matched_rrsets_ = 0; // RRSIG RRsets not counted
    bool changed_ = false;

    // The SOA, kept provisionally from the previous version.
    std::string_view soa_rdata_kept_;
    bool soa_kept_ = false;
    size_t soa_rrset_ = 0, soa_signatures_rrset_ = 0;
    uint64_t soa_rdata_at_ = 0;
    struct SoaSignature {
        uint64_t at; // where its RDATA starts
        uint32_t key;
        bool kept;
    };
    std::vector<SoaSignature> soa_signatures_;

    std::vector<Job> jobs_;
    std::vector<size_t> unsorted_; // RRSIG RRsets to sort once signed
    SigningStats stats_;
};

} // namespace

Result<SignedVersion> sign(const dns::Zone& input, const dns::Zone* previous, const SigningPlan& plan,
                           const TokenSource& token, TimePoint now)
{
    return Signer(input, previous, plan, token, now).run();
}

Result<SignedVersion> sign(const dns::Zone& input, const dns::Zone* previous, const SigningPlan& plan,
                           crypto::p11::KeyStore& token, TimePoint now)
{
    TokenSource source = [&token]() -> Result<crypto::p11::KeyStore*> { return &token; };
    return sign(input, previous, plan, source, now);
}

Result<dns::Zone> unsigned_part(const dns::Zone& signed_zone)
{
    dns::ZoneBuilder builder(signed_zone.origin());
    for (const dns::RRsetView rrset : signed_zone) {
        if (replaced_type(rrset.type(), rrset.owner() == signed_zone.origin()))
            continue;
        for (std::string_view rdata : rrset.rdatas())
            builder.add(dns::RecordView { rrset.owner(), rrset.type(), rrset.ttl(), rdata, 0, 0 });
    }
    dns::Diagnostics diagnostics = dns::Diagnostics::for_own_output();
    auto zone = std::move(builder).build(diagnostics);
    if (!zone)
        return fail(Error(zone.error()).with_context("the unsigned part of the last signed version"));
    return zone;
}

} // namespace signet::signer
