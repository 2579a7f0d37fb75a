#include <signet/dns/name.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cctype>

#include <fmt/format.h>

namespace signet::dns {

namespace {

constexpr uint8_t lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + 32) : c; }

// Offsets of the length octets of each label, root excluded; returns the count.
size_t label_offsets(const Bytes& wire, std::array<uint8_t, 128>& offsets)
{
    size_t count = 0;
    size_t pos = 0;
    while (static_cast<uint8_t>(wire[pos]) != 0) {
        offsets[count++] = static_cast<uint8_t>(pos);
        pos += 1 + static_cast<uint8_t>(wire[pos]);
    }
    return count;
}

// Characters that must be escaped in presentation format so that a name reads
// back the same in a master file (RFC 1035 §5.1, plus "@" and "$" which BIND
// and others treat specially at the start of a token).
bool needs_backslash(uint8_t c)
{
    switch (c) {
    case '.': case ';': case '\\': case '(': case ')': case '"': case '@': case '$':
        return true;
    default:
        return false;
    }
}

} // namespace

Name::Name()
    : wire_(1, '\0')
{
}

Result<Name> Name::from_text(std::string_view text, const Name* origin)
{
    if (text.empty())
        return fail(ErrorCode::Parse, "empty domain name");
    if (text == "@") {
        if (!origin)
            return fail(ErrorCode::Parse, "'@' used but no origin is known");
        return *origin;
    }
    if (text == ".")
        return Name();

    Bytes wire;
    wire.reserve(text.size() + 2);
    size_t label_start = 0;
    wire.push_back('\0');
    bool absolute = false;
    for (size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<uint8_t>(text[i]);
        if (c == '.') {
            size_t length = wire.size() - label_start - 1;
            if (length == 0)
                return fail(ErrorCode::Parse, fmt::format("empty label in domain name '{}'", text));
            wire[label_start] = static_cast<char>(length);
            if (i + 1 == text.size()) {
                absolute = true;
                break;
            }
            label_start = wire.size();
            wire.push_back('\0');
            continue;
        }
        if (c == '\\') {
            if (i + 1 >= text.size())
                return fail(ErrorCode::Parse, fmt::format("domain name '{}' ends in a lone backslash", text));
            if (std::isdigit(static_cast<unsigned char>(text[i + 1]))) {
                if (i + 3 >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i + 2]))
                    || !std::isdigit(static_cast<unsigned char>(text[i + 3])))
                    return fail(ErrorCode::Parse, fmt::format("bad \\DDD escape in domain name '{}'", text));
                int value = (text[i + 1] - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
                if (value > 255)
                    return fail(ErrorCode::Parse, fmt::format("\\DDD escape above 255 in domain name '{}'", text));
                c = static_cast<uint8_t>(value);
                i += 3;
            } else {
                c = static_cast<uint8_t>(text[++i]);
            }
        }
        wire.push_back(static_cast<char>(c));
        if (wire.size() - label_start - 1 > max_label_length)
            return fail(ErrorCode::Parse, fmt::format("label longer than 63 octets in domain name '{}'", text));
    }
    if (!absolute) {
        size_t length = wire.size() - label_start - 1;
        if (length == 0)
            return fail(ErrorCode::Parse, fmt::format("empty label in domain name '{}'", text));
        wire[label_start] = static_cast<char>(length);
        if (!origin)
            return fail(ErrorCode::Parse, fmt::format("relative domain name '{}' but no origin is known", text));
        wire += origin->wire_;
    } else {
        wire.push_back('\0');
    }
    if (wire.size() > max_wire_length)
        return fail(ErrorCode::Parse, fmt::format("domain name '{}' is longer than 255 octets", text));
    return Name(std::move(wire));
}

Result<Name> Name::from_wire(std::string_view wire, size_t& offset)
{
    size_t pos = offset;
    while (true) {
        if (pos >= wire.size())
            return fail(ErrorCode::Parse, "domain name runs past the end of the data");
        auto length = static_cast<uint8_t>(wire[pos]);
        if (length == 0)
            break;
        if (length > max_label_length)
            return fail(ErrorCode::Parse, "compressed or invalid label in wire-format name");
        pos += 1 + length;
    }
    ++pos;
    if (pos - offset > max_wire_length)
        return fail(ErrorCode::Parse, "wire-format name longer than 255 octets");
    Name name(Bytes(wire.substr(offset, pos - offset)));
    offset = pos;
    return name;
}

Name Name::from_valid_wire(std::string_view wire)
{
    assert(!wire.empty() && wire.back() == '\0');
    return Name(Bytes(wire));
}

std::string Name::to_text() const
{
    if (is_root())
        return ".";
    std::string out;
    out.reserve(wire_.size() + 8);
    size_t pos = 0;
    while (auto length = static_cast<uint8_t>(wire_[pos])) {
        for (size_t i = pos + 1; i <= pos + length; ++i) {
            auto c = static_cast<uint8_t>(wire_[i]);
            if (c <= 0x20 || c >= 0x7f) {
                out += fmt::format("\\{:03d}", c);
            } else {
                if (needs_backslash(c))
                    out += '\\';
                out += static_cast<char>(c);
            }
        }
        out += '.';
        pos += 1 + length;
    }
    return out;
}

