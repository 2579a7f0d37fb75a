#include "manual.h"

namespace signet::daemon {

namespace {

constexpr std::string_view description = R"(signetd keeps every zone of a Signet state directory signed, on time, without cron.
It owns the state directory while it runs (a second signetd on the same directory exits, naming the first's
pid) and signs each zone when its next work is due: a signature reaching its refresh point, a key event of the
enforcer, a new NSEC3 salt.
It notices a changed input file within a second, whether written in place or renamed into place, and signs it.
A zone that fails is tried again with a growing delay while the others go on, and a zone whose input breaks
keeps its last good version signed.
.PP
At start signetd settles what a killed run left, is ready (the control socket accepts, and systemd is told
READY=1), and signs every zone whose input changed or that was never signed.
It runs in the foreground and logs one line per event to standard error; under systemd
(\fB$JOURNAL_STREAM\fR set) with a priority prefix and without timestamps.
.PP
While it runs, the \fBsignet\fR(1) commands that change anything (\fBsign\fR, \fBzone add\fR,
\fBkey ds\-seen\fR, ...) reach it over its control socket, \fB[daemon] control\fR in \fBsignet.toml\fR(5);
signetd runs them with the \fBsignet\fR program installed beside it (or in \fI../bin\fR), with its own
configuration, and the client prints what it would print without the daemon.
Read\-only commands run beside it.
With \fB[daemon] metrics\fR set it serves Prometheus metrics at \fI/metrics\fR.
.PP
With \fB[daemon] listen\fR set it is a primary name server for the zones it signs, over UDP and TCP on each
address: it answers SOA queries from the last signed version, and zone transfers (AXFR; IXFR from the journal
of versions, or the whole zone when it does not reach back far enough) to the remotes each zone allows (\fBsignet zone add\fR or \fBzone set\fR
\fB\-\-allow\-transfer\fR), each a \fB[remote.NAME]\fR of \fBsignet.toml\fR(5) matched on its address and, if
it names a \fB[tsig.NAME]\fR key, on that key (RFC 8945); every message of a transfer is signed when the
request was.
Other queries are refused (REFUSED), a bad TSIG gets NOTAUTH with the TSIG error.
Transfers and refusals are logged, SOA queries are not; a secret is never logged.
It sends a NOTIFY (RFC 1996) over UDP to the remotes a zone names (\fBsignet zone add\fR or \fBzone set\fR
\fB\-\-notify\fR) at each new signed version of the zone, and for every zone once at its start, signed
with the remote's key when it names one; each is sent again after 2, 4, 8 and 16 s until the remote
answers, and a newer version replaces it. Each outcome is one log line: acknowledged, answered with an
error rcode, replaced, or given up after 5 tries.
The addresses change at the next start; keys and remotes at \fBSIGHUP\fR too.
)";

constexpr std::string_view signals = R"(.TP
.B SIGHUP
read \fIsignet.toml\fR again; a broken file is reported and the one in use stays
.TP
.BR SIGTERM ", " SIGINT
stop after the zone or command in hand, removing the control socket
)";

constexpr std::string_view environment = R"(.TP
.B SIGNET_STATE
the state directory when \fB\-\-state\fR is not given (else \fI/var/lib/signet\fR)
.TP
.B SIGNET_PIN
the token's user PIN, instead of the \fIpin\-file\fR of \fBsignet.toml\fR(5)
.TP
.B NOTIFY_SOCKET
set by systemd for a \fBType=notify\fR unit: readiness, reloads and status go there
)";

constexpr std::string_view files = R"(.TP
.I STATE/signet.toml
the configuration, \fBsignet.toml\fR(5)
.TP
.I STATE/lock
held while signetd runs: its pid
.TP
.I STATE/signetd.sock
the control socket (\fB[daemon] control\fR)
.TP
.I STATE/tsig/NAME.key
the secret of TSIG key NAME (\fB[tsig.NAME] secret\-file\fR), base64, mode 0600
.TP
.I /lib/systemd/system/signetd.service
the systemd unit: \fBsystemctl enable \-\-now signetd\fR, \fBsystemctl reload signetd\fR
)";

constexpr std::string_view exit_status = R"(.TP
.B 0
stopped by a signal
.TP
.B 1
it could not start: the state directory is owned by another process, the configuration does not load, the
control socket cannot be made
.TP
.B 2
a usage error
)";

constexpr std::string_view see_also = R"(.BR signet (1),
.BR signet.toml (5),
.BR systemd.service (5)
)";

} // namespace

app::ManualPage manual_page()
{
    return { "signetd",
             8,
             "keep every zone of a Signet state directory signed, on time",
             { { "DESCRIPTION", description } },
             { { "SIGNALS", signals },
               { "ENVIRONMENT", environment },
               { "FILES", files },
               { "\"EXIT STATUS\"", exit_status },
               { "\"SEE ALSO\"", see_also } } };
}

} // namespace signet::daemon
