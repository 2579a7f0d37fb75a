#include <gtest/gtest.h>

#include <algorithm>

#include <signet/dns/name.h>

namespace signet::dns::name_test {
namespace {

Name name(std::string_view text)
{
    auto n = Name::from_text(text);
    EXPECT_TRUE(n) << text << ": " << (n ? "" : n.error().to_string());
    return n ? *n : Name();
}

TEST(Name, ParsesAbsoluteAndRelative)
{
    Name origin = name("example.com.");
    EXPECT_EQ(origin.wire(), std::string("\x07" "example\x03" "com\x00", 13));
    EXPECT_EQ(Name::from_text("www", origin)->to_text(), "www.example.com.");
    EXPECT_EQ(Name::from_text("@", origin)->to_text(), "example.com.");
    EXPECT_EQ(Name::from_text("www.other.", origin)->to_text(), "www.other.");
    EXPECT_FALSE(Name::from_text("www"));
    EXPECT_EQ(name(".").to_text(), ".");
    EXPECT_TRUE(name(".").is_root());
}

TEST(Name, EscapesRoundTrip)
{
    // "\." is a dot inside a label, "\DDD" a decimal octet.
    Name n = name("a\\.b.c\\032d.\\000\\255.example.");
    EXPECT_EQ(n.label_count(), 4u);
    EXPECT_EQ(n.first_label(), "a.b");
    EXPECT_EQ(n.to_text(), "a\\.b.c\\032d.\\000\\255.example.");
    EXPECT_EQ(name(n.to_text()), n);
    EXPECT_EQ(name("q\\\"t\\;\\(\\).example.").to_text(), "q\\\"t\\;\\(\\).example.");
    EXPECT_EQ(name("\\065bc.").to_text(), "Abc.");
    EXPECT_FALSE(Name::from_text("a\\25.example."));
    EXPECT_FALSE(Name::from_text("a\\256.example."));
    EXPECT_FALSE(Name::from_text("a\\"));
}

TEST(Name, EnforcesLimits)
{
    std::string label63(63, 'a');
    EXPECT_TRUE(Name::from_text(label63 + "."));
    EXPECT_FALSE(Name::from_text(label63 + "a."));
    // 4 labels of 63 = 256 octets with length octets + root: too long.
    std::string long_name = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b') + ".";
    EXPECT_TRUE(Name::from_text(long_name)); // 64*3 + 62 + 1 = 255
    EXPECT_FALSE(Name::from_text("c" + long_name));
    EXPECT_FALSE(Name::from_text("a..b."));
    EXPECT_FALSE(Name::from_text(".a."));
    EXPECT_FALSE(Name::from_text(""));
}

TEST(Name, EqualityIgnoresCase)
{
    EXPECT_EQ(name("WWW.Example.COM."), name("www.example.com."));
    EXPECT_NE(name("www.example.com."), name("ww.example.com."));
    EXPECT_EQ(NameHash()(name("A.b.")), NameHash()(name("a.B.")));
    EXPECT_EQ(name("WWW.Example.").lowercased().to_text(), "www.example.");
}

TEST(Name, CanonicalOrderOfRfc4034Section61)
{
    // The example list of RFC 4034 §6.1, in its canonical order.
    std::vector<std::string> expected = {
        "example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.", "zABC.a.EXAMPLE.",
        "z.example.", "\\001.z.example.", "*.z.example.", "\\200.z.example.",
    };
    std::vector<Name> names;
    for (auto it = expected.rbegin(); it != expected.rend(); ++it)
        names.push_back(name(*it));
    std::sort(names.begin(), names.end());
    for (size_t i = 0; i < expected.size(); ++i)
        EXPECT_EQ(names[i].to_text(), name(expected[i]).to_text()) << i;
    // The byte order of the canonical keys agrees with the comparison.
    for (size_t i = 1; i < names.size(); ++i) {
        EXPECT_LT(names[i - 1], names[i]);
        EXPECT_LT(names[i - 1].canonical_key(), names[i].canonical_key());
    }
}

TEST(Name, CanonicalKeyOrdersZeroOctetsAndPrefixes)
{
    std::vector<std::string> ordered = { "a.", "b.a.", "a\\000.", "a\\000\\000.", "a\\001.", "a\\002.", "ab." };
    for (size_t i = 1; i < ordered.size(); ++i) {
        Name lo = name(ordered[i - 1]);
        Name hi = name(ordered[i]);
        EXPECT_LT(lo, hi) << ordered[i - 1] << " < " << ordered[i];
        EXPECT_LT(lo.canonical_key(), hi.canonical_key()) << ordered[i - 1] << " < " << ordered[i];
    }
}

TEST(Name, SubdomainsParentsAndWildcards)
{
    Name zone = name("example.");
    EXPECT_TRUE(name("a.b.EXAMPLE.").is_subdomain_of(zone));
    EXPECT_TRUE(zone.is_subdomain_of(zone));
    EXPECT_FALSE(name("anexample.").is_subdomain_of(zone));
    EXPECT_FALSE(name("xample.").is_subdomain_of(zone));
    EXPECT_TRUE(zone.is_subdomain_of(Name()));
    EXPECT_EQ(name("a.b.example.").parent(), name("b.example."));
    EXPECT_TRUE(Name().parent().is_root());
    Name wild = name("*.a.example.");
    EXPECT_TRUE(wild.is_wildcard());
    EXPECT_FALSE(name("\\*.a.example.").is_subdomain_of(name("b.example.")));
    EXPECT_EQ(wild.label_count(), 3u);
    EXPECT_EQ(wild.rrsig_labels(), 2);
    EXPECT_EQ(name("a.example.").rrsig_labels(), 2);
    EXPECT_EQ(Name().rrsig_labels(), 0);
    EXPECT_FALSE(name("a*.example.").is_wildcard());
    EXPECT_EQ(zone.prepend("www")->to_text(), "www.example.");
}

TEST(Name, ReadsWire)
{
    std::string wire("\x03www\x07" "example\x00" "rest", 18);
    size_t offset = 0;
    auto n = Name::from_wire(wire, offset);
    ASSERT_TRUE(n);
    EXPECT_EQ(offset, 13u);
    EXPECT_EQ(n->to_text(), "www.example.");
    size_t bad = 0;
    EXPECT_FALSE(Name::from_wire(std::string("\x03ww", 3), bad));
    bad = 0;
    EXPECT_FALSE(Name::from_wire(std::string("\xc0\x0c", 2), bad)); // compression pointer
}

TEST(NameView, LooksAtTheBytesOfANameWithoutCopying)
{
    Name owned = name("www.Example.com.");
    NameView view = owned;
    EXPECT_EQ(view.wire().data(), owned.wire().data());
    EXPECT_EQ(view.to_text(), "www.Example.com.");
    EXPECT_EQ(view.label_count(), 3u);
    EXPECT_EQ(view.first_label(), "www");
    // Parents are suffixes of the same bytes, down to the root.
    NameView up = view.parent();
    EXPECT_EQ(up.wire().data(), owned.wire().data() + 4);
    EXPECT_EQ(up.to_text(), "Example.com.");
    EXPECT_TRUE(up.parent().parent().is_root());
    EXPECT_TRUE(up.parent().parent().parent().is_root());
    EXPECT_TRUE(NameView().is_root());
    EXPECT_EQ(NameView().to_text(), ".");
    // An explicit copy outlives the bytes it was made from.
    Name copy;
    {
        Name temporary = name("tmp.example.");
        copy = Name(temporary.view().parent());
    }
    EXPECT_EQ(copy.to_text(), "example.");
}

TEST(NameView, ComparesWithNamesCanonically)
{
    Name a = name("a.example.");
    Name upper = name("A.EXAMPLE.");
    NameView view = upper;
    EXPECT_EQ(view, a);
    EXPECT_EQ(a, view);
    EXPECT_NE(view, name("b.example."));
    EXPECT_LT(view, name("b.example."));
    EXPECT_GT(view, name("example."));
    EXPECT_TRUE(view.is_subdomain_of(name("example.")));
    EXPECT_EQ(NameHash()(view), NameHash()(a));
    EXPECT_EQ(view.lowercased().wire(), a.wire());

    // Sorting views sorts the names: RFC 4034 §6.1 order, as for Name.
    std::vector<Name> owned = { name("z.example."), name("*.z.example."), name("example."), name("Z.a.example."),
                                name("a.example.") };
    std::vector<NameView> views(owned.begin(), owned.end());
    std::sort(views.begin(), views.end());
    std::vector<std::string> texts;
    for (NameView v : views)
        texts.push_back(v.to_text());
    EXPECT_EQ(texts, (std::vector<std::string> { "example.", "a.example.", "Z.a.example.", "z.example.", "*.z.example." }));

    Bytes key = "prefix";
    view.append_canonical_key(key);
    EXPECT_EQ(key, "prefix" + a.canonical_key());
}

TEST(NameView, ReadsNamesInsideRdata)
{
    // MX RDATA: preference, then the exchange name; the view points into it.
    std::string rdata("\x00\x0a\x04mail\x07" "example\x00", 16);
    size_t offset = 2;
    auto exchange = NameView::from_wire(rdata, offset);
    ASSERT_TRUE(exchange);
    EXPECT_EQ(offset, rdata.size());
    EXPECT_EQ(exchange->wire().data(), rdata.data() + 2);
    EXPECT_EQ(exchange->to_text(), "mail.example.");
    EXPECT_EQ(NameView::from_valid_wire(std::string_view(rdata).substr(2)), name("MAIL.example."));
    offset = 2;
    EXPECT_FALSE(NameView::from_wire(std::string_view(rdata).substr(0, 10), offset));
    EXPECT_EQ(offset, 2u);
}

TEST(Name, AppendFromTextBuildsWireInPlace)
{
    Name origin = name("example.");
    // The 255-octet limit is the name's own, not the buffer's.
    Bytes out(300, 'x');
    ASSERT_TRUE(Name::append_from_text("www", origin, out));
    EXPECT_EQ(out.substr(300), std::string("\x03www\x07" "example\x00", 13));
    ASSERT_TRUE(Name::append_from_text("@", origin, out));
    ASSERT_TRUE(Name::append_from_text(".", origin, out));
    EXPECT_EQ(out.size(), 300u + 13 + 9 + 1);
    out.clear();
    auto error = Name::append_from_text("a..b", origin, out);
    ASSERT_FALSE(error);
    EXPECT_EQ(error.error().message(), "empty label in domain name 'a..b'");
    EXPECT_FALSE(Name::append_from_text("relative", std::nullopt, out));
}

} // namespace
} // namespace signet::dns::name_test
