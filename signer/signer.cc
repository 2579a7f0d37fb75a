#include <signet/signer/signer.h>

#include <algorithm>
#include <atomic>
#include <deque>
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

dns::Bytes nsec3_hash(dns::NameView name, std::string_view salt, uint16_t iterations)
{
    Bytes input = name.lowercased().wire();
    input += salt;
    Bytes hash = crypto::sha1(input);
    for (uint16_t i = 0; i < iterations; ++i)
        hash = crypto::sha1(hash + std::string(salt));
    return hash;
}

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

// One RRset to write, and to sign when `sign` is set.
struct Out {
    dns::NameView owner;
    RRType type = RRType::A;
    uint32_t ttl = 0;
    std::vector<std::string_view> rdatas;
    bool sign = false;
    bool keyset = false;
    std::string text; // filled by the workers
};

struct Nsec3Entry {
    Bytes hash;
    Bytes bitmap;
    dns::NameView name; // for messages
};

struct SigningKey {
    const PlannedKey* planned;
    uint16_t tag;
    std::optional<crypto::PublicKey> verifier;
};

class Signer {
public:
    Signer(const dns::Zone& zone, const SigningPlan& plan, crypto::p11::KeyStore& store, TimePoint now,
           const TextSink& out)
        : zone_(zone)
        , plan_(plan)
        , store_(store)
        , now_(now)
        , out_(out)
        , apex_(zone.origin())
    {
    }

