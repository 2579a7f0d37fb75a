#include <signet/signer/verify.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bitset>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include <signet/crypto/dnssec.h>
#include <signet/dns/rdata.h>
#include <signet/signer/plan.h>
#include <signet/signer/signer.h>

#include "detail/canonical.h"

namespace signet::signer {

using dns::Name;
using dns::Role;
using dns::RRType;
using namespace detail;

namespace {

constexpr size_t max_messages = 20;
// Keys of one tag and algorithm a validator can be expected to try (Knot
// refuses a fourth).
constexpr size_t max_keys_per_tag = 3;

struct Key {
    uint16_t tag;
    uint8_t algorithm;
    std::optional<crypto::PublicKey> key; // none: an algorithm Signet cannot verify
};

// RFC 8078 §4: the CDS and CDNSKEY that ask the parent to remove every DS,
// "0 0 0 00" and "0 3 0 AA==".
constexpr std::string_view cds_delete { "\0\0\0\0\0", 5 };
constexpr std::string_view cdnskey_delete { "\0\0\3\0\0", 5 };

bool label_is(std::string_view label, std::string_view lower)
{
    return std::ranges::equal(label, lower, [](char a, char b) {
        return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b;
    });
}

// RFC 9615 §2: _dsboot.<child>._signal.<name server>, where a name server's
// operator publishes copies of a child's CDS and CDNSKEY.
bool is_signaling_name(dns::NameView name)
{
    if (name.is_root() || !label_is(name.first_label(), "_dsboot"))
        return false;
    for (dns::NameView up = name.parent(); !up.is_root(); up = up.parent()) {
        if (label_is(up.first_label(), "_signal"))
            return true;
    }
    return false;
}

class Verifier {
public:
    Verifier(const dns::Zone& zone, TimePoint now, const VerifyOptions& options)
        : zone_(zone)
        , now_(static_cast<uint32_t>(now.time_since_epoch().count()))
        , options_(options)
        , apex_(zone.origin())
    {
    }

    VerifyReport run()
    {
        if (load_keys()) {
            check_signed_what_may_be();
            check_cds();
            check_signatures();
            check_denial();
        }
        report_.error_count = error_count_;
        return std::move(report_);
    }

private:
    void error(std::string message)
    {
        std::lock_guard lock(mutex_);
        ++error_count_;
        if (report_.errors.size() < max_messages)
            report_.errors.push_back(std::move(message));
    }

    static std::string rrset_name(dns::RRsetView rrset)
    {
        return fmt::format("{} {}", rrset.owner().to_text(), dns::type_to_text(rrset.type()));
    }

    bool load_keys()
    {
        auto dnskeys = zone_.find(apex_, RRType::DNSKEY);
        if (!dnskeys) {
            error(fmt::format("no DNSKEY RRset at the apex '{}'", apex_.to_text()));
            return false;
        }
        for (std::string_view rdata : dnskeys->rdatas()) {
            auto fields = crypto::parse_dnskey(rdata);
            if (fields)
                published_.insert((static_cast<uint32_t>(crypto::key_tag(rdata)) << 8) | fields->algorithm);
            if (!fields || !(fields->flags & crypto::dnskey_flag_zone) || (fields->flags & crypto::dnskey_flag_revoke))
                continue;
            algorithms_.insert(fields->algorithm);
            // RFC 6840 §5.11: a validator ignores what it cannot verify.
            // Its signatures are still looked for, and their windows checked.
            if (!crypto::can_verify(fields->algorithm)) {
                unverified_.insert(fields->algorithm);
                keys_.push_back(Key { crypto::key_tag(rdata), fields->algorithm, std::nullopt });
                continue;
            }
            auto key = crypto::PublicKey::from_dnskey(rdata);
            if (!key) {
                error(fmt::format("DNSKEY {} cannot be used: {}", crypto::key_tag(rdata), key.error().message()));
                continue;
            }
            keys_.push_back(Key { crypto::key_tag(rdata), fields->algorithm, std::move(*key) });
        }
        if (keys_.empty()) {
            error("the DNSKEY RRset has no usable zone key");
            return false;
        }
        // A validator tries each key whose tag and algorithm match a
        // signature's, and since CVE-2023-50387 (KeyTrap) gives up after a
        // few: with this many alike, the right one may never be tried.
        std::map<uint32_t, size_t> alike;
        for (const Key& key : keys_) {
            if (++alike[(static_cast<uint32_t>(key.tag) << 8) | key.algorithm] == max_keys_per_tag + 1)
                error(fmt::format("more than {} keys of the DNSKEY RRset have key tag {} and algorithm {}: "
                                  "validators stop trying keys before that (CVE-2023-50387)",
                                  max_keys_per_tag, key.tag, key.algorithm));
        }
        report_.unverified_algorithms.assign(unverified_.begin(), unverified_.end());
        report_.unjudged = options_.signatures && std::ranges::none_of(keys_, [](const Key& k) { return k.key.has_value(); });
        return true;
    }

