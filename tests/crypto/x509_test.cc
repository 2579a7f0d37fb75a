#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <signet/crypto/x509.h>

namespace signet::crypto::x509_test {
namespace {

const std::filesystem::path data = std::filesystem::path(SIGNET_TEST_DATA) / "tlsa";

std::string read(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    return content.str();
}

TEST(X509, PemChainDerAndTheirParts)
{
    auto chain = load_certificates(data / "chain.pem");
    ASSERT_TRUE(chain) << chain.error().to_string();
    ASSERT_EQ(chain->size(), 2u);
    EXPECT_EQ((*chain)[0].subject(), "CN=mail.example.nl");
    EXPECT_EQ((*chain)[0].issuer(), "CN=Signet Known Answer CA");
    EXPECT_EQ((*chain)[1].subject(), "CN=Signet Known Answer CA");
    EXPECT_TRUE((*chain)[0].issued_by((*chain)[1]));
    EXPECT_FALSE((*chain)[1].issued_by((*chain)[0]));
    EXPECT_TRUE((*chain)[1].self_signed());
    EXPECT_FALSE((*chain)[0].self_signed());
    // leaf.der is the DER form of the first certificate.
    EXPECT_EQ((*chain)[0].der(), read(data / "leaf.der"));
    auto der = load_certificates(data / "leaf.der");
    ASSERT_TRUE(der) << der.error().to_string();
    ASSERT_EQ(der->size(), 1u);
    EXPECT_EQ(der->front().der(), (*chain)[0].der());
    // openssl x509 -noout -dates: 2026-11-23 19:43:33 to 2126-10-30 19:43:33.
    EXPECT_EQ(format_time((*chain)[0].not_before()), "2026-11-23T19:43:33Z");
    EXPECT_EQ(format_time((*chain)[0].not_after()), "2126-10-30T19:43:33Z");
    // An EC P-256 SubjectPublicKeyInfo is 91 octets.
    EXPECT_EQ((*chain)[0].spki_der().size(), 91u);
    // Copies share the certificate.
    Certificate copy = (*chain)[0];
    EXPECT_EQ(copy.native(), (*chain)[0].native());
    EXPECT_EQ(copy.der(), (*chain)[0].der());
}

TEST(X509, PemSkipsOtherBlocksAndText)
{
    std::string pem
        = "Some explanatory text (RFC 7468 allows it).\n"
          "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n"
        + read(data / "leaf.pem") + "\r\n" + read(data / "ca.pem");
    auto chain = parse_certificates(pem, "bundle.pem");
    ASSERT_TRUE(chain) << chain.error().to_string();
    ASSERT_EQ(chain->size(), 2u);
    EXPECT_EQ((*chain)[1].subject(), "CN=Signet Known Answer CA");
}

TEST(X509, ErrorsSayWhere)
{
    std::string leaf = read(data / "leaf.pem");
    // A damaged base64 line in the second block, which starts at line 3.
    std::string damaged = leaf;
    damaged.replace(damaged.find('\n') + 5, 10, "!!!!!!!!!!");
    auto bad = parse_certificates("first line\nsecond line\n" + damaged, "bad.pem");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().where()->file, "bad.pem");
    EXPECT_EQ(bad.error().where()->line, 3u);
    EXPECT_NE(bad.error().to_string().find("bad.pem:3: the CERTIFICATE block is not a valid certificate"),
              std::string::npos)
        << bad.error().to_string();

    auto unterminated = parse_certificates("-----BEGIN CERTIFICATE-----\nMIIB\n", "cut.pem");
    ASSERT_FALSE(unterminated);
    EXPECT_EQ(unterminated.error().to_string(), "cut.pem:1: the CERTIFICATE block has no END line");

    auto mismatched = parse_certificates("\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END PRIVATE KEY-----\n", "x.pem");
    ASSERT_FALSE(mismatched);
    EXPECT_EQ(mismatched.error().where()->line, 4u);

    auto key_only = parse_certificates("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "key.pem");
    ASSERT_FALSE(key_only);
    EXPECT_EQ(key_only.error().to_string(), "key.pem: no CERTIFICATE block in the PEM file");

    auto garbage = parse_certificates(std::string("\x30\x03\x02\x01\x00", 5), "junk.der");
    ASSERT_FALSE(garbage);
    EXPECT_NE(garbage.error().to_string().find("junk.der: neither PEM nor a DER certificate"), std::string::npos);

    // DER with something after the certificate is not one certificate.
    auto trailing = parse_certificates(read(data / "leaf.der") + "x", "trailing.der");
    ASSERT_FALSE(trailing);
    EXPECT_NE(trailing.error().to_string().find("1 octets after"), std::string::npos) << trailing.error().to_string();

    auto missing = load_certificates(data / "does-not-exist.pem");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code(), ErrorCode::Io);
    EXPECT_EQ(missing.error().to_string(), (data / "does-not-exist.pem").string() + ": no such file");

    auto directory = load_certificates(data);
    ASSERT_FALSE(directory);
    EXPECT_EQ(directory.error().where()->file, data.string());
}

// A certificate path comes from whoever configures a TLSA binding; a FIFO
// or a device there must fail at once rather than hang or fill memory.
TEST(X509, OnlyRegularFilesOfModestSizeAreRead)
{
    std::string dir = (std::filesystem::temp_directory_path() / "signet-x509-XXXXXX").string();
    ASSERT_TRUE(::mkdtemp(dir.data()));
    const std::filesystem::path fifo = std::filesystem::path(dir) / "cert.pem";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    ::alarm(20); // a hang fails the test instead of the suite
    auto from_fifo = load_certificates(fifo);
    auto from_zero = load_certificates("/dev/zero");
    ::alarm(0);
    ASSERT_FALSE(from_fifo);
    EXPECT_EQ(from_fifo.error().to_string(), fifo.string() + ": a FIFO, not a regular file; not a certificate file");
    ASSERT_FALSE(from_zero);
    EXPECT_NE(from_zero.error().to_string().find("not a regular file"), std::string::npos);

    const std::filesystem::path big = std::filesystem::path(dir) / "big.pem";
    {
        std::ofstream out(big, std::ios::binary);
        out << read(data / "leaf.pem") << std::string((1 << 20) + 1, '\n');
    }
    auto from_big = load_certificates(big);
    ASSERT_FALSE(from_big);
    EXPECT_NE(from_big.error().to_string().find("larger than 1 MiB"), std::string::npos);
    std::filesystem::remove_all(dir);
}

} // namespace
} // namespace signet::crypto::x509_test
