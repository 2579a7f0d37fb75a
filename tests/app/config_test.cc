#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <signet/app/config.h>

#include "../fixtures/temp_dir.h"

namespace signet::app::config_test {
namespace {

using namespace std::chrono_literals;
using enforcer::Policy;
using std::chrono::days;

const std::filesystem::path state = "/var/lib/signet";

Result<Config> parse(std::string_view text) { return parse_config(text, "signet.toml", state); }

Config parsed(std::string_view text)
{
    auto config = parse(text);
    EXPECT_TRUE(config) << config.error().to_string();
    return config.value_or(Config {});
}

// The error text of a config that must not load.
std::string error_of(std::string_view text)
{
    auto config = parse(text);
    EXPECT_FALSE(config) << text;
    return config ? "" : config.error().to_string();
}

bool starts_with(const std::string& text, std::string_view prefix) { return text.rfind(prefix, 0) == 0; }

Command command(std::string_view text)
{
    auto parsed = parse_command(text);
    EXPECT_TRUE(parsed) << text;
    return parsed.value_or(Command {});
}

TEST(Config, EmptyFileGivesDefaults)
{
    Config config = parsed("");
    EXPECT_EQ(config.state_dir, state);
    EXPECT_EQ(config.hsm.module, "/usr/lib/softhsm/libsofthsm2.so");
    EXPECT_EQ(config.hsm.token, "signet");
    EXPECT_EQ(config.hsm.pin_file, state / "token.pin");
    EXPECT_TRUE(config.hsm.environment.empty());
    ASSERT_EQ(config.policies.size(), 1u);
    EXPECT_EQ(config.policies.at("default"), Policy {});
}

TEST(Config, DefaultPolicyIsAddedBesideOthers)
{
    Config config = parsed("[policy.fast]\nzsk-lifetime = \"30d\"\n");
    ASSERT_EQ(config.policies.size(), 2u);
    EXPECT_EQ(config.policies.at("default"), Policy {});
    Policy fast;
    fast.name = "fast";
    fast.zsk_lifetime = days(30);
    EXPECT_EQ(config.policies.at("fast"), fast);
}

TEST(Config, MissingKeysTakeDefaults)
{
    Config config = parsed("[policy.default]\ndenial = \"nsec\"\n");
    Policy expected;
    expected.denial = enforcer::Denial::Nsec;
    EXPECT_EQ(config.policies.at("default"), expected);
}

TEST(Config, ReadsEveryKey)
{
    Config config = parsed(R"([hsm]
module = "/opt/hsm/libpkcs11.so"
token = "zones"
pin-file = "secret/pin"

[hsm.environment]
SOFTHSM2_CONF = "{state}/softhsm2.conf"
HSM_LOG = "/var/log/hsm"

[policy.rsa]
algorithm = "rsasha512"
rsa-bits = 3072
keys = "csk"
ksk-lifetime = "unlimited"
zsk-lifetime = "unlimited"
csk-lifetime = "2w"
dnskey-ttl = "2h"
max-zone-ttl = 7200
zone-propagation-delay = "10m"
parent-ds-ttl = "2d"
parent-propagation-delay = "2h"
parent-registration-delay = "3d"
publish-safety = "2h"
retire-safety = "3h"
signature-validity = "21d"
signature-refresh = "7d"
signature-jitter = "1d"
signature-inception-offset = "2h"
signature-resign-interval = "1h"
denial = "nsec3"
nsec3-iterations = 5
nsec3-salt-length = 8
nsec3-opt-out = true
nsec3-resalt = "30d"
serial = "datecounter"
soa-ttl = "1h"
soa-minimum = "5m"
cds = false
cds-digest = "sha384"
ds-submit-command = "/usr/local/bin/submit {zone}"
ds-retract-command = "/usr/local/bin/retract {zone}"
notify-command = "rndc reload {zone}"
hook-timeout = "90s"
purge-delay = "30d"
)");
    EXPECT_EQ(config.hsm.module, "/opt/hsm/libpkcs11.so");
    EXPECT_EQ(config.hsm.token, "zones");
    EXPECT_EQ(config.hsm.pin_file, state / "secret/pin");
    std::vector<std::pair<std::string, std::string>> environment {
        { "HSM_LOG", "/var/log/hsm" },
        { "SOFTHSM2_CONF", "/var/lib/signet/softhsm2.conf" },
    };
    EXPECT_EQ(config.hsm.environment, environment);

    Policy expected;
    expected.name = "rsa";
    expected.algorithm = crypto::Algorithm::RSASHA512;
    expected.rsa_bits = 3072;
    expected.keys = enforcer::KeyLayout::Csk;
    expected.ksk_lifetime = std::nullopt;
    expected.zsk_lifetime = std::nullopt;
    expected.csk_lifetime = days(14);
    expected.dnskey_ttl = 2h;
    expected.max_zone_ttl = 2h;
    expected.zone_propagation_delay = 10min;
    expected.parent_ds_ttl = days(2);
    expected.parent_propagation_delay = 2h;
    expected.parent_registration_delay = days(3);
    expected.publish_safety = 2h;
    expected.retire_safety = 3h;
    expected.signature_validity = days(21);
    expected.signature_refresh = days(7);
    expected.signature_jitter = days(1);
    expected.signature_inception_offset = 2h;
    expected.signature_resign_interval = 1h;
    expected.denial = enforcer::Denial::Nsec3;
    expected.nsec3_iterations = 5;
    expected.nsec3_salt_length = 8;
    expected.nsec3_opt_out = true;
    expected.nsec3_resalt = days(30);
    expected.serial = enforcer::SerialPolicy::Datecounter;
    expected.soa_ttl = 1h;
    expected.soa_minimum = 5min;
    expected.cds = false;
    expected.cds_digest = crypto::DigestType::SHA384;
    expected.ds_submit_command = command("/usr/local/bin/submit {zone}");
    expected.ds_retract_command = command("/usr/local/bin/retract {zone}");
    expected.notify_command = command("rndc reload {zone}");
    expected.hook_timeout = 90s;
    expected.purge_delay = days(30);
    EXPECT_EQ(config.policies.at("rsa"), expected);
    EXPECT_EQ(config.policies.at("rsa").notify_command.words, (std::vector<std::string> { "rndc", "reload", "{zone}" }));
    EXPECT_EQ(config.policies.at("default"), Policy {});

    auto token = config.hsm.token_config();
    EXPECT_EQ(token.module, "/opt/hsm/libpkcs11.so");
    EXPECT_EQ(token.token, "zones");
    EXPECT_EQ(token.environment, environment);
}

TEST(Config, UnknownKeyIsAnErrorAtTheKey)
{
    EXPECT_EQ(error_of("[policy.default]\nalgorithm = \"ed25519\"\n  zsk-lifetme = \"30d\"\n"),
              "signet.toml:3:3: unknown key 'zsk-lifetme' in [policy.default]");
    EXPECT_EQ(error_of("[hsm]\nmodule = \"/x.so\"\npin = \"1234\"\n"), "signet.toml:3:1: unknown key 'pin' in [hsm]");
    EXPECT_TRUE(starts_with(error_of("\n[zone]\nx = 1\n"), "signet.toml:2:2: unknown key 'zone'"));
    EXPECT_EQ(error_of("\n[zones]\nx = 1\n"), "signet.toml:3:1: unknown key 'x' in [zones]");
    EXPECT_TRUE(starts_with(error_of("verbose = true\n"), "signet.toml:1:1: unknown key 'verbose'"));
}

TEST(Config, TsigAndRemoteTables)
{
    auto config = parsed("[tsig.xfr-key]\nalgorithm = \"hmac-sha512\"\nsecret-file = \"/etc/signet/xfr.key\"\n"
                         "[tsig.other]\n"
                         "[remote.ns2]\naddress = \"192.0.2.2\"\ntsig = \"xfr-key\"\n"
                         "[remote.ns3]\naddress = \"[2001:db8::3]:5353\"\n");
    ASSERT_EQ(config.tsig_keys.size(), 2u);
    const auto& key = config.tsig_keys.at("xfr-key");
    EXPECT_EQ(key.name.to_text(), "xfr-key.");
    EXPECT_EQ(key.algorithm, xfr::TsigAlgorithm::HmacSha512);
    EXPECT_EQ(key.secret_file, "/etc/signet/xfr.key");
    EXPECT_EQ(key.where.line, 3u);
    EXPECT_EQ(config.tsig_keys.at("other").secret_file, state / "tsig/other.key");
    EXPECT_EQ(config.tsig_keys.at("other").algorithm, xfr::TsigAlgorithm::HmacSha256);
    const auto& ns2 = config.remotes.at("ns2");
    EXPECT_EQ(ns2.address, "192.0.2.2");
    EXPECT_EQ(ns2.port, 53);
    EXPECT_EQ(ns2.tsig, "xfr-key");
    EXPECT_EQ(config.remotes.at("ns3").address, "2001:db8::3");
    EXPECT_EQ(config.remotes.at("ns3").port, 5353);
    EXPECT_FALSE(config.remotes.at("ns3").tsig);

    // A remote's key must exist, wherever its table is.
    EXPECT_EQ(error_of("[remote.ns2]\naddress = \"192.0.2.2\"\ntsig = \"nokey\"\n[tsig.key]\n"),
              "signet.toml:3:8: remote 'ns2': no [tsig.nokey] table for its key");
    EXPECT_TRUE(starts_with(error_of("[remote.ns2]\ntsig = \"\"\n"), "signet.toml:1:1: remote.ns2 needs an address"));
    EXPECT_TRUE(starts_with(error_of("[remote.ns2]\naddress = \"ns2.example\"\n"), "signet.toml:2:11: address: "));
    EXPECT_TRUE(starts_with(error_of("[tsig.k]\nalgorithm = \"hmac-md5\"\n"), "signet.toml:2:13: algorithm: unknown value"));
    EXPECT_TRUE(starts_with(error_of("[tsig.k]\nsecret = \"c2VjcmV0\"\n"), "signet.toml:2:1: unknown key 'secret' in [tsig.k]"));
    EXPECT_TRUE(starts_with(error_of("[remote.k]\naddress = \"192.0.2.1\"\nport = 53\n"), "signet.toml:3:1: unknown key 'port'"));
}

TEST(Config, TsigSecretFiles)
{
    auto dir = std::filesystem::temp_directory_path() / fmt::format("signet-tsig-{}", ::getpid());
    std::filesystem::create_directories(dir);
    auto write = [&](const std::string& file, const std::string& text, std::filesystem::perms mode) {
        std::ofstream(dir / file) << text;
        std::filesystem::permissions(dir / file, mode);
    };
    using std::filesystem::perms;
    write("good.key", "c2VjcmV0LXNl\nY3JldA==\n", perms::owner_read | perms::owner_write);
    write("open.key", "c2VjcmV0", perms::owner_read | perms::group_read | perms::others_read);
    write("bad.key", "not base64!", perms::owner_read);
    TsigConfig config { *dns::Name::from_text("k."), xfr::TsigAlgorithm::HmacSha256, dir / "good.key", { "signet.toml", 4, 1 } };
    auto key = load_tsig_key(config);
    ASSERT_TRUE(key) << key.error().to_string();
    EXPECT_EQ(key->secret(), "secret-secret");
    EXPECT_EQ(key->name().to_text(), "k.");
    config.secret_file = dir / "open.key";
    auto open = load_tsig_key(config);
    ASSERT_FALSE(open);
    EXPECT_TRUE(starts_with(open.error().to_string(), "signet.toml:4:1: TSIG key k.: ")) << open.error().to_string();
    EXPECT_NE(open.error().to_string().find("chmod 600"), std::string::npos);
    config.secret_file = dir / "bad.key";
    auto bad = load_tsig_key(config);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().to_string().find("base64!"), std::string::npos); // the file's text is not repeated
    config.secret_file = dir / "missing.key";
    EXPECT_FALSE(load_tsig_key(config));
    std::filesystem::remove_all(dir);
}

TEST(Config, DaemonTable)
{
    // The control socket lives in the state dir unless placed elsewhere.
    EXPECT_EQ(parsed("").daemon.control, state / "signetd.sock");
    auto config = parsed("[daemon]\ncontrol = \"/run/signet/control\"\ncontrol-group = \"dns-admin\"\nmetrics = \"\"\n");
    EXPECT_EQ(config.daemon.control, "/run/signet/control");
    EXPECT_EQ(config.daemon.control_group, "dns-admin");
    EXPECT_EQ(parsed("[daemon]\ncontrol = \"ctl.sock\"\n").daemon.control, state / "ctl.sock");

    EXPECT_EQ(parsed("[daemon]\nlisten = [\"127.0.0.1:53\", \"[::1]:5353\"]\n").daemon.listen,
              (std::vector<std::string> { "127.0.0.1:53", "[::1]:5353" }));
    EXPECT_TRUE(parsed("").daemon.listen.empty());
    EXPECT_TRUE(starts_with(error_of("[daemon]\nlisten = \"127.0.0.1:53\"\n"), "signet.toml:2:10: listen must be an array"));
    EXPECT_TRUE(starts_with(error_of("[daemon]\nlisten = [\"127.0.0.1\"]\n"), "signet.toml:2:11: listen: '127.0.0.1' is not"));
    EXPECT_TRUE(starts_with(error_of("[daemon]\nlisten = [\"::1:53\"]\n"), "signet.toml:2:11: listen: '::1:53' is not"));
    EXPECT_NE(error_of("[daemon]\nlisten = [\"127.0.0.1:53\", \"127.0.0.1:53\"]\n").find("twice"), std::string::npos);
    EXPECT_TRUE(starts_with(error_of("[daemon]\ncontrol = \"\"\n"), "signet.toml:2:11: control must not be empty"));
    EXPECT_TRUE(starts_with(error_of("[daemon]\ncontrol = \"/" + std::string(120, 'x') + "\"\n"),
                            "signet.toml:2:11: control socket path"));
    EXPECT_TRUE(starts_with(error_of("[daemon]\ncontrol-group = \"-rf\"\n"), "signet.toml:2:17: bad group name"));
    EXPECT_TRUE(starts_with(error_of("[daemon]\nmetrics = \"localhost\"\n"), "signet.toml:2:11: metrics must be"));
    auto metrics_only = parsed("[daemon]\nmetrics = \"[::1]:9153\"\n").daemon;
    EXPECT_EQ(metrics_only.metrics, "[::1]:9153");
    EXPECT_EQ(metrics_only.control, state / "signetd.sock"); // the default, in the state dir
}

TEST(Config, HealthTable)
{
    auto defaults = parsed("").health;
    EXPECT_EQ(defaults.ds_grace, days(3));
    EXPECT_EQ(defaults.certificate_warning, days(30));
    EXPECT_EQ(defaults.certificate_critical, days(7));
    auto health = parsed("[health]\nds-grace = \"12h\"\ncertificate-warning = \"60d\"\ncertificate-critical = 86400\n").health;
    EXPECT_EQ(health.ds_grace, std::chrono::hours(12));
    EXPECT_EQ(health.certificate_warning, days(60));
    EXPECT_EQ(health.certificate_critical, days(1));
    EXPECT_EQ(error_of("[health]\nds-grace = \"soon\"\n").rfind("signet.toml:2:12: ds-grace: bad duration", 0), 0u);
    EXPECT_EQ(error_of("[health]\nexpiry = \"1d\"\n"), "signet.toml:2:1: unknown key 'expiry' in [health]");
    EXPECT_TRUE(starts_with(error_of("[health]\ncertificate-warning = \"5d\"\n"),
                            "signet.toml:1:1: certificate-critical must not be longer than certificate-warning"));
}

TEST(Config, HostAndPort)
{
    auto v4 = parse_host_port("127.0.0.1:9153");
    ASSERT_TRUE(v4);
    EXPECT_EQ(v4->address, "127.0.0.1");
    EXPECT_EQ(v4->port, 9153);
    auto v6 = parse_host_port("[::1]:80");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->address, "::1");
    EXPECT_EQ(v6->port, 80);
    for (std::string_view bad : { "", "127.0.0.1", "127.0.0.1:", ":80", "127.0.0.1:0", "127.0.0.1:65536",
                                  "127.0.0.1:99999999", "::1:80", "[::1]", "[127.0.0.1]:80", "localhost:80",
                                  "127.0.0.1:8a" })
        EXPECT_FALSE(parse_host_port(bad)) << bad;
}

