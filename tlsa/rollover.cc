#include <signet/tlsa/rollover.h>

#include <algorithm>

namespace signet::tlsa {

namespace {

bool contains(const std::vector<Record>& records, const Record& record)
{
    return std::ranges::find(records, record) != records.end();
}

const PublishedRecord* find_published(const std::vector<PublishedRecord>& published, const Record& record)
{
    auto it = std::ranges::find_if(published, [&](const PublishedRecord& p) { return p.record == record; });
    return it == published.end() ? nullptr : &*it;
}

} // namespace

std::vector<PublishedRecord> after_signing(const std::vector<PublishedRecord>& before,
                                           const std::vector<Record>& records, TimePoint at)
{
    std::vector<PublishedRecord> after;
    for (const auto& record : records) {
        if (std::ranges::any_of(after, [&](const PublishedRecord& p) { return p.record == record; }))
            continue;
        const PublishedRecord* kept = find_published(before, record);
        after.push_back({ record, kept ? kept->since : at });
    }
    return after;
}

std::string_view role_to_text(RecordRole role)
{
    switch (role) {
    case RecordRole::Current: return "current";
    case RecordRole::Next: return "next";
    case RecordRole::Both: return "both";
    case RecordRole::Leaving: return "leaving";
    }
    return "current";
}

std::string_view switch_state_to_text(SwitchState state)
{
    switch (state) {
    case SwitchState::NoNext: return "no-next";
    case SwitchState::SignFirst: return "sign-first";
    case SwitchState::Wait: return "wait";
    case SwitchState::Safe: return "safe";
    }
    return "no-next";
}

RolloverPlan plan_rollover(const RolloverInput& input)
{
    RolloverPlan plan;
    const std::vector<Record> none;
    const std::vector<Record>& next = input.next ? *input.next : none;
    auto plan_record = [&](const Record& record, RecordRole role) {
        PlannedRecord planned { record, role, std::nullopt, std::nullopt };
        if (const PublishedRecord* published = find_published(input.published, record)) {
            planned.since = published->since;
            planned.everywhere_at = published->since + input.ttl + input.propagation_delay;
        }
        plan.records.push_back(std::move(planned));
    };
    for (const auto& record : input.current) {
        if (contains(plan.to_publish, record))
            continue;
        plan.to_publish.push_back(record);
        plan_record(record, contains(next, record) ? RecordRole::Both : RecordRole::Current);
        if (!contains(next, record) && input.next)
            plan.old_only.push_back(record);
    }
    for (const auto& record : next) {
        if (contains(plan.to_publish, record))
            continue;
        plan.to_publish.push_back(record);
        plan_record(record, RecordRole::Next);
    }
    for (const auto& published : input.published) {
        if (!contains(plan.to_publish, published.record))
            plan_record(published.record, RecordRole::Leaving);
    }

    if (!input.published.empty()) {
        for (const auto& record : input.current) {
            if (!find_published(input.published, record) && !contains(plan.unannounced, record))
                plan.unannounced.push_back(record);
        }
    }

    if (!input.next)
        return plan;
    // Switching needs every record that only the next certificate matches
    // in every cache; records it shares with the current certificate are
    // there already (or, if not, the current certificate is in the same
    // trouble, which `unannounced` reports).
    plan.switch_state = SwitchState::Safe;
    for (const auto& planned : plan.records) {
        if (planned.role != RecordRole::Next)
            continue;
        if (!planned.everywhere_at) {
            plan.switch_state = SwitchState::SignFirst;
            plan.switch_at.reset();
            break;
        }
        plan.switch_at = plan.switch_at ? std::max(*plan.switch_at, *planned.everywhere_at) : *planned.everywhere_at;
    }
    if (plan.switch_state == SwitchState::Safe && plan.switch_at && input.now < *plan.switch_at)
        plan.switch_state = SwitchState::Wait;
    return plan;
}

} // namespace signet::tlsa
