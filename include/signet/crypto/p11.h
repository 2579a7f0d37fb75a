// Keys in a PKCS#11 token. Any module is loaded by path; SoftHSM2 is the
// embedded default and a network HSM needs no code change. Private keys are
// generated in the token as sensitive and non-extractable and never leave it;
// a key is found again by its locator, the hex form of its random CKA_ID.
//
// Finding an object is a search over the whole token in most modules (in
// SoftHSM2's file store, a read of every object file), so a KeyStore
// remembers the handles it has found, and when one process asks for more than
// a few keys it reads every key's CKA_ID once instead of searching per key:
// signing or enforcing N zones stays linear in N.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <signet/base/error.h>
#include <signet/crypto/algorithm.h>
#include <signet/dns/name.h>

namespace signet::crypto::p11 {

using dns::Bytes;

struct TokenConfig {
    std::filesystem::path module;
    std::string token; // CKA_LABEL of the token
    // Environment the module reads when it is loaded (e.g. SOFTHSM2_CONF).
    std::vector<std::pair<std::string, std::string>> environment;
};

// The PIN comes from a file that only its owner may read (mode 0600 or
// stricter), or from the environment variable `env_name` when that is set,
// never from the command line. Trailing newlines are removed.
Result<std::string> read_pin(const std::filesystem::path& pin_file, std::string_view env_name = "SIGNET_PIN");

// Creates a token labelled `config.token` in the module's first free slot and
// sets its user PIN; refuses when a token with that label exists. For modules
// that let applications initialise tokens, such as SoftHSM2.
Result<void> init_token(const TokenConfig& config, std::string_view so_pin, std::string_view user_pin);

class Module;

// A private key made elsewhere (BIND's key files), to be stored in a token.
// Big-endian integers without sign octets. The destructor wipes every field.
struct PrivateKeyParts {
    Algorithm algorithm = Algorithm::ECDSAP256SHA256;
    // RSA (RFC 8017 §3.2): n, e, d, p, q, d mod (p-1), d mod (q-1), q^-1 mod p.
    Bytes modulus, public_exponent, private_exponent, prime1, prime2, exponent1, exponent2, coefficient;
    // ECDSA: the private scalar; EdDSA: the private key (RFC 8032 §5.1.5).
    Bytes private_value;
    // ECDSA and EdDSA: the public key as the DNSKEY carries it.
    Bytes public_key;

    PrivateKeyParts() = default;
    PrivateKeyParts(const PrivateKeyParts&) = delete;
    PrivateKeyParts& operator=(const PrivateKeyParts&) = delete;
    PrivateKeyParts(PrivateKeyParts&&) = default;
    PrivateKeyParts& operator=(PrivateKeyParts&&) = default;
    ~PrivateKeyParts();
};

// Told how long each signature of any KeyStore of this process took
// (C_SignInit to C_Sign), from whichever thread made it: for signetd's
// metrics. nullptr (the default): nothing is timed.
using SignatureObserver = void (*)(std::chrono::nanoseconds took);
void observe_signatures(SignatureObserver observer);

// One logged-in token with a pool of sessions, one per signing thread.
// Every method may be called from several threads at once.
class KeyStore {
public:
    static Result<std::unique_ptr<KeyStore>> open(const TokenConfig& config, std::string_view pin);
    // Whether the module loads and holds the token, without logging in (no
    // PIN is read, nothing in the token changes): for monitoring.
    static Result<void> probe(const TokenConfig& config);
    ~KeyStore();
    KeyStore(const KeyStore&) = delete;
    KeyStore& operator=(const KeyStore&) = delete;

    const std::string& token_label() const;
    // Whether the token offers the mechanisms `algorithm` needs.
    bool supports(Algorithm algorithm) const;

    struct Generated {
        std::string locator;
        Bytes public_key; // in DNSKEY wire form, read from the new public key
    };
    // Generates a key pair. `bits` is used for RSA (2048-4096) and ignored
    // otherwise. `label` becomes CKA_LABEL. `locator`, when given (40 hex
    // digits), is the CKA_ID to use, so that a caller can record it before
    // the object exists; otherwise a random one is made.
    Result<Generated> generate(Algorithm algorithm, unsigned bits, std::string_view label,
                               std::string_view locator = {});
    // Stores a key pair made elsewhere under `locator` (as generate()): the
    // private half sensitive and non-extractable from then on. Checks that
    // the token holds it so (some modules ignore what they are asked) and
    // that a signature of the token's private half verifies with the public
    // half; on failure nothing is left in the token.
    Result<Generated> import(const PrivateKeyParts& key, std::string_view label, std::string_view locator);
    // Whether the private key under `locator` belongs to the public key
    // `public_key` (DNSKEY wire form): a token signature must verify with it.
    Result<void> check_pair(std::string_view locator, Algorithm algorithm, std::string_view public_key);
    // A fresh random locator for generate().
    static Result<std::string> new_locator();
    // The public key in DNSKEY wire form (RFC 3110, RFC 6605, RFC 8080);
    // of an RSA key without a public object, from its private object.
    Result<Bytes> public_key(std::string_view locator, Algorithm algorithm);
    // Signs `data` (for ECDSA the token signs its hash) and returns the
    // signature in DNSSEC wire form.
    Result<Bytes> sign(std::string_view locator, Algorithm algorithm, std::string_view data);
    // Removes both halves of the key pair from the token.
    Result<void> destroy(std::string_view locator);
    // Locators of every private key in the token.
    Result<std::vector<std::string>> list();

    // How many sessions are open now (one per thread that has signed).
    size_t session_count() const;

private:
    struct State;
    explicit KeyStore(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

} // namespace signet::crypto::p11