TEST(Config, BadDurationIsAnErrorAtTheValue)
{
    EXPECT_TRUE(starts_with(error_of("[policy.default]\nzsk-lifetime = \"30x\"\n"),
                            "signet.toml:2:16: zsk-lifetime: bad duration '30x'"));
    std::string error = error_of("[policy.default]\ndnskey-ttl = \"unlimited\"\n");
    EXPECT_EQ(error, "signet.toml:2:14: dnskey-ttl cannot be \"unlimited\"");
    EXPECT_TRUE(starts_with(error_of("[policy.default]\nsoa-ttl = \"unlimited\"\n"), "signet.toml:2:11: soa-ttl: bad"));
    EXPECT_TRUE(starts_with(error_of("[policy.default]\nmax-zone-ttl = -5\n"), "signet.toml:2:16: max-zone-ttl:"));
}

TEST(Config, BadValuesAreErrorsNamingTheKey)
{
    EXPECT_TRUE(starts_with(error_of("[policy.default]\nalgorithm = \"rsasha1\"\n"),
                            "signet.toml:2:13: algorithm: unknown value 'rsasha1'"));
    EXPECT_TRUE(starts_with(error_of("[policy.default]\nkeys = \"ksk\"\n"), "signet.toml:2:8: keys: unknown value"));
    EXPECT_TRUE(starts_with(error_of("[policy.default]\ndenial = \"nsec5\"\n"), "signet.toml:2:10: denial:"));
    EXPECT_TRUE(starts_with(error_of("[policy.default]\nserial = \"date\"\n"), "signet.toml:2:10: serial:"));
    EXPECT_TRUE(starts_with(error_of("[policy.default]\ncds-digest = \"md5\"\n"), "signet.toml:2:14: cds-digest:"));
    EXPECT_TRUE(starts_with(error_of("[policy.default]\nrsa-bits = -1\n"), "signet.toml:2:12: rsa-bits:"));
    EXPECT_TRUE(starts_with(error_of("[hsm]\ntoken = \"\"\n"), "signet.toml:2:9: token must not be empty"));
    EXPECT_TRUE(starts_with(error_of("[hsm]\ntoken = \"abcdefghijklmnopqrstuvwxyz0123456789\"\n"),
                            "signet.toml:2:9: token 'abcdefghijklmnopqrstuvwxyz0123456789' is longer"));
    EXPECT_TRUE(starts_with(error_of("[policy.\"a.b\"]\n"), "signet.toml:1:9: bad policy name 'a.b'"));
}

