// Domain names, held as uncompressed wire-format labels (RFC 1035 §3.1) with
// their original case. Equality ignores ASCII case; the one ordering is the
// canonical DNS order of RFC 4034 §6.1.
//
// Two types. Name owns its wire bytes. NameView looks at the wire bytes of a
// name kept elsewhere (in a Name, in a Zone's arena, inside RDATA) without
// copying them, and is valid only as long as those bytes are. Every
// read-only operation is NameView's; Name offers the same ones by forwarding
// to view(), and converts to a NameView wherever one is expected.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <signet/base/error.h>

namespace signet::dns {

// Wire bytes (names, RDATA) are kept in std::string: it is a compact byte
// container with a small-buffer optimisation that most A records and short
// names fit in.
using Bytes = std::string;

class Name;

class NameView {
public:
    // The root name.
    constexpr NameView()
        : wire_("", 1)
    {
    }

    // Trusts `wire` to be exactly one valid uncompressed name (checked in
    // debug builds).
    static NameView from_valid_wire(std::string_view wire);
    // Checks the uncompressed name at `offset` of `wire` and advances
    // `offset` past it; the view looks into `wire`.
    static Result<NameView> from_wire(std::string_view wire, size_t& offset);

    std::string_view wire() const { return wire_; }
    // Absolute presentation form with a final dot; special characters escaped
    // so that Name::from_text() reads the same name back.
    std::string to_text() const;
    void append_text(std::string& out) const;

    size_t label_count() const; // the root label is not counted
    bool is_root() const { return wire_.size() == 1; }
    bool is_wildcard() const; // first label is "*"
    // The "Labels" field of an RRSIG over this owner (RFC 4034 §3.1.3).
    uint8_t rrsig_labels() const;

    // True when this name equals `ancestor` or lies below it.
    bool is_subdomain_of(NameView ancestor) const;
    // This name without its first label, a view of the same bytes; the
    // root's parent is the root.
    NameView parent() const;
    // The first label, without its length octet.
    std::string_view first_label() const;
    Name lowercased() const;
    // The lower-cased wire form (RFC 4034 §6.2) written into `buffer`,
    // without allocating: for hashing or signing many names.
    std::string_view lowercased_wire(std::array<char, 255>& buffer) const;

    // Bytes whose plain byte order is the canonical order of the names, for
    // sorting many names fast: labels reversed, lower-cased and escaped so
    // that no label contains the 0x00 that ends it.
    Bytes canonical_key() const;
    void append_canonical_key(Bytes& out) const;

private:
    friend class Name;
    explicit constexpr NameView(std::string_view wire)
        : wire_(wire)
    {
    }
    std::string_view wire_;
};

// Case-insensitive equality, and the canonical order (RFC 4034 §6.1). Names
// compare through these too, by their implicit conversion to NameView.
bool operator==(NameView a, NameView b);
std::strong_ordering operator<=>(NameView a, NameView b);

class Name {
public:
    static constexpr size_t max_wire_length = 255;
    static constexpr size_t max_label_length = 63;

    // The root name.
    Name();
    // Copies the bytes a view looks at.
    explicit Name(NameView view)
        : wire_(view.wire())
    {
    }

    // Parses presentation format: "\DDD" and "\X" escapes, "@" for the origin,
    // names without a final dot are relative to `origin`. Without an origin a
    // relative name is an error.
    static Result<Name> from_text(std::string_view text, std::optional<NameView> origin = std::nullopt);
    // The same with the origin by pointer; nullptr for none.
    static Result<Name> from_text(std::string_view text, const Name* origin)
    {
        return from_text(text, origin ? std::optional<NameView>(*origin) : std::nullopt);
    }
    // The same, appending the wire form to `out` instead of making a Name:
    // for parsers that build wire data in place. On failure `out` may hold
    // part of the name.
    static Result<void> append_from_text(std::string_view text, std::optional<NameView> origin, Bytes& out);
    // Reads an uncompressed name at `offset`, advancing it.
    static Result<Name> from_wire(std::string_view wire, size_t& offset);
    // Trusts `wire` to be a valid uncompressed name (checked in debug builds).
    static Name from_valid_wire(std::string_view wire) { return Name(NameView::from_valid_wire(wire)); }

    const Bytes& wire() const { return wire_; }
    // A view of this name's bytes: valid until this Name changes or dies, so
    // do not keep one of a temporary.
    NameView view() const { return NameView(std::string_view(wire_)); }
    operator NameView() const { return view(); }

    // The read-only operations of NameView.
    std::string to_text() const { return view().to_text(); }
    size_t label_count() const { return view().label_count(); }
    bool is_root() const { return wire_.size() == 1; }
    bool is_wildcard() const { return view().is_wildcard(); }
    uint8_t rrsig_labels() const { return view().rrsig_labels(); }
    bool is_subdomain_of(NameView ancestor) const { return view().is_subdomain_of(ancestor); }
    Name parent() const { return Name(view().parent()); }
    std::string_view first_label() const { return view().first_label(); }
    Name lowercased() const { return view().lowercased(); }
    Bytes canonical_key() const { return view().canonical_key(); }

    // Prepends one label (raw octets).
    Result<Name> prepend(std::string_view label) const;

private:
    friend class NameView;
    explicit Name(Bytes&& wire)
        : wire_(std::move(wire))
    {
    }
    Bytes wire_;
};

// Case-insensitive hash, for unordered containers of names.
struct NameHash {
    size_t operator()(NameView name) const;
};

} // namespace signet::dns
