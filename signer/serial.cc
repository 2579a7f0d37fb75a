#include <signet/signer/plan.h>

#include <chrono>

namespace signet::signer {

uint32_t next_serial(SerialMode mode, uint32_t input, std::optional<uint32_t> last, int64_t unix_now)
{
    uint32_t candidate = input;
    switch (mode) {
    case SerialMode::Keep: candidate = input; break;
    case SerialMode::Counter: candidate = last ? *last + 1 : input; break;
    case SerialMode::Unixtime: candidate = static_cast<uint32_t>(unix_now); break;
    case SerialMode::Datecounter: {
        auto days = std::chrono::floor<std::chrono::days>(std::chrono::sys_seconds(std::chrono::seconds(unix_now)));
        std::chrono::year_month_day date(days);
        candidate = static_cast<uint32_t>(static_cast<int>(date.year()) * 1000000
                                          + static_cast<int>(static_cast<unsigned>(date.month())) * 10000
                                          + static_cast<int>(static_cast<unsigned>(date.day())) * 100);
        break;
    }
    }
    // A clock or date behind the input's own serial (say a YYYYMMDDnn serial
    // under the unixtime policy) must not make the serial go down.
    if (mode != SerialMode::Keep && serial_greater(input, candidate))
        candidate = input;
    if (last && !serial_greater(candidate, *last))
        candidate = *last + 1;
    return candidate;
}

} // namespace signet::signer
