// bench_token_rate: the signing ceiling of a PKCS#11 token, as Signet uses it.
//
// Creates a throw-away SoftHSM2 token (its own directory and softhsm2.conf
// under $TMPDIR), generates one ECDSA P-256 key pair in it, then lets N
// threads sign 32-byte messages through crypto::p11::KeyStore::sign for a
// fixed time. KeyStore lends each thread its own session (the pool grows to
// one session per signing thread), so this is what the token can give a
// zone signer that does nothing but sign: C_SignInit + C_Sign per signature,
// plus the SHA-256 of the message that KeyStore computes before C_Sign.
//
// Usage: bench_token_rate [--threads N] [--seconds S] [--module PATH]
// Prints one line, e.g.
//   token_rate: algorithm=ECDSAP256SHA256 threads=2 seconds=3.00 signatures=12345 rate=4115.0/s

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <signet/crypto/p11.h>

namespace {

namespace fs = std::filesystem;
using namespace signet;

constexpr std::string_view default_module = "/usr/lib/softhsm/libsofthsm2.so";

[[noreturn]] void usage(const char* why)
{
    if (why)
        std::fprintf(stderr, "bench_token_rate: %s\n", why);
    std::fprintf(stderr, "usage: bench_token_rate [--threads N] [--seconds S] [--module PATH]\n");
    std::exit(2);
}

std::string random_pin()
{
    std::random_device random;
    return std::to_string(100000 + random() % 900000) + std::to_string(random() % 1000000);
}

// Removes the temporary token directory however main returns.
struct TempDir {
    fs::path path;
    ~TempDir()
    {
        if (!path.empty()) {
            std::error_code ignored;
            fs::remove_all(path, ignored);
        }
    }
};

} // namespace

int main(int argc, char** argv)
{
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    double seconds = 3.0;
    std::string module(default_module);
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= argc)
                usage("missing value");
            return argv[++i];
        };
        if (arg == "--threads") {
            long n = std::strtol(value(), nullptr, 10);
            if (n < 1 || n > 1024)
                usage("--threads must be 1..1024");
            threads = static_cast<unsigned>(n);
        } else if (arg == "--seconds") {
            seconds = std::strtod(value(), nullptr);
            if (!(seconds > 0 && seconds < 3600))
                usage("--seconds must be in (0, 3600)");
        } else if (arg == "--module") {
            module = value();
        } else if (arg == "-h" || arg == "--help") {
            usage(nullptr);
        } else {
            usage("unknown argument");
        }
    }

    TempDir dir;
    std::string pattern = (fs::temp_directory_path() / "signet-token-rate-XXXXXX").string();
    if (!mkdtemp(pattern.data())) {
        std::perror("bench_token_rate: mkdtemp");
        return 1;
    }
    dir.path = pattern;
    fs::create_directory(dir.path / "tokens");
    std::ofstream(dir.path / "softhsm2.conf") << "directories.tokendir = " << (dir.path / "tokens").string()
                                              << "\nobjectstore.backend = file\nlog.level = ERROR\n";

    crypto::p11::TokenConfig config;
    config.module = module;
    config.token = "signet-bench";
    config.environment = { { "SOFTHSM2_CONF", (dir.path / "softhsm2.conf").string() } };
    std::string so_pin = random_pin();
    std::string user_pin = random_pin();
    if (auto created = crypto::p11::init_token(config, so_pin, user_pin); !created) {
        std::fprintf(stderr, "bench_token_rate: %s\n", created.error().to_string().c_str());
        return 1;
    }
    auto opened = crypto::p11::KeyStore::open(config, user_pin);
    if (!opened) {
        std::fprintf(stderr, "bench_token_rate: %s\n", opened.error().to_string().c_str());
        return 1;
    }
    auto& store = **opened;
    constexpr auto algorithm = crypto::Algorithm::ECDSAP256SHA256;
    auto key = store.generate(algorithm, 0, "bench-zsk");
    if (!key) {
        std::fprintf(stderr, "bench_token_rate: %s\n", key.error().to_string().c_str());
        return 1;
    }
    // One signature first, so that finding the key handle is not timed.
    if (auto s = store.sign(key->locator, algorithm, std::string(32, 'x')); !s) {
        std::fprintf(stderr, "bench_token_rate: %s\n", s.error().to_string().c_str());
        return 1;
    }

    std::atomic<bool> go { false };
    std::atomic<bool> stop { false };
    std::atomic<bool> failed { false };
    std::vector<uint64_t> counts(threads, 0);
    std::vector<std::thread> workers;
    for (unsigned t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            char message[32];
            std::memset(message, static_cast<int>('a' + t % 26), sizeof message);
            uint64_t n = 0;
            while (!go.load(std::memory_order_acquire))
                std::this_thread::yield();
            while (!stop.load(std::memory_order_relaxed)) {
                std::memcpy(message, &n, sizeof n); // a different message each time
                auto s = store.sign(key->locator, algorithm, std::string_view(message, sizeof message));
                if (!s) {
                    std::fprintf(stderr, "bench_token_rate: %s\n", s.error().to_string().c_str());
                    failed = true;
                    break;
                }
                ++n;
            }
            counts[t] = n;
        });
    }
    auto start = std::chrono::steady_clock::now();
    go.store(true, std::memory_order_release);
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    for (auto& w : workers)
        w.join();
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (failed)
        return 1;
    uint64_t total = 0;
    for (uint64_t c : counts)
        total += c;
    std::printf("token_rate: algorithm=ECDSAP256SHA256 threads=%u sessions=%zu seconds=%.2f signatures=%llu "
                "rate=%.1f/s\n",
                threads, store.session_count(), elapsed, static_cast<unsigned long long>(total), total / elapsed);
    return 0;
}