    Result<SigningStats> run()
    {
        SIGNET_TRY(prepare_keys());
        scan_owners();
        prepare_apex();
        if (plan_.nsec3)
            SIGNET_TRY(build_nsec3());
        else
            collect_nsec_owners();
        SIGNET_TRY(emit());
        return std::move(stats_);
    }

private:
    Result<void> prepare_keys()
    {
        bool keyset = false, zone = false;
        for (const auto& key : plan_.keys) {
            SigningKey k { &key, crypto::key_tag(key.dnskey), std::nullopt };
            if (plan_.verification == Verification::Full && (key.signs_keyset || key.signs_zone)) {
                auto verifier = crypto::PublicKey::from_dnskey(key.dnskey);
                if (!verifier)
                    return fail(verifier.error().with_context(fmt::format("key {}", k.tag)));
                k.verifier = std::move(*verifier);
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
        std::sort(cds_.begin(), cds_.end());
        return {};
    }

    void scan_owners()
    {
        const dns::Zone& sets = zone_;
        for (size_t start = 0; start < sets.size();) {
            size_t end = start + 1;
            dns::NameView name = sets[start].owner();
            while (end < sets.size() && sets[end].owner() == name)
                ++end;
            Owner owner { start, end };
            bool apex = name == apex_;
            bool delegation = false, authoritative = false;
            for (size_t i = start; i < end; ++i) {
                if (replaced_type(sets[i].type(), apex)) {
                    stats_.replaced_records += sets[i].size();
                    continue;
                }
                owner.kept = true;
                Role role = sets[i].role();
                delegation |= role == Role::Delegation;
                authoritative |= role == Role::Authoritative;
                owner.has_ds |= sets[i].type() == RRType::DS;
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
        size_t serial_at = soa_rdata_.size() - 20;
        uint32_t input_serial = read_u32(soa_rdata_, serial_at);
        stats_.serial = next_serial(plan_.serial, input_serial, plan_.last_serial, now_.time_since_epoch().count());
        if (plan_.serial == SerialMode::Keep && stats_.serial != input_serial)
            stats_.warnings.push_back(fmt::format("SOA serial {} of the input is not above the last published {}; "
                                                  "publishing {}",
                                                  input_serial, *plan_.last_serial, stats_.serial));
        Bytes serial;
        put_u32(serial, stats_.serial);
        soa_rdata_.replace(serial_at, 4, serial);
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

    Result<void> build_nsec3()
    {
        const Nsec3Params& params = *plan_.nsec3;
        std::unordered_set<Bytes> existing; // lower-cased wire of owners
        for (const Owner& owner : owners_)
            existing.insert(zone_[owner.first].owner().lowercased().wire());
        std::unordered_set<Bytes> ents;
        for (const Owner& owner : owners_) {
            if (owner.kind == OwnerKind::Below)
                continue;
            if (owner.kind == OwnerKind::Delegation && params.opt_out && !owner.has_ds)
                continue; // RFC 5155 §6: covered by an opt-out span
            dns::NameView name = zone_[owner.first].owner();
            nsec3_.push_back(Nsec3Entry { nsec3_hash(name, params.salt, params.iterations),
                                          dns::type_bitmap_to_wire(owner_types(owner, false)), name });
            for (dns::NameView up = name.parent(); !(up == apex_) && up.is_subdomain_of(apex_); up = up.parent()) {
                Bytes key = up.lowercased().wire();
                if (existing.contains(key) || !ents.insert(key).second)
                    break;
                ent_names_.push_back(up);
            }
        }
        for (dns::NameView name : ent_names_)
            nsec3_.push_back(Nsec3Entry { nsec3_hash(name, params.salt, params.iterations), Bytes(), name });
        std::sort(nsec3_.begin(), nsec3_.end(), [](const auto& a, const auto& b) { return a.hash < b.hash; });
        for (size_t i = 1; i < nsec3_.size(); ++i) {
            if (nsec3_[i].hash == nsec3_[i - 1].hash)
                return fail(ErrorCode::Dnssec,
                            fmt::format("NSEC3 hash collision between '{}' and '{}'; choose another salt",
                                        nsec3_[i].name.to_text(), nsec3_[i - 1].name.to_text()));
        }
        nsec3_names_.reserve(nsec3_.size());
        for (const auto& entry : nsec3_) {
            std::string label = dns::to_base32hex(entry.hash);
            std::transform(label.begin(), label.end(), label.begin(),
                           [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
            nsec3_names_.push_back(*apex_.prepend(label));
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
        const Bytes& next = nsec3_[(index + 1) % nsec3_.size()].hash;
        rdata.push_back(static_cast<char>(next.size()));
        rdata += next;
        rdata += nsec3_[index].bitmap;
        return rdata;
    }

    // Adds the RRsets of one input owner (with what the signer adds there)
    // to the batch.
    void add_owner(size_t index, size_t& nsec_position)
    {
        const Owner& owner = owners_[index];
        dns::NameView name = zone_[owner.first].owner();
        bool apex = owner.kind == OwnerKind::Apex;
        size_t begin = batch_.size();
        for (size_t i = owner.first; i < owner.last; ++i) {
            dns::RRsetView rrset = zone_[i];
            if (replaced_type(rrset.type(), apex))
                continue;
            Out out;
            out.owner = name;
            out.type = rrset.type();
            out.ttl = rrset.ttl();
            out.sign = rrset.role() == Role::Authoritative;
            if (out.type == RRType::SOA && apex) {
                out.ttl = soa_ttl_;
                out.rdatas.push_back(soa_rdata_);
            } else {
                for (std::string_view rdata : rrset.rdatas())
                    out.rdatas.push_back(rdata);
            }
            batch_.push_back(std::move(out));
        }
        auto add = [&](RRType type, uint32_t ttl, const std::vector<Bytes>& rdatas, bool keyset) {
            if (rdatas.empty())
                return;
            Out out { name, type, ttl, {}, true, keyset, {} };
            for (const auto& rdata : rdatas)
                out.rdatas.push_back(rdata);
            batch_.push_back(std::move(out));
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
            Bytes rdata(zone_[owners_[next].first].owner().wire());
            rdata += dns::type_bitmap_to_wire(owner_types(owner, true));
            generated_.push_back(std::move(rdata));
            batch_.push_back(Out { name, RRType::NSEC, denial_ttl(), { generated_.back() }, true, false, {} });
            ++stats_.denial_records;
            ++nsec_position;
        }
        std::stable_sort(batch_.begin() + static_cast<std::ptrdiff_t>(begin), batch_.end(),
                         [](const Out& a, const Out& b) { return a.type < b.type; });
    }

    void add_nsec3(size_t index)
    {
        generated_.push_back(nsec3_rdata(index));
        batch_.push_back(
            Out { nsec3_names_[index], RRType::NSEC3, denial_ttl(), { generated_.back() }, true, false, {} });
        ++stats_.denial_records;
    }

    Result<void> emit()
    {
        size_t nsec_position = 0;
        size_t next_nsec3 = 0;
        for (size_t i = 0; i < owners_.size(); ++i) {
            dns::NameView name = zone_[owners_[i].first].owner();
            while (next_nsec3 < nsec3_names_.size() && nsec3_names_[next_nsec3] < name)
                add_nsec3(next_nsec3++);
            add_owner(i, nsec_position);
            if (batch_.size() >= batch_size)
                SIGNET_TRY(flush());
        }
        while (next_nsec3 < nsec3_names_.size())
            add_nsec3(next_nsec3++);
        return flush();
    }

    uint32_t expiration_for(const Out& out) const
    {
        // Spread expirations over the jitter window so re-signing is spread
        // too; the same RRset gets the same offset.
        uint64_t h = 1469598103934665603ull;
        for (unsigned char c : out.owner.wire())
            h = (h ^ static_cast<unsigned char>(std::tolower(c))) * 1099511628211ull;
        h = (h ^ static_cast<uint16_t>(out.type)) * 1099511628211ull;
        auto jitter = plan_.jitter.count() > 0 ? static_cast<int64_t>(h % static_cast<uint64_t>(plan_.jitter.count()))
                                               : 0;
        return static_cast<uint32_t>(now_.time_since_epoch().count() + plan_.validity.count() - jitter);
    }

    Result<void> sign_one(Out& out)
    {
        for (const auto& rdata : out.rdatas)
            dns::append_record(out.text, out.owner, out.ttl, out.type, rdata);
        if (!out.sign)
            return {};
        Bytes owner_canonical = out.owner.lowercased().wire();
        uint32_t inception = static_cast<uint32_t>(now_.time_since_epoch().count() - plan_.inception_offset.count());
        uint32_t expiration = expiration_for(out);
        for (const SigningKey& key : keys_) {
            if (out.keyset ? !key.planned->signs_keyset : !key.planned->signs_zone)
                continue;
            Bytes rrsig = rrsig_prefix(out.type, static_cast<uint8_t>(key.planned->algorithm),
                                       out.owner.rrsig_labels(), out.ttl, expiration, inception, key.tag, apex_);
            Bytes data = rrsig;
            append_signed_rrs(data, owner_canonical, out.type, out.ttl, out.rdatas);
            auto signature = store_.sign(key.planned->locator, key.planned->algorithm, data);
            if (!signature)
                return fail(signature.error().with_context(
                    fmt::format("signing {} {} in zone '{}'", out.owner.to_text(), dns::type_to_text(out.type),
                                apex_.to_text())));
            if (key.verifier && !key.verifier->verify(data, *signature))
                return fail(ErrorCode::Dnssec,
                            fmt::format("self-check: the token's signature over {} {} by key {} does not verify",
                                        out.owner.to_text(), dns::type_to_text(out.type), key.tag));
            rrsig += *signature;
            dns::append_record(out.text, out.owner, out.ttl, RRType::RRSIG, rrsig);
            signatures_.fetch_add(1, std::memory_order_relaxed);
        }
        {
            std::lock_guard lock(mutex_);
            if (earliest_ == 0 || expiration < earliest_)
                earliest_ = expiration;
        }
        return {};
    }

    Result<void> flush()
    {
        unsigned threads = plan_.threads ? plan_.threads : std::max(1u, std::thread::hardware_concurrency());
        threads = static_cast<unsigned>(std::min<size_t>(threads, std::max<size_t>(1, batch_.size() / 16)));
        std::atomic<size_t> next = 0;
        std::optional<Error> failure;
        auto work = [&] {
            for (;;) {
                size_t start = next.fetch_add(64);
                if (start >= batch_.size())
                    return;
                for (size_t i = start; i < std::min(start + 64, batch_.size()); ++i) {
                    if (auto done = sign_one(batch_[i]); !done) {
                        std::lock_guard lock(mutex_);
                        if (!failure)
                            failure = done.error();
                        next = batch_.size();
                        return;
                    }
                }
            }
        };
        run_on_threads(threads, work);
        if (failure)
            return fail(std::move(*failure));
        std::string chunk;
        for (Out& out : batch_) {
            chunk += out.text;
            if (chunk.size() >= (1 << 20)) {
                SIGNET_TRY(out_(chunk));
                chunk.clear();
            }
        }
        SIGNET_TRY(out_(chunk));
        stats_.rrsets += batch_.size();
        stats_.signatures = signatures_.load();
        if (earliest_)
            stats_.earliest_expiration = TimePoint(std::chrono::seconds(earliest_));
        batch_.clear();
        generated_.clear();
        return {};
    }

    static constexpr size_t batch_size = 8192;

    const dns::Zone& zone_;
    const SigningPlan& plan_;
    crypto::p11::KeyStore& store_;
    TimePoint now_;
    const TextSink& out_;
    Name apex_;

    std::vector<SigningKey> keys_;
    std::vector<Bytes> dnskeys_, cds_, cdnskey_, nsec3param_;
    Bytes soa_rdata_;
    uint32_t soa_ttl_ = 0;
    std::vector<Owner> owners_;
    std::vector<size_t> nsec_owners_;
    std::vector<Nsec3Entry> nsec3_;
    std::vector<dns::NameView> ent_names_; // views into owner names of the zone
    std::vector<Name> nsec3_names_;

    std::vector<Out> batch_;
    std::deque<Bytes> generated_; // RDATA made for the batch; stable addresses
    std::atomic<size_t> signatures_ = 0;
    std::mutex mutex_;
    uint32_t earliest_ = 0;
    SigningStats stats_;
};

} // namespace

Result<SigningStats> sign_zone(const dns::Zone& zone, const SigningPlan& plan, crypto::p11::KeyStore& store,
                               TimePoint now, const TextSink& out)
{
    return Signer(zone, plan, store, now, out).run();
}

} // namespace signet::signer
