#include <signet/crypto/ossl.h>

#include <string>

#include <openssl/err.h>

namespace signet::crypto::ossl {

Error error(std::string_view what)
{
    std::string message(what);
    bool first = true;
    while (unsigned long code = ERR_get_error()) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof buffer);
        message += first ? ": " : "; ";
        message += buffer;
        first = false;
    }
    return Error(ErrorCode::Crypto, std::move(message));
}

} // namespace signet::crypto::ossl
