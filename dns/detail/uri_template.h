// Private to the SVCB codec: the one URI Template (RFC 6570) a zone holds,
// the "dohpath" SvcParam of a DNS-over-HTTPS server (RFC 9461 §5). Signet
// never expands it; it checks only that the template is one that clients
// can expand.
#pragma once

#include <string_view>

namespace signet::dns::detail {

// RFC 9461 §5: dohpath is a URI Template in relative form, UTF-8, with a
// "dns" variable, chosen so that every expansion is a valid ":path", which
// starts with "/" (RFC 9113 §8.3.1). Returns why `value` is not, or an
// empty view when it is.
std::string_view dohpath_error(std::string_view value);

} // namespace signet::dns::detail