TEST(Config, WrongTypesAreErrors)
{
    EXPECT_EQ(error_of("[policy.default]\nrsa-bits = \"2048\"\n"),
              "signet.toml:2:12: rsa-bits must be an integer, not a string");
    EXPECT_EQ(error_of("[policy.default]\ncds = \"yes\"\n"), "signet.toml:2:7: cds must be true or false, not a string");
    EXPECT_EQ(error_of("[policy.default]\nzsk-lifetime = 1.5\n"),
              "signet.toml:2:16: zsk-lifetime must be a string, not a floating-point number");
    EXPECT_EQ(error_of("[hsm]\nmodule = [\"a\"]\n"), "signet.toml:2:10: module must be a string, not an array");
    EXPECT_EQ(error_of("hsm = 1\n"), "signet.toml:1:7: hsm must be a table, not an integer");
    EXPECT_EQ(error_of("[policy]\nfast = true\n"), "signet.toml:2:8: policy.fast must be a table, not a boolean");
    EXPECT_EQ(error_of("[hsm]\nenvironment = \"X=1\"\n"),
              "signet.toml:2:15: environment must be a table, not a string");
    EXPECT_EQ(error_of("[hsm.environment]\nX = 1\n"), "signet.toml:2:5: X must be a string, not an integer");
}