    // RFC 4035 §2.2: only authoritative data is signed: not a delegation's
    // NS, not glue, not what a cut or DNAME occludes, and not RRSIGs
    // themselves; and an RRSIG covers an RRset of its owner.
    void check_signed_what_may_be()
    {
        for (size_t first = 0; first < zone_.size();) {
            const size_t end = zone_.owner_end(first);
            for (size_t i = first; i < end; ++i) {
                dns::RRsetView rrsigs = zone_[i];
                if (rrsigs.type() == RRType::RRSIG)
                    check_covered(rrsigs, first, end);
            }
            first = end;
        }
    }

    // The RRSIG RRset `rrsigs`, of the owner whose RRsets are [first, end).
    void check_covered(dns::RRsetView rrsigs, size_t first, size_t end)
    {
        const auto covered = static_cast<RRType>(rrsigs.covers());
        auto misplaced = [&](std::string_view why) {
            error(fmt::format("{} RRSIG({}){}", rrsigs.owner().to_text(), dns::type_to_text(covered), why));
        };
        if (covered == RRType::RRSIG)
            return misplaced(": RRSIGs are not signed (RFC 4035 §2.2)");
        size_t i = first;
        while (i < end && zone_[i].type() != covered)
            ++i;
        if (i == end)
            return misplaced(" covers no RRset there");
        switch (zone_[i].role()) {
        case Role::Authoritative: break;
        case Role::Delegation: misplaced(": the NS of a delegation is the child's, not signed here (RFC 4035 §2.2)"); break;
        case Role::Glue: misplaced(": glue is not signed (RFC 4035 §2.2)"); break;
        case Role::Occluded: misplaced(": the data is occluded by a delegation or DNAME and is not signed"); break;
        }
    }