size_t Name::label_count() const
{
    size_t count = 0;
    for (size_t pos = 0; wire_[pos] != '\0'; pos += 1 + static_cast<uint8_t>(wire_[pos]))
        ++count;
    return count;
}

bool Name::is_wildcard() const { return wire_.size() >= 3 && wire_[0] == 1 && wire_[1] == '*'; }

uint8_t Name::rrsig_labels() const
{
    return static_cast<uint8_t>(label_count() - (is_wildcard() ? 1 : 0));
}

bool Name::is_subdomain_of(const Name& ancestor) const
{
    if (ancestor.wire_.size() > wire_.size())
        return false;
    // Walk our labels until the remaining suffix has the ancestor's length;
    // comparing at a label boundary avoids matching "xample." in "example.".
    size_t pos = 0;
    size_t skip = wire_.size() - ancestor.wire_.size();
    while (pos < skip)
        pos += 1 + static_cast<uint8_t>(wire_[pos]);
    if (pos != skip)
        return false;
    for (size_t i = 0; i < ancestor.wire_.size(); ++i) {
        if (lower(static_cast<uint8_t>(wire_[pos + i])) != lower(static_cast<uint8_t>(ancestor.wire_[i])))
            return false;
    }
    return true;
}

Name Name::parent() const
{
    if (is_root())
        return *this;
    return Name(wire_.substr(1 + static_cast<uint8_t>(wire_[0])));
}

std::string_view Name::first_label() const
{
    return std::string_view(wire_).substr(1, static_cast<uint8_t>(wire_[0]));
}

Result<Name> Name::prepend(std::string_view label) const
{
    if (label.empty() || label.size() > max_label_length)
        return fail(ErrorCode::Parse, "label must be 1 to 63 octets");
    if (wire_.size() + label.size() + 1 > max_wire_length)
        return fail(ErrorCode::Parse, "domain name would be longer than 255 octets");
    Bytes wire;
    wire.reserve(wire_.size() + label.size() + 1);
    wire.push_back(static_cast<char>(label.size()));
    wire += label;
    wire += wire_;
    return Name(std::move(wire));
}

Name Name::lowercased() const
{
    Bytes wire = wire_;
    size_t pos = 0;
    while (auto length = static_cast<uint8_t>(wire[pos])) {
        for (size_t i = pos + 1; i <= pos + length; ++i)
            wire[i] = static_cast<char>(lower(static_cast<uint8_t>(wire[i])));
        pos += 1 + length;
    }
    return Name(std::move(wire));
}

Bytes Name::canonical_key() const
{
    std::array<uint8_t, 128> offsets;
    size_t count = label_offsets(wire_, offsets);
    Bytes key;
    key.reserve(wire_.size() + 2);
    for (size_t l = count; l-- > 0;) {
        size_t pos = offsets[l];
        auto length = static_cast<uint8_t>(wire_[pos]);
        for (size_t i = pos + 1; i <= pos + length; ++i) {
            uint8_t c = lower(static_cast<uint8_t>(wire_[i]));
            // 0x00 ends a label in the key, so octets 0 and 1 are escaped
            // with 0x01; the mapping keeps the octets' order.
            if (c <= 1) {
                key.push_back('\x01');
                key.push_back(static_cast<char>(c + 1));
            } else {
                key.push_back(static_cast<char>(c));
            }
        }
        key.push_back('\0');
    }
    return key;
}

bool Name::operator==(const Name& other) const
{
    if (wire_.size() != other.wire_.size())
        return false;
    // Length octets are < 64 and never letters, so lower-casing every octet
    // compares labels case-insensitively without walking them.
    for (size_t i = 0; i < wire_.size(); ++i) {
        if (lower(static_cast<uint8_t>(wire_[i])) != lower(static_cast<uint8_t>(other.wire_[i])))
            return false;
    }
    return true;
}

std::strong_ordering Name::operator<=>(const Name& other) const
{
    // RFC 4034 §6.1: compare labels from the most significant (rightmost),
    // each as a lower-cased octet string; a name sorts before its subdomains.
    std::array<uint8_t, 128> a_offsets;
    std::array<uint8_t, 128> b_offsets;
    size_t a_count = label_offsets(wire_, a_offsets);
    size_t b_count = label_offsets(other.wire_, b_offsets);
    size_t a_label = a_count;
    size_t b_label = b_count;
    while (a_label > 0 && b_label > 0) {
        --a_label;
        --b_label;
        size_t ap = a_offsets[a_label];
        size_t bp = b_offsets[b_label];
        auto a_length = static_cast<uint8_t>(wire_[ap]);
        auto b_length = static_cast<uint8_t>(other.wire_[bp]);
        size_t common = std::min(a_length, b_length);
        for (size_t i = 1; i <= common; ++i) {
            uint8_t a = lower(static_cast<uint8_t>(wire_[ap + i]));
            uint8_t b = lower(static_cast<uint8_t>(other.wire_[bp + i]));
            if (a != b)
                return a <=> b;
        }
        if (a_length != b_length)
            return a_length <=> b_length;
    }
    return a_count <=> b_count;
}

size_t NameHash::operator()(const Name& name) const
{
    // FNV-1a over the lower-cased wire form.
    uint64_t hash = 14695981039346656037ull;
    for (char c : name.wire()) {
        hash ^= lower(static_cast<uint8_t>(c));
        hash *= 1099511628211ull;
    }
    return static_cast<size_t>(hash);
}

} // namespace signet::dns
