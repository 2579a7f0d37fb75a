#include <signet/dns/name.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cstring>

#include <fmt/format.h>

#include <signet/base/excerpt.h>

namespace signet::dns {

namespace {

constexpr uint8_t lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + 32) : c; }

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Offsets of the length octets of each label, root excluded; returns the count.
size_t label_offsets(std::string_view wire, std::array<uint8_t, 128>& offsets)
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

// Checks that `wire` holds one valid uncompressed name and nothing else.
[[maybe_unused]] bool is_valid_wire(std::string_view wire)
{
    size_t offset = 0;
    return NameView::from_wire(wire, offset) && offset == wire.size();
}

} // namespace

NameView NameView::from_valid_wire(std::string_view wire)
{
    assert(is_valid_wire(wire));
    return NameView(wire);
}

Result<NameView> NameView::from_wire(std::string_view wire, size_t& offset)
{
    size_t pos = offset;
    while (true) {
        if (pos >= wire.size())
            return fail(ErrorCode::Parse, "domain name runs past the end of the data");
        auto length = static_cast<uint8_t>(wire[pos]);
        if (length == 0)
            break;
        if (length > Name::max_label_length)
            return fail(ErrorCode::Parse, "compressed or invalid label in wire-format name");
        pos += 1 + length;
    }
    ++pos;
    if (pos - offset > Name::max_wire_length)
        return fail(ErrorCode::Parse, "wire-format name longer than 255 octets");
    NameView name(wire.substr(offset, pos - offset));
    offset = pos;
    return name;
}

std::string NameView::to_text() const
{
    std::string out;
    out.reserve(wire_.size() + 8);
    append_text(out);
    return out;
}

void NameView::append_text(std::string& out) const
{
    if (is_root()) {
        out += '.';
        return;
    }
    size_t pos = 0;
    while (auto length = static_cast<uint8_t>(wire_[pos])) {
        for (size_t i = pos + 1; i <= pos + length; ++i) {
            auto c = static_cast<uint8_t>(wire_[i]);
            if (c <= 0x20 || c >= 0x7f) {
                char escape[4] = { '\\', static_cast<char>('0' + c / 100), static_cast<char>('0' + c / 10 % 10),
                                   static_cast<char>('0' + c % 10) };
                out.append(escape, 4);
            } else {
                if (needs_backslash(c))
                    out += '\\';
                out += static_cast<char>(c);
            }
        }
        out += '.';
        pos += 1 + length;
    }
}

size_t NameView::label_count() const
{
    size_t count = 0;
    for (size_t pos = 0; wire_[pos] != '\0'; pos += 1 + static_cast<uint8_t>(wire_[pos]))
        ++count;
    return count;
}

bool NameView::is_wildcard() const { return wire_.size() >= 3 && wire_[0] == 1 && wire_[1] == '*'; }

uint8_t NameView::rrsig_labels() const
{
    return static_cast<uint8_t>(label_count() - (is_wildcard() ? 1 : 0));
}

bool NameView::is_subdomain_of(NameView ancestor) const
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

NameView NameView::parent() const
{
    if (is_root())
        return *this;
    return NameView(wire_.substr(1 + static_cast<uint8_t>(wire_[0])));
}

std::string_view NameView::first_label() const { return wire_.substr(1, static_cast<uint8_t>(wire_[0])); }

std::string_view NameView::lowercased_wire(std::array<char, 255>& buffer) const
{
    // Length octets are below 64 and so never letters: lower-casing every
    // octet lower-cases the labels.
    std::transform(wire_.begin(), wire_.end(), buffer.begin(),
                   [](char c) { return static_cast<char>(lower(static_cast<uint8_t>(c))); });
    return std::string_view(buffer.data(), wire_.size());
}

Name NameView::lowercased() const
{
    std::array<char, 255> buffer;
    return Name(Bytes(lowercased_wire(buffer)));
}

Bytes NameView::canonical_key() const
{
    Bytes key;
    key.reserve(wire_.size() + 2);
    append_canonical_key(key);
    return key;
}

void NameView::append_canonical_key(Bytes& key) const
{
    std::array<uint8_t, 128> offsets;
    size_t count = label_offsets(wire_, offsets);
    // At most every octet escaped, plus one terminator per label.
    const size_t base = key.size();
    key.resize(base + 2 * wire_.size());
    char* out = key.data() + base;
    for (size_t l = count; l-- > 0;) {
        size_t pos = offsets[l];
        auto length = static_cast<uint8_t>(wire_[pos]);
        for (size_t i = pos + 1; i <= pos + length; ++i) {
            uint8_t c = lower(static_cast<uint8_t>(wire_[i]));
            // 0x00 ends a label in the key, so octets 0 and 1 are escaped
            // with 0x01; the mapping keeps the octets' order.
            if (c <= 1) {
                *out++ = '\x01';
                *out++ = static_cast<char>(c + 1);
            } else {
                *out++ = static_cast<char>(c);
            }
        }
        *out++ = '\0';
    }
    key.resize(static_cast<size_t>(out - key.data()));
}