    // CDS and CDNSKEY (RFC 7344, RFC 8078): what a parent that polls them
    // would do to the delegation. They live at the apex, or as copies at an
    // RFC 9615 signaling name; a delete request is exactly the RFC 8078 form
    // and alone; and at the apex both are there and each names a key of the
    // DNSKEY RRset, since a parent that takes them must keep the zone secure.
    void check_cds()
    {
        for (dns::RRsetView rrset : zone_) {
            if ((rrset.type() != RRType::CDS && rrset.type() != RRType::CDNSKEY) || rrset.role() != Role::Authoritative)
                continue;
            if (!(rrset.owner() == apex_) && !is_signaling_name(rrset.owner())) {
                error(fmt::format("{}: CDS and CDNSKEY belong at the zone's apex (RFC 7344 §3), or at an RFC 9615 "
                                  "signaling name",
                                  rrset_name(rrset)));
                continue;
            }
            check_delete_form(rrset);
        }
        auto cds = zone_.find(apex_, RRType::CDS);
        auto cdnskey = zone_.find(apex_, RRType::CDNSKEY);
        if (cds.has_value() != cdnskey.has_value())
            error(fmt::format("{} has a {} RRset but no {} RRset: a parent may poll either, so both are published "
                              "(RFC 7344 §4)",
                              apex_.to_text(), cds ? "CDS" : "CDNSKEY", cds ? "CDNSKEY" : "CDS"));
        auto dnskeys = zone_.find(apex_, RRType::DNSKEY);
        if (!dnskeys)
            return;
        if (cds) {
            for (std::string_view rdata : cds->rdatas()) {
                if (rdata.size() < 4 || rdata[2] == 0)
                    continue;
                if (!std::ranges::any_of(dnskeys->rdatas(), [&](std::string_view key) { return cds_names(rdata, key); }))
                    error(fmt::format("{} CDS {} matches no key of the DNSKEY RRset: the parent would publish a DS "
                                      "that no key of the zone answers to",
                                      apex_.to_text(), dns::rdata_to_text(RRType::CDS, rdata)));
            }
        }
        if (cdnskey) {
            for (std::string_view rdata : cdnskey->rdatas()) {
                if (rdata.size() < 4 || rdata[3] == 0)
                    continue;
                if (!std::ranges::any_of(dnskeys->rdatas(), [&](std::string_view key) { return key == rdata; }))
                    error(fmt::format("{} CDNSKEY of key {} (algorithm {}) is not in the DNSKEY RRset", apex_.to_text(),
                                      crypto::key_tag(rdata), static_cast<uint8_t>(rdata[3])));
            }
        }
    }

    // Whether the CDS RDATA `cds` is a DS of DNSKEY RDATA `dnskey` at the
    // apex. A digest type Signet cannot compute is matched on the key tag
    // and algorithm alone.
    bool cds_names(std::string_view cds, std::string_view dnskey) const
    {
        auto fields = crypto::parse_dnskey(dnskey);
        if (!fields || read_u16(cds, 0) != crypto::key_tag(dnskey) || static_cast<uint8_t>(cds[2]) != fields->algorithm)
            return false;
        auto ds = crypto::make_ds_rdata(apex_, dnskey, static_cast<crypto::DigestType>(cds[3]));
        return !ds || *ds == cds;
    }

    // RFC 8078 §4: algorithm 0 means "remove every DS", in one exact form,
    // and such a request cannot stand beside keys the parent is to keep.
    void check_delete_form(dns::RRsetView rrset)
    {
        const bool is_cds = rrset.type() == RRType::CDS;
        const std::string_view form = is_cds ? cds_delete : cdnskey_delete;
        const std::string_view form_text = is_cds ? "0 0 0 00" : "0 3 0 AA==";
        bool deletes = false;
        for (std::string_view rdata : rrset.rdatas()) {
            if (rdata.size() < 4)
                continue; // the reader refuses these
            if (rdata[is_cds ? 2 : 3] != 0)
                continue;
            if (rdata == form)
                deletes = true;
            else
                error(fmt::format("{} {} has algorithm 0 but is not the delete request '{}' (RFC 8078 §4)",
                                  rrset_name(rrset), dns::rdata_to_text(rrset.type(), rdata), form_text));
        }
        if (deletes && rrset.size() > 1)
            error(fmt::format("{} holds the delete request '{}' beside other records: the parent cannot both remove "
                              "every DS and keep some (RFC 8078 §4)",
                              rrset_name(rrset), form_text));
    }

    // The RRSIG RRset covering RRset `index`: at the same owner, before or
    // after it in canonical order depending on its type.
    std::optional<dns::RRsetView> signatures_of(size_t index) const
    {
        const uint16_t covered = static_cast<uint16_t>(zone_[index].type());
        for (size_t i = zone_.owner_begin(index), end = zone_.owner_end(index); i < end; ++i) {
            if (zone_[i].type() == RRType::RRSIG && zone_[i].covers() == covered)
                return zone_[i];
        }
        return std::nullopt;
    }

