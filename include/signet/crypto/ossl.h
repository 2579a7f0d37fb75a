// Owners for OpenSSL handles, and OpenSSL failures turned into Errors.
#pragma once

#include <memory>
#include <string_view>

#include <openssl/evp.h>

#include <signet/base/error.h>

namespace signet::crypto::ossl {

template <typename T, auto free_fn>
struct Deleter {
    void operator()(T* p) const { free_fn(p); }
};

// A move-only owner whose deleter is the OpenSSL free function itself, so
// it stores nothing but the pointer.
template <typename T, auto free_fn>
using Handle = std::unique_ptr<T, Deleter<T, free_fn>>;

using Pkey = Handle<EVP_PKEY, EVP_PKEY_free>;
using PkeyCtx = Handle<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using MdCtx = Handle<EVP_MD_CTX, EVP_MD_CTX_free>;
using Md = Handle<EVP_MD, EVP_MD_free>; // a fetched digest

// An Error with `what` and the messages OpenSSL queued (the queue is
// emptied).
Error error(std::string_view what);

} // namespace signet::crypto::ossl
