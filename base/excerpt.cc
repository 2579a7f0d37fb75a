#include <signet/base/excerpt.h>

#include <algorithm>
#include <iterator>

#include <fmt/format.h>

namespace signet {

std::string excerpt(std::string_view text, size_t limit)
{
    std::string out;
    out.reserve(std::min(text.size(), limit) + 4);
    for (size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        const bool printable = c >= 0x20 && c < 0x7f;
        const size_t width = printable ? 1 : 4;
        // The mark must follow only text that was really cut: the last
        // characters may fit exactly.
        if (out.size() + width > limit) {
            out += "…";
            return out;
        }
        if (printable)
            out += static_cast<char>(c);
        else
            fmt::format_to(std::back_inserter(out), "\\{:03d}", c);
    }
    return out;
}

std::string one_line(std::string_view text)
{
    while (!text.empty() && text.back() == '\n')
        text.remove_suffix(1);
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (c == '\n')
            out += "; ";
        else
            out += c;
    }
    return out;
}

} // namespace signet