    // Checks the signatures of RRset `index`; returns how many verified.
    size_t check_rrset(size_t index)
    {
        dns::RRsetView rrset = zone_[index];
        auto rrsigs = signatures_of(index);
        if (!rrsigs) {
            error(fmt::format("{} has no RRSIG", rrset_name(rrset)));
            return 0;
        }
        std::bitset<256> good_algorithms;
        size_t verified = 0;
        // What the signatures cover, in canonical form: needed only to verify.
        Bytes owner;
        std::vector<std::string_view> rdatas;
        if (options_.signatures) {
            owner = rrset.owner().lowercased().wire();
            rdatas.assign(rrset.rdatas().begin(), rrset.rdatas().end());
        }
        std::string problem;
        for (std::string_view rdata : rrsigs->rdatas()) {
            auto sig = parse_rrsig(rdata);
            if (!sig) {
                problem = "malformed RRSIG";
                continue;
            }
            if (dns::NameView::from_valid_wire(sig->signer) != apex_) {
                problem = "RRSIG signer is not the apex";
                continue;
            }
            if (sig->labels != rrset.owner().rrsig_labels()) {
                problem = fmt::format("RRSIG labels field {} is not {}", sig->labels, rrset.owner().rrsig_labels());
                continue;
            }
            if (sig->original_ttl != rrset.ttl()) {
                problem = fmt::format("RRSIG original TTL {} is not the RRset's TTL {}", sig->original_ttl, rrset.ttl());
                continue;
            }
            if (serial_greater(sig->inception, now_)) {
                problem = "RRSIG inception is in the future";
                continue;
            }
            if (serial_greater(now_, sig->expiration)) {
                problem = "RRSIG has expired";
                continue;
            }
            const Key* key = nullptr;
            bool matched = false;
            for (const Key& k : keys_) {
                if (k.tag != sig->key_tag || k.algorithm != sig->algorithm)
                    continue;
                matched = true;
                if (!options_.signatures || !k.key) {
                    key = &k;
                    break;
                }
                Bytes data(rdata.substr(0, sig->prefix_size));
                append_signed_rrs(data, owner, rrset.type(), rrset.ttl(), rdatas);
                if (k.key->verify(data, sig->signature)) {
                    key = &k;
                    ++verified;
                    break;
                }
            }
            if (!key) {
                problem = matched ? fmt::format("RRSIG by key {} does not verify", sig->key_tag)
                                  : fmt::format("RRSIG by key {}, which is not in the DNSKEY RRset", sig->key_tag);
                // A signature of one of the zone's algorithms that no key
                // of the zone made, beside good ones: left over from a key
                // that is gone, or forged. One of another algorithm is how an
                // algorithm rollover starts (RFC 6781 §4.1.4: the signatures
                // reach the caches before the DNSKEY).
                if (algorithms_.contains(sig->algorithm)
                    && !published_.contains((static_cast<uint32_t>(sig->key_tag) << 8) | sig->algorithm))
                    error(fmt::format("{} has an RRSIG by key {} (algorithm {}), which is not in the DNSKEY RRset",
                                      rrset_name(rrset), sig->key_tag, sig->algorithm));
                continue;
            }
            good_algorithms.set(sig->algorithm);
        }
        // RFC 4035 §2.2: every algorithm of the DNSKEY RRset signs every RRset.
        for (uint8_t algorithm : algorithms_) {
            if (!good_algorithms.test(algorithm)) {
                error(fmt::format("{} has no valid RRSIG with algorithm {}{}", rrset_name(rrset), algorithm,
                                  problem.empty() ? "" : " (" + problem + ")"));
                break;
            }
        }
        return verified;
    }

    void check_signatures()
    {
        std::vector<size_t> todo;
        for (dns::RRsetView rrset : zone_) {
            if (rrset.type() != RRType::RRSIG && rrset.role() == Role::Authoritative)
                todo.push_back(rrset.index());
        }
        report_.rrsets_checked = todo.size();
        std::atomic<size_t> next = 0, verified = 0;
        auto work = [&] {
            for (size_t k; (k = next.fetch_add(1)) < todo.size();)
                verified += check_rrset(todo[k]);
        };
        run_on_threads(options_.threads, work);
        report_.signatures_checked = verified;
    }