TEST(Config, PolicyCheckFailuresPointAtTheKey)
{
    EXPECT_EQ(error_of("[policy.default]\nsignature-validity = \"7d\"\nsignature-refresh = \"7d\"\n"),
              "signet.toml:3:21: policy 'default': signature-refresh (7d) must be shorter than signature-validity "
              "(7d), or every signature is due for refresh as soon as it is made");
    EXPECT_TRUE(starts_with(error_of("[policy.default]\nnsec3-iterations = 150\n"),
                            "signet.toml:2:20: policy 'default': nsec3-iterations 150 is more than 100"));
    // The key at fault is not in the file: another key the message names is.
    EXPECT_TRUE(starts_with(error_of("\n[policy.short]\nmax-zone-ttl = \"100d\"\n"),
                            "signet.toml:3:16: policy 'short': zsk-lifetime (90d) is shorter than a ZSK rollover"));
    EXPECT_TRUE(starts_with(error_of("[policy.default]\nsignature-validity = \"3d\"\n"),
                            "signet.toml:2:22: policy 'default': signature-refresh (5d) must be shorter"));
    EXPECT_EQ(error_of("[policy.default]\nhook-timeout = 0\n"),
              "signet.toml:2:16: policy 'default': hook-timeout must be at least 1s");
}

