#include <signet/crypto/algorithm.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace signet::crypto {

namespace {

struct AlgorithmName {
    Algorithm algorithm;
    std::string_view text;
};

constexpr std::array algorithm_names {
    AlgorithmName { Algorithm::RSASHA256, "RSASHA256" },
    AlgorithmName { Algorithm::RSASHA512, "RSASHA512" },
    AlgorithmName { Algorithm::ECDSAP256SHA256, "ECDSAP256SHA256" },
    AlgorithmName { Algorithm::ECDSAP384SHA384, "ECDSAP384SHA384" },
    AlgorithmName { Algorithm::ED25519, "ED25519" },
    AlgorithmName { Algorithm::ED448, "ED448" },
};

bool equal_ignoring_case(std::string_view a, std::string_view b)
{
    return std::ranges::equal(a, b, [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
    });
}

} // namespace

std::string_view algorithm_to_text(Algorithm algorithm)
{
    for (const auto& entry : algorithm_names) {
        if (entry.algorithm == algorithm)
            return entry.text;
    }
    return "unknown";
}

std::optional<Algorithm> algorithm_from_text(std::string_view text)
{
    unsigned number = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    bool numeric = ec == std::errc() && end == text.data() + text.size();
    for (const auto& entry : algorithm_names) {
        if (numeric ? static_cast<unsigned>(entry.algorithm) == number : equal_ignoring_case(entry.text, text))
            return entry.algorithm;
    }
    return std::nullopt;
}

bool is_rsa(Algorithm algorithm) { return algorithm == Algorithm::RSASHA256 || algorithm == Algorithm::RSASHA512; }

unsigned fixed_key_bits(Algorithm algorithm)
{
    switch (algorithm) {
    case Algorithm::ECDSAP256SHA256: return 256;
    case Algorithm::ECDSAP384SHA384: return 384;
    case Algorithm::ED25519: return 256;
    case Algorithm::ED448: return 456;
    default: return 0;
    }
}

std::optional<DigestType> digest_type_from_text(std::string_view text)
{
    if (equal_ignoring_case(text, "sha1") || text == "1")
        return DigestType::SHA1;
    if (equal_ignoring_case(text, "sha256") || equal_ignoring_case(text, "sha-256") || text == "2")
        return DigestType::SHA256;
    if (equal_ignoring_case(text, "sha384") || equal_ignoring_case(text, "sha-384") || text == "4")
        return DigestType::SHA384;
    return std::nullopt;
}

std::string_view digest_type_to_text(DigestType type)
{
    switch (type) {
    case DigestType::SHA1: return "SHA-1";
    case DigestType::SHA256: return "SHA-256";
    case DigestType::SHA384: return "SHA-384";
    }
    return "unknown";
}

} // namespace signet::crypto
