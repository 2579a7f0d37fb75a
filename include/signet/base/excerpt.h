// Input text as messages quote it. Zone files, include paths and certificate
// files come from people other than the operator who reads the messages, and
// may hold anything: a long line, terminal control sequences, or (through a
// mistaken or malicious $INCLUDE) somebody's secret. Every message that quotes
// such input quotes it through excerpt(), so it shows a short, printable
// prefix and never the content itself.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace signet {

// How many characters of input a message quotes by default.
inline constexpr size_t excerpt_length = 48;

// `text` with every octet that is not printable ASCII written as \DDD
// (decimal, as in master files), cut after `limit` characters of that form
// and then marked with "…".
std::string excerpt(std::string_view text, size_t limit = excerpt_length);

// A message of several lines as one log or status line: trailing newlines
// dropped, the others written as "; ".
std::string one_line(std::string_view text);

} // namespace signet