TEST(Config, StateIsReplacedByTheAbsoluteStateDir)
{
    auto config = parse_config("[hsm.environment]\nA = \"{state}/softhsm2.conf\"\nB = \"{state}:{state}\"\nC = \"x\"\n",
                               "signet.toml", "relative/state/");
    ASSERT_TRUE(config) << config.error().to_string();
    auto dir = (std::filesystem::current_path() / "relative/state").string();
    std::vector<std::pair<std::string, std::string>> environment {
        { "A", dir + "/softhsm2.conf" },
        { "B", dir + ":" + dir },
        { "C", "x" },
    };
    EXPECT_EQ(config->hsm.environment, environment);
    EXPECT_EQ(config->state_dir.string(), dir);
}

TEST(Config, PinFileIsRelativeToTheStateDir)
{
    EXPECT_EQ(parsed("[hsm]\npin-file = \"pins/token.pin\"\n").hsm.pin_file, state / "pins/token.pin");
    EXPECT_EQ(parsed("[hsm]\npin-file = \"/etc/signet/pin\"\n").hsm.pin_file, "/etc/signet/pin");
    EXPECT_EQ(parsed("[hsm]\nmodule = \"/x.so\"\n").hsm.pin_file, state / "token.pin");
}

TEST(Config, DefaultTextLoadsBackToTheDefaults)
{
    std::string text = default_config_text();
    Config config = parsed(text);
    EXPECT_EQ(config.hsm.module, "/usr/lib/softhsm/libsofthsm2.so");
    EXPECT_EQ(config.hsm.token, "signet");
    EXPECT_EQ(config.hsm.pin_file, state / "token.pin");
    std::vector<std::pair<std::string, std::string>> environment { { "SOFTHSM2_CONF",
                                                                     "/var/lib/signet/softhsm2.conf" } };
    EXPECT_EQ(config.hsm.environment, environment);
    ASSERT_EQ(config.policies.size(), 2u);
    EXPECT_EQ(config.policies.at("default"), Policy {});
    Policy nsec;
    nsec.name = "nsec";
    nsec.denial = enforcer::Denial::Nsec;
    EXPECT_EQ(config.policies.at("nsec"), nsec);

    // Every key is written out, with the DESIGN.md spelling.
    for (std::string_view line : { "algorithm = \"ecdsap256sha256\"", "keys = \"ksk+zsk\"", "ksk-lifetime = \"unlimited\"",
                                   "zsk-lifetime = \"90d\"", "denial = \"nsec3\"", "nsec3-iterations = 0",
                                   "nsec3-salt-length = 0", "serial = \"unixtime\"", "cds-digest = \"sha256\"",
                                   "soa-ttl = \"keep\"", "notify-command = \"\"", "denial = \"nsec\"",
                                   "allow-any-characters = false" })
        EXPECT_NE(text.find(line), std::string::npos) << line;
}

