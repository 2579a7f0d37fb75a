// The token as the enforcer's orchestration sees it: where the key pairs of
// new keys are made and where the pairs of removed keys are destroyed. The
// enforcer decides when a key is made or destroyed and what the store says
// about it; how the token is opened and spoken to (PKCS#11) is the caller's.
// app/enforce.cc implements it over crypto::p11::KeyStore; a test may keep
// key pairs in memory.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <signet/base/error.h>
#include <signet/crypto/algorithm.h>
#include <signet/dns/name.h>
#include <signet/enforcer/model.h>

namespace signet::enforcer {

struct KeyRequest;

class KeyToken {
public:
    virtual ~KeyToken() = default;

    // Makes the token ready (opening it and logging in at the first call).
    // The orchestration calls it before its first use of the token, so that
    // a token that cannot be opened fails before anything is recorded.
    virtual Result<void> open() = 0;

    // A fresh locator (CKA_ID, hex) for a key pair about to be made: the
    // caller records it as an intent before it calls generate().
    virtual Result<std::string> new_locator() = 0;

    struct KeyPair {
        std::string locator;
        dns::Bytes public_key; // the DNSKEY public key field, wire form
    };
    // Makes a key pair under `locator`; `label` names it in the token.
    // `bits` counts for RSA only.
    virtual Result<KeyPair> generate(crypto::Algorithm algorithm, unsigned bits, std::string_view label,
                                     std::string_view locator)
        = 0;

    // Destroys both halves of the pair; NotFound when the token has neither.
    virtual Result<void> destroy(std::string_view locator) = 0;

    // A key of the zone made ahead for `request` (several zones' keys made
    // at once on several sessions), taken so that it is used once; none
    // when nothing was made ahead.
    virtual std::optional<KeyEntry> take_premade(int64_t zone_id, const KeyRequest& request)
    {
        (void)zone_id;
        (void)request;
        return std::nullopt;
    }

protected:
    KeyToken() = default;
    KeyToken(const KeyToken&) = default;
    KeyToken& operator=(const KeyToken&) = default;
};

} // namespace signet::enforcer