    // What a denial record must list at an owner: served types, and RRSIG
    // when there are signatures.
    std::vector<RRType> served_types(size_t first, size_t last, bool skip_nsec3) const
    {
        std::vector<RRType> types;
        for (size_t i = first; i < last; ++i) {
            dns::RRsetView rrset = zone_[i];
            if (rrset.role() == Role::Glue || rrset.role() == Role::Occluded)
                continue;
            if (skip_nsec3 && (rrset.type() == RRType::NSEC3 || rrset.covers() == static_cast<uint16_t>(RRType::NSEC3)))
                continue;
            if (std::find(types.begin(), types.end(), rrset.type()) == types.end())
                types.push_back(rrset.type());
        }
        std::sort(types.begin(), types.end());
        return types;
    }

    struct OwnerRange {
        size_t first, last;
        bool served; // has data served from this zone (not only glue)
        bool delegation, has_ds, nsec3_only;
    };

    std::vector<OwnerRange> owner_ranges() const
    {
        std::vector<OwnerRange> out;
        const dns::Zone& sets = zone_;
        for (size_t start = 0; start < sets.size();) {
            const size_t end = sets.owner_end(start);
            OwnerRange range { start, end, false, false, false, true };
            for (size_t i = start; i < end; ++i) {
                Role role = sets[i].role();
                range.served |= role == Role::Authoritative || role == Role::Delegation;
                range.delegation |= role == Role::Delegation;
                range.has_ds |= sets[i].type() == RRType::DS;
                bool nsec3 = sets[i].type() == RRType::NSEC3
                             || (sets[i].type() == RRType::RRSIG && sets[i].covers() == static_cast<uint16_t>(RRType::NSEC3));
                range.nsec3_only &= nsec3;
            }
            out.push_back(range);
            start = end;
        }
        return out;
    }

    void check_denial()
    {
        if (zone_.find(apex_, RRType::NSEC3PARAM)) {
            report_.denial = "NSEC3";
            check_nsec3();
        } else if (zone_.find(apex_, RRType::NSEC)) {
            report_.denial = "NSEC";
            check_nsec();
        } else {
            report_.denial = "none";
            error("the apex has neither NSEC nor NSEC3PARAM: the zone has no authenticated denial of existence");
        }
    }

    void check_nsec()
    {
        const dns::Zone& sets = zone_;
        auto ranges = owner_ranges();
        std::vector<const OwnerRange*> chain;
        for (const auto& range : ranges) {
            if (range.served)
                chain.push_back(&range);
        }
        for (size_t k = 0; k < chain.size(); ++k) {
            dns::NameView owner = sets[chain[k]->first].owner();
            auto nsec = zone_.find(owner, RRType::NSEC);
            if (!nsec) {
                error(fmt::format("{} has no NSEC record", owner.to_text()));
                continue;
            }
            size_t offset = 0;
            std::string_view rdata = *nsec->rdatas().begin();
            auto next = dns::NameView::from_wire(rdata, offset);
            dns::NameView expected = sets[chain[(k + 1) % chain.size()]->first].owner();
            if (!next || !(*next == expected)) {
                error(fmt::format("NSEC at {} points to {}, but the next name is {}", owner.to_text(),
                                  next ? next->to_text() : "?", expected.to_text()));
                continue;
            }
            auto types = dns::type_bitmap_from_wire(rdata.substr(offset));
            auto want = served_types(chain[k]->first, chain[k]->last, false);
            if (!types || *types != want)
                error(fmt::format("NSEC type bitmap at {} does not match the types there", owner.to_text()));
        }
        for (const auto& range : ranges) {
            if (!range.served && zone_.find(sets[range.first].owner(), RRType::NSEC))
                error(fmt::format("NSEC at {}, which is not authoritative data", sets[range.first].owner().to_text()));
        }
    }