TEST(Config, DefaultTextTakesTheModuleAndToken)
{
    Config config = parsed(default_config_text("/opt/my \"hsm\"\\lib.so", "dns"));
    EXPECT_EQ(config.hsm.module, "/opt/my \"hsm\"\\lib.so");
    EXPECT_EQ(config.hsm.token, "dns");
}

TEST(Config, LifetimesTheLayoutDoesNotUseAreRefused)
{
    // Knot names a CSK's lifetime ksk-lifetime; here it would be ignored.
    EXPECT_EQ(error_of("[policy.c]\nkeys = \"csk\"\nksk-lifetime = \"365d\"\n"),
              "signet.toml:3:16: policy 'c': ksk-lifetime does not apply to keys = \"csk\"; the lifetime of the "
              "combined key is csk-lifetime");
    EXPECT_TRUE(starts_with(error_of("[policy.c]\nzsk-lifetime = \"30d\"\nkeys = \"csk\"\n"),
                            "signet.toml:2:16: policy 'c': zsk-lifetime does not apply"));
    EXPECT_TRUE(starts_with(error_of("[policy.k]\ncsk-lifetime = \"30d\"\n"),
                            "signet.toml:2:16: policy 'k': csk-lifetime does not apply to keys = \"ksk+zsk\""));
    // "unlimited" asks for nothing, and is fine anywhere.
    Config config = parsed("[policy.c]\nkeys = \"csk\"\nzsk-lifetime = \"unlimited\"\ncsk-lifetime = \"365d\"\n");
    EXPECT_EQ(config.policies.at("c").csk_lifetime, days(365));
}

