// The policy keys that govern reading an unsigned zone file, from
// signet.toml to the reader's settings.
#include <gtest/gtest.h>

#include <signet/app/config.h>
#include <signet/app/zone_input.h>

namespace signet::app::zone_input_test {
namespace {

using enforcer::Policy;

Result<Config> parse(std::string_view text) { return parse_config(text, "signet.toml", "/var/lib/signet"); }

TEST(ZoneInputKeys, DefaultsAreTheReadersDefaults)
{
    dns::Diagnostics defaults;
    dns::Diagnostics settings = zone_read_settings(Policy {});
    EXPECT_TRUE(settings.include_directories.empty());
    EXPECT_EQ(settings.max_records, defaults.max_records);
    EXPECT_EQ(settings.max_generated_records, defaults.max_generated_records);
    EXPECT_EQ(settings.max_total_generated_records, defaults.max_total_generated_records);
    EXPECT_EQ(settings.max_line_length, defaults.max_line_length);
    EXPECT_EQ(settings.max_input_bytes, defaults.max_input_bytes);
    EXPECT_EQ(settings.max_record_bytes, defaults.max_record_bytes);
}

TEST(ZoneInputKeys, ReadFromThePolicyIntoTheSettings)
{
    auto config = parse(R"([policy.hoster]
include-directories = ["/srv/zones/common", "/srv/zones/templates"]
max-zone-records = 100000
max-generate-records = 5000
max-line-length = 8192
max-zone-bytes = 50000000
)");
    ASSERT_TRUE(config) << config.error().to_string();
    const Policy& policy = config->policies.at("hoster");
    EXPECT_EQ(policy.include_directories, (std::vector<std::string> { "/srv/zones/common", "/srv/zones/templates" }));
    dns::Diagnostics settings = zone_read_settings(policy);
    ASSERT_EQ(settings.include_directories.size(), 2u);
    EXPECT_EQ(settings.include_directories[1], "/srv/zones/templates");
    EXPECT_EQ(settings.max_records, 100000u);
    EXPECT_EQ(settings.max_generated_records, 5000u);
    EXPECT_EQ(settings.max_total_generated_records, 5000u);
    EXPECT_EQ(settings.max_line_length, 8192u);
    EXPECT_EQ(settings.max_input_bytes, 50000000u);
    EXPECT_EQ(settings.max_record_bytes, 50000000u);
}

TEST(ZoneInputKeys, MistakesAreErrorsAtTheKey)
{
    auto error_of = [](std::string_view text) {
        auto config = parse(text);
        EXPECT_FALSE(config) << text;
        return config ? std::string() : config.error().to_string();
    };
    EXPECT_EQ(error_of("[policy.p]\ninclude-directories = \"/srv\"\n"),
              "signet.toml:2:23: include-directories must be an array of strings, not a string");
    EXPECT_EQ(error_of("[policy.p]\ninclude-directories = [\"/srv\", 3]\n"),
              "signet.toml:2:32: include-directories must be a string, not an integer");
    EXPECT_EQ(error_of("[policy.p]\ninclude-directories = [\"zones\"]\n"),
              "signet.toml:2:23: policy 'p': include-directories: 'zones' is not an absolute path");
    EXPECT_EQ(error_of("[policy.p]\nmax-zone-records = -1\n"), "signet.toml:2:20: max-zone-records: -1 is out of range");
    EXPECT_EQ(error_of("[policy.p]\nmax-zone-records = 0\n"),
              "signet.toml:2:20: policy 'p': max-zone-records must be at least 1");
    EXPECT_EQ(error_of("[policy.p]\nmax-line-length = 100\n"),
              "signet.toml:2:19: policy 'p': max-line-length must be at least 1024 octets");
    EXPECT_EQ(error_of("[policy.p]\nmax-zone-bytes = \"8G\"\n"),
              "signet.toml:2:18: max-zone-bytes must be an integer, not a string");
}

TEST(ZoneInputKeys, PolicyTextRoundTrips)
{
    Policy p;
    p.name = "hoster";
    p.include_directories = { "/srv/zones/common", "/srv/a \"b\"" };
    p.max_zone_records = 12345;
    p.max_generate_records = 99;
    p.max_line_length = 4096;
    p.max_zone_bytes = uint64_t(20) << 30;
    auto config = parse(policy_to_toml(p));
    ASSERT_TRUE(config) << config.error().to_string();
    EXPECT_EQ(config->policies.at("hoster"), p);

    std::string text = default_config_text();
    EXPECT_NE(text.find("include-directories = []"), std::string::npos) << text;
    EXPECT_NE(text.find("max-zone-records = 100000000"), std::string::npos);
    EXPECT_NE(text.find("max-generate-records = 10000000"), std::string::npos);
    EXPECT_NE(text.find("max-line-length = 1048576"), std::string::npos);
    EXPECT_NE(text.find("max-zone-bytes = 8589934592"), std::string::npos);
}

} // namespace
} // namespace signet::app::zone_input_test