    struct Nsec3Record {
        crypto::Nsec3Hash hash; // from the owner name
        std::string_view next; // next hashed owner
        std::string_view bitmap; // wire
        bool opt_out;
        bool used = false;
    };

    static const crypto::Nsec3Hash& hash_of(const Nsec3Record& record) { return record.hash; }
    static const crypto::Nsec3Hash& hash_of(const crypto::Nsec3Hash& hash) { return hash; }

    // Whether `name` owns data other than NSEC3 records and their signatures.
    bool owns_data(dns::NameView name) const
    {
        const size_t first = zone_.lower_bound(name);
        if (first == zone_.size() || zone_[first].owner() != name)
            return false;
        for (size_t i = first, end = zone_.owner_end(first); i < end; ++i) {
            dns::RRsetView rrset = zone_[i];
            if (rrset.type() != RRType::NSEC3 && rrset.covers() != static_cast<uint16_t>(RRType::NSEC3))
                return true;
        }
        return false;
    }

    void check_nsec3()
    {
        const dns::Zone& sets = zone_;
        std::string_view param = *zone_.find(apex_, RRType::NSEC3PARAM)->rdatas().begin();
        if (param.size() < 5 || param[0] != 1 || param.size() < 5u + static_cast<uint8_t>(param[4])) {
            error("NSEC3PARAM is malformed or uses an unknown hash algorithm");
            return;
        }
        uint16_t iterations = read_u16(param, 2);
        std::string_view salt = param.substr(5, static_cast<uint8_t>(param[4]));
        crypto::Nsec3Hasher hasher(salt, iterations);
        std::vector<Nsec3Record> records;
        auto ranges = owner_ranges();
        for (const auto& range : ranges) {
            for (size_t i = range.first; i < range.last; ++i) {
                if (sets[i].type() != RRType::NSEC3)
                    continue;
                dns::NameView owner = sets[i].owner();
                auto hash = dns::from_base32hex(owner.first_label());
                if (!(owner.parent() == apex_) || !hash || hash->size() != crypto::Nsec3Hash::size) {
                    error(fmt::format("NSEC3 owner {} is not a hash directly below the apex", owner.to_text()));
                    continue;
                }
                std::string_view rdata = *sets[i].rdatas().begin();
                size_t salt_length = rdata.size() > 4 ? static_cast<uint8_t>(rdata[4]) : 0;
                size_t hash_at = 5 + salt_length;
                if (rdata.size() < hash_at + 1 || rdata[0] != 1 || read_u16(rdata, 2) != iterations
                    || rdata.substr(5, salt_length) != salt) {
                    error(fmt::format("NSEC3 at {} does not match the NSEC3PARAM", owner.to_text()));
                    continue;
                }
                size_t next_length = static_cast<uint8_t>(rdata[hash_at]);
                Nsec3Record record { {}, rdata.substr(hash_at + 1, next_length),
                                     rdata.substr(std::min(rdata.size(), hash_at + 1 + next_length)),
                                     (rdata[1] & 1) != 0 };
                std::copy(hash->begin(), hash->end(), record.hash.octets.begin());
                records.push_back(record);
            }
        }
        if (records.empty()) {
            error("NSEC3PARAM at the apex but no NSEC3 records");
            return;
        }
        std::sort(records.begin(), records.end(),
                  [](const Nsec3Record& a, const Nsec3Record& b) { return a.hash < b.hash; });
        for (size_t k = 0; k < records.size(); ++k) {
            const Nsec3Record& following = records[(k + 1) % records.size()];
            if (records[k].next != following.hash.view())
                error(fmt::format("NSEC3 chain broken at {}: next hashed owner is not {}",
                                  dns::to_base32hex(records[k].hash.view()), dns::to_base32hex(following.hash.view())));
        }
        // Names that must (or, under opt-out, may) have an NSEC3 record,
        // taken in hash order and matched against the chain in one pass.
        struct Expected {
            crypto::Nsec3Hash hash;
            dns::NameView name;
            const OwnerRange* range; // null for an empty non-terminal
            bool optional;
        };
        std::vector<Expected> expected;
        std::unordered_map<Bytes, size_t> ents; // lower-cased wire -> index in `expected`
        for (const auto& range : ranges) {
            if (!range.served || range.nsec3_only)
                continue;
            dns::NameView name = sets[range.first].owner();
            bool optional = range.delegation && !range.has_ds;
            crypto::Nsec3Hash hash = hasher.hash(name);
            expected.push_back(Expected { hash, name, &range, optional });
            // RFC 5155 §7.1: an empty non-terminal may go without an NSEC3
            // only when it is "derived from an insecure delegation covered
            // by an Opt-Out NSEC3": every name below it is an insecure
            // delegation without an NSEC3 of its own. One name below it
            // that is not makes it required, whichever came first.
            const bool covered = optional
                && !std::binary_search(records.begin(), records.end(), hash,
                                       [](const auto& a, const auto& b) { return hash_of(a) < hash_of(b); });
            optional = covered;
            for (dns::NameView up = name.parent(); !(up == apex_) && up.is_subdomain_of(apex_); up = up.parent()) {
                if (owns_data(up))
                    break;
                auto [at, added] = ents.try_emplace(up.lowercased().wire(), expected.size());
                if (added) {
                    expected.push_back(Expected { hasher.hash(up), up, nullptr, optional });
                    continue;
                }
                // Seen before, and so were the names above it.
                if (optional || !expected[at->second].optional)
                    break;
                expected[at->second].optional = false;
            }
        }
        std::sort(expected.begin(), expected.end(), [](const Expected& a, const Expected& b) { return a.hash < b.hash; });
        size_t r = 0;
        for (const Expected& want : expected) {
            while (r < records.size() && records[r].hash < want.hash)
                ++r;
            if (r == records.size() || records[r].hash != want.hash) {
                const bool opt_out = (r == 0 ? records.back() : records[r - 1]).opt_out;
                if (want.optional && !opt_out)
                    error(fmt::format("{} {} has no NSEC3 record and no opt-out covers it",
                                      want.range ? "unsigned delegation" : "empty non-terminal", want.name.to_text()));
                else if (!want.optional && !want.range)
                    error(fmt::format("empty non-terminal {} has no NSEC3 record{}", want.name.to_text(),
                                      opt_out ? "; opt-out cannot leave it out, for a name below it is not an insecure delegation "
                                                "that opt-out leaves out (RFC 5155 §7.1)"
                                              : ""));
                else if (!want.optional)
                    error(fmt::format("{} has no NSEC3 record", want.name.to_text()));
                continue;
            }
            Nsec3Record& record = records[r];
            record.used = true;
            const std::vector<RRType> types
                = want.range ? served_types(want.range->first, want.range->last, true) : std::vector<RRType> {};
            // The encoding this signer writes, or one that decodes to the
            // same types.
            if (record.bitmap != dns::type_bitmap_to_wire(types)) {
                auto listed = dns::type_bitmap_from_wire(record.bitmap);
                if (!listed || *listed != types)
                    error(fmt::format("NSEC3 type bitmap for {} does not match the types there", want.name.to_text()));
            }
        }
        for (const auto& record : records) {
            if (!record.used)
                error(fmt::format("NSEC3 record {} matches no name of the zone", dns::to_base32hex(record.hash.view())));
        }
    }

    const dns::Zone& zone_;
    uint32_t now_;
    VerifyOptions options_;
    Name apex_;
    std::vector<Key> keys_;
    std::unordered_set<uint32_t> published_; // key tag << 8 | algorithm of every DNSKEY, revoked ones too
    std::set<uint8_t> algorithms_;
    std::set<uint8_t> unverified_; // algorithms of zone keys that Signet cannot verify
    std::mutex mutex_;
    size_t error_count_ = 0;
    VerifyReport report_;
};

} // namespace

VerifyReport verify_zone(const dns::Zone& zone, TimePoint now, const VerifyOptions& options)
{
    return Verifier(zone, now, options).run();
}

} // namespace signet::signer
