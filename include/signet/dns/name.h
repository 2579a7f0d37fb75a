// Domain names, held as uncompressed wire-format labels (RFC 1035 §3.1) with
// their original case. Equality ignores ASCII case; the one ordering is the
// canonical DNS order of RFC 4034 §6.1.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <signet/base/error.h>

namespace signet::dns {

// Wire bytes (names, RDATA) are kept in std::string: it is a compact byte
// container with a small-buffer optimisation that most A records and short
// names fit in.
using Bytes = std::string;

class Name {
public:
    static constexpr size_t max_wire_length = 255;
    static constexpr size_t max_label_length = 63;

    // The root name.
    Name();

    // Parses presentation format: "\DDD" and "\X" escapes, "@" for the origin,
    // names without a final dot are relative to `origin`. Without an origin a
    // relative name is an error.
    static Result<Name> from_text(std::string_view text, const Name* origin = nullptr);
    // Reads an uncompressed name at `offset`, advancing it.
    static Result<Name> from_wire(std::string_view wire, size_t& offset);
    // Trusts `wire` to be a valid uncompressed name (checked in debug builds).
    static Name from_valid_wire(std::string_view wire);

    const Bytes& wire() const { return wire_; }
    // Absolute presentation form with a final dot; special characters escaped
    // so that from_text() reads the same name back.
    std::string to_text() const;

    size_t label_count() const; // the root label is not counted
    bool is_root() const { return wire_.size() == 1; }
    bool is_wildcard() const; // first label is "*"
    // The "Labels" field of an RRSIG over this owner (RFC 4034 §3.1.3).
    uint8_t rrsig_labels() const;

    // True when this name equals `ancestor` or lies below it.
    bool is_subdomain_of(const Name& ancestor) const;
    // This name without its first label; the root's parent is the root.
    Name parent() const;
    // The first label, without its length octet.
    std::string_view first_label() const;
    // Prepends one label (raw octets).
    Result<Name> prepend(std::string_view label) const;
    Name lowercased() const;

    // Bytes whose plain byte order is the canonical order of the names, for
    // sorting many names fast. Labels reversed, lower-cased and escaped.
    Bytes canonical_key() const;

    bool operator==(const Name& other) const;
    std::strong_ordering operator<=>(const Name& other) const;

private:
    explicit Name(Bytes wire)
        : wire_(std::move(wire))
    {
    }
    Bytes wire_;
};

// Case-insensitive hash, for unordered containers of names.
struct NameHash {
    size_t operator()(const Name& name) const;
};

} // namespace signet::dns
