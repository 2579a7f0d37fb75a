// signetd(8): the prose around what signetd's command-line parser says.
#pragma once

#include <signet/app/manual.h>

namespace signet::daemon {

app::ManualPage manual_page();

} // namespace signet::daemon
