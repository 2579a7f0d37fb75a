#include <signet/enforcer/model.h>

#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>

namespace signet::enforcer {

namespace {

template <typename E>
struct Named {
    E value;
    std::string_view text;
};

constexpr std::array role_names {
    Named<KeyRole> { KeyRole::KSK, "ksk" },
    Named<KeyRole> { KeyRole::ZSK, "zsk" },
    Named<KeyRole> { KeyRole::CSK, "csk" },
};

constexpr std::array goal_names {
    Named<KeyGoal> { KeyGoal::Present, "present" },
    Named<KeyGoal> { KeyGoal::Absent, "absent" },
};

constexpr std::array state_names {
    Named<RecordState> { RecordState::NotApplicable, "na" },
    Named<RecordState> { RecordState::Hidden, "hidden" },
    Named<RecordState> { RecordState::Rumoured, "rumoured" },
    Named<RecordState> { RecordState::Omnipresent, "omnipresent" },
    Named<RecordState> { RecordState::Unretentive, "unretentive" },
};

constexpr std::array ds_names {
    Named<DsAtParent> { DsAtParent::Unsubmitted, "unsubmitted" },
    Named<DsAtParent> { DsAtParent::Submit, "submit" },
    Named<DsAtParent> { DsAtParent::Submitted, "submitted" },
    Named<DsAtParent> { DsAtParent::Seen, "seen" },
    Named<DsAtParent> { DsAtParent::Retract, "retract" },
    Named<DsAtParent> { DsAtParent::Retracted, "retracted" },
};

template <typename E, size_t N>
std::string_view name_of(const std::array<Named<E>, N>& names, E value)
{
    for (const auto& entry : names) {
        if (entry.value == value)
            return entry.text;
    }
    return "unknown";
}

template <typename E, size_t N>
std::optional<E> value_of(const std::array<Named<E>, N>& names, std::string_view text)
{
    for (const auto& entry : names) {
        bool same = std::ranges::equal(entry.text, text, [](char a, char b) {
            return a == std::tolower(static_cast<unsigned char>(b));
        });
        if (same)
            return entry.value;
    }
    return std::nullopt;
}

} // namespace

std::string_view key_role_to_text(KeyRole role) { return name_of(role_names, role); }
std::string_view key_goal_to_text(KeyGoal goal) { return name_of(goal_names, goal); }
std::string_view record_state_to_text(RecordState state) { return name_of(state_names, state); }
std::string_view ds_at_parent_to_text(DsAtParent ds) { return name_of(ds_names, ds); }

std::optional<KeyRole> key_role_from_text(std::string_view text) { return value_of(role_names, text); }
std::optional<KeyGoal> key_goal_from_text(std::string_view text) { return value_of(goal_names, text); }
std::optional<RecordState> record_state_from_text(std::string_view text) { return value_of(state_names, text); }
std::optional<DsAtParent> ds_at_parent_from_text(std::string_view text) { return value_of(ds_names, text); }

Result<std::string> normalise_zone_name(std::string_view name)
{
    auto parsed = dns::Name::from_text(name, dns::NameView());
    if (!parsed) {
        Error error = parsed.error();
        error.with_context(fmt::format("zone name '{}'", name));
        return fail(std::move(error));
    }
    return parsed->lowercased().to_text();
}

std::string key_name(const KeyEntry& key)
{
    return fmt::format("{} {} ({})", key_role_to_text(key.role), key.key_tag, crypto::algorithm_to_text(key.algorithm));
}

} // namespace signet::enforcer