TEST(Config, PolicyTextRoundTrips)
{
    Policy p;
    p.name = "odd";
    p.algorithm = crypto::Algorithm::ED448;
    p.keys = enforcer::KeyLayout::Csk;
    p.csk_lifetime = days(180) + 1s;
    p.max_zone_ttl = 36h;
    p.nsec3_salt_length = 4;
    p.nsec3_resalt = days(100);
    p.serial = enforcer::SerialPolicy::Keep;
    p.soa_ttl = 0s;
    p.soa_minimum = 300s;
    p.ds_submit_command = command("sh -c 'printf \"%s\\n\" {zone}'\ttab");
    p.notify_command = command("/usr/local/bin/notify \"a \\\"b\\\"\" {zone}");
    Config config = parsed(policy_to_toml(p));
    EXPECT_EQ(config.policies.at("odd"), p);
}

TEST(Config, HookCommandsAreSplitWhenRead)
{
    Config config = parsed(R"([policy.default]
notify-command = "/usr/bin/env 'A B=1' \"x\"y rndc\\ reload {zone}"
ds-submit-command = '  '
)");
    const Policy& policy = config.policies.at("default");
    EXPECT_EQ(policy.notify_command.words,
              (std::vector<std::string> { "/usr/bin/env", "A B=1", "xy", "rndc reload", "{zone}" }));
    EXPECT_TRUE(policy.ds_submit_command.empty());
    EXPECT_EQ(policy.ds_submit_command.text, "  ");
}