bool operator==(NameView a, NameView b)
{
    std::string_view x = a.wire();
    std::string_view y = b.wire();
    if (x.size() != y.size())
        return false;
    // Length octets are < 64 and never letters, so lower-casing every octet
    // compares labels case-insensitively without walking them.
    for (size_t i = 0; i < x.size(); ++i) {
        if (lower(static_cast<uint8_t>(x[i])) != lower(static_cast<uint8_t>(y[i])))
            return false;
    }
    return true;
}

std::strong_ordering operator<=>(NameView a, NameView b)
{
    // RFC 4034 §6.1: compare labels from the most significant (rightmost),
    // each as a lower-cased octet string; a name sorts before its subdomains.
    std::string_view x = a.wire();
    std::string_view y = b.wire();
    std::array<uint8_t, 128> a_offsets;
    std::array<uint8_t, 128> b_offsets;
    size_t a_count = label_offsets(x, a_offsets);
    size_t b_count = label_offsets(y, b_offsets);
    size_t a_label = a_count;
    size_t b_label = b_count;
    while (a_label > 0 && b_label > 0) {
        --a_label;
        --b_label;
        size_t ap = a_offsets[a_label];
        size_t bp = b_offsets[b_label];
        auto a_length = static_cast<uint8_t>(x[ap]);
        auto b_length = static_cast<uint8_t>(y[bp]);
        // Names of one zone share their last labels, nearly always in the
        // same case: octet-equal labels are equal without lower-casing.
        if (a_length == b_length && std::memcmp(x.data() + ap + 1, y.data() + bp + 1, a_length) == 0)
            continue;
        size_t common = std::min(a_length, b_length);
        for (size_t i = 1; i <= common; ++i) {
            uint8_t ac = lower(static_cast<uint8_t>(x[ap + i]));
            uint8_t bc = lower(static_cast<uint8_t>(y[bp + i]));
            if (ac != bc)
                return ac <=> bc;
        }
        if (a_length != b_length)
            return a_length <=> b_length;
    }
    return a_count <=> b_count;
}

Name::Name()
    : wire_(1, '\0')
{
}

Result<Name> Name::from_text(std::string_view text, std::optional<NameView> origin)
{
    Bytes wire;
    wire.reserve(text.size() + 2 + (origin ? origin->wire().size() : 0));
    SIGNET_TRY(append_from_text(text, origin, wire));
    return Name(std::move(wire));
}

Result<void> Name::append_from_text(std::string_view text, std::optional<NameView> origin, Bytes& out)
{
    if (text.empty())
        return fail(ErrorCode::Parse, "empty domain name");
    if (text.size() == 1) {
        if (text[0] == '@') {
            if (!origin)
                return fail(ErrorCode::Parse, "'@' used but no origin is known");
            out += origin->wire();
            return {};
        }
        if (text[0] == '.') {
            out.push_back('\0');
            return {};
        }
    }

    const size_t start = out.size();
    const size_t n = text.size();
    size_t i = 0;
    while (true) {
        // One label: its length octet, then its octets, copied in runs
        // between escapes.
        const size_t label_start = out.size();
        out.push_back('\0');
        while (i < n && text[i] != '.') {
            if (text[i] != '\\') {
                size_t end = i + 1;
                while (end < n && text[end] != '.' && text[end] != '\\')
                    ++end;
                out.append(text.data() + i, end - i);
                i = end;
            } else {
                if (i + 1 >= n)
                    return fail(ErrorCode::Parse,
                        fmt::format("domain name '{}' ends in a lone backslash", excerpt(text)));
                if (is_digit(text[i + 1])) {
                    if (i + 3 >= n || !is_digit(text[i + 2]) || !is_digit(text[i + 3]))
                        return fail(ErrorCode::Parse,
                            fmt::format("bad \\DDD escape in domain name '{}'", excerpt(text)));
                    int value = (text[i + 1] - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
                    if (value > 255)
                        return fail(ErrorCode::Parse,
                            fmt::format("\\DDD escape above 255 in domain name '{}'", excerpt(text)));
                    out.push_back(static_cast<char>(value));
                    i += 4;
                } else {
                    out.push_back(text[i + 1]);
                    i += 2;
                }
            }
            if (out.size() - label_start - 1 > max_label_length)
                return fail(ErrorCode::Parse,
                    fmt::format("label longer than 63 octets in domain name '{}'", excerpt(text)));
        }
        size_t length = out.size() - label_start - 1;
        if (length == 0)
            return fail(ErrorCode::Parse, fmt::format("empty label in domain name '{}'", excerpt(text)));
        out[label_start] = static_cast<char>(length);
        if (i == n) {
            if (!origin)
                return fail(ErrorCode::Parse,
                    fmt::format("relative domain name '{}' but no origin is known", excerpt(text)));
            out += origin->wire();
            break;
        }
        ++i; // the dot
        if (i == n) {
            out.push_back('\0');
            break;
        }
    }
    if (out.size() - start > max_wire_length)
        return fail(ErrorCode::Parse, fmt::format("domain name '{}' is longer than 255 octets", excerpt(text)));
    return {};
}

Result<Name> Name::from_wire(std::string_view wire, size_t& offset)
{
    return Name(SIGNET_TRY(NameView::from_wire(wire, offset)));
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

size_t NameHash::operator()(NameView name) const
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
