// One error type for all of Signet: a code, a message, an optional place in a
// file, and a chain of context ("reading example.nl: ..."). Functions return
// Result<T>; no exception crosses a module boundary.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace signet {

enum class ErrorCode {
    Parse,
    Config,
    Io,
    Crypto,
    Pkcs11,
    Database,
    Dnssec,
    Policy,
    NotFound,
    Conflict,
    Usage,
    Internal,
};

// A place in an input file. Line and column count from 1; 0 means unknown.
struct SourceLocation {
    std::string file;
    uint32_t line = 0;
    uint32_t column = 0;
};

class Error {
public:
    Error(ErrorCode code, std::string message, std::optional<SourceLocation> where = {})
        : code_(code)
        , message_(std::move(message))
        , where_(std::move(where))
    {
    }

    ErrorCode code() const { return code_; }
    const std::string& message() const { return message_; }
    const std::optional<SourceLocation>& where() const { return where_; }

    // Adds an outer layer of context; printed before the message.
    Error& with_context(std::string context);
    // Fills in the parts of the location that are still unknown (file, line),
    // keeping a column set by an inner parser.
    Error& at(const SourceLocation& where);

    // "file:line:column: context: message"; parts that are unknown are left out.
    std::string to_string() const;

private:
    ErrorCode code_;
    std::string message_;
    std::optional<SourceLocation> where_;
    std::vector<std::string> context_; // innermost first
};

template <typename T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(ErrorCode code, std::string message)
{
    return std::unexpected<Error>(Error(code, std::move(message)));
}

inline std::unexpected<Error> fail(Error error)
{
    return std::unexpected<Error>(std::move(error));
}

} // namespace signet

// Evaluates a Result; on error returns it from the enclosing function,
// otherwise yields the value. g++ 12 has no std::expected::and_then chains
// worth reading, so this GNU statement expression keeps call sites flat.
#define SIGNET_TRY(expr)                                                                         \
    ({                                                                                           \
        auto&& signet_try_result_ = (expr);                                                      \
        if (!signet_try_result_)                                                                 \
            return std::unexpected<::signet::Error>(std::move(signet_try_result_).error());     \
        std::move(signet_try_result_).value();                                                   \
    })