TEST(Config, HookCommandMistakesAreErrorsAtTheLine)
{
    EXPECT_EQ(error_of("[policy.default]\ncds = true\nnotify-command = \"rndc 'reload {zone}\"\n"),
              "signet.toml:3:18: notify-command: a single quote that is not closed at character 6");
    EXPECT_EQ(error_of("[policy.x]\nds-submit-command = 'submit \"{zone}'\n"),
              "signet.toml:2:21: ds-submit-command: a double quote that is not closed at character 8");
    EXPECT_EQ(error_of("[policy.x]\n\n ds-retract-command = 'retract {zone} \\'\n"),
              "signet.toml:3:23: ds-retract-command: a backslash with nothing after it at character 16");
    EXPECT_EQ(error_of("[policy.x]\nnotify-command = \"'' {zone}\"\n"),
              "signet.toml:2:18: notify-command: the program name is empty");
    EXPECT_EQ(error_of("[policy.x]\nnotify-command = [\"rndc\"]\n"),
              "signet.toml:2:18: notify-command must be a string, not an array");
}

TEST(Config, ZonesTable)
{
    EXPECT_FALSE(parsed("").zones.allow_any_characters);
    EXPECT_TRUE(parsed("[zones]\nallow-any-characters = true\n").zones.allow_any_characters);
    EXPECT_FALSE(parsed("[zones]\nallow-any-characters = false\n").zones.allow_any_characters);
    EXPECT_EQ(error_of("[zones]\nallow-any-characters = \"yes\"\n"),
              "signet.toml:2:24: allow-any-characters must be true or false, not a string");
    EXPECT_EQ(error_of("zones = 1\n"), "signet.toml:1:9: zones must be a table, not an integer");
}

class ConfigFile : public signet::testing::TempDirTest {
protected:
    std::filesystem::path write(std::string_view text)
    {
        auto file = dir_ / "signet.toml";
        std::ofstream(file) << text;
        return file;
    }
};

TEST_F(ConfigFile, LoadsAFile)
{
    auto file = write(default_config_text());
    auto config = load_config(file, dir_);
    ASSERT_TRUE(config) << config.error().to_string();
    EXPECT_EQ(config->path, file);
    EXPECT_EQ(config->state_dir, dir_);
    EXPECT_EQ(config->hsm.pin_file, dir_ / "token.pin");
    EXPECT_EQ(config->policies.size(), 2u);
}

TEST_F(ConfigFile, MalformedTomlGivesFileAndLine)
{
    auto file = write("[hsm]\nmodule = \"/x.so\"\ntoken = \"unterminated\n");
    auto config = load_config(file, dir_);
    ASSERT_FALSE(config);
    EXPECT_EQ(config.error().code(), ErrorCode::Config);
    std::string text = config.error().to_string();
    EXPECT_TRUE(starts_with(text, file.string() + ":3:")) << text;
    EXPECT_NE(text.find("bad TOML"), std::string::npos) << text;

    file = write("[policy.default]\nalgorithm = \"ed25519\"\nalgorithm = \"ed448\"\n");
    config = load_config(file, dir_);
    ASSERT_FALSE(config);
    EXPECT_TRUE(starts_with(config.error().to_string(), file.string() + ":3:")) << config.error().to_string();
}

TEST_F(ConfigFile, MissingFileIsAnIoError)
{
    auto config = load_config(dir_ / "absent.toml", dir_);
    ASSERT_FALSE(config);
    EXPECT_EQ(config.error().code(), ErrorCode::Io);
    EXPECT_TRUE(starts_with(config.error().to_string(), (dir_ / "absent.toml").string() + ": cannot read"))
        << config.error().to_string();
}

} // namespace
} // namespace signet::app::config_test
