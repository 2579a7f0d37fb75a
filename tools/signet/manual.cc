// signet manual PAGE [--output FILE]: the manual pages, for the build (it is
// not in --help). signet(1) is this program's command-line parser walked
// through, with the prose below around it; signet.toml(5) comes from the
// configuration's tables (app/manual.cc).
#include <cstdio>

#include <fmt/format.h>

#include <signet/app/config.h>
#include <signet/app/manual.h>
#include <signet/base/atomic_file.h>

#include "command.h"

namespace signet::cli {

namespace {

constexpr std::string_view description = R"(Signet signs DNS zones with DNSSEC and keeps them signed.
Its \fBenforcer\fR owns the keys and their life (generation, publication, rollovers, removal: the key\-state
model of RFC 7583), kept in an SQLite store; its \fBsigner\fR signs zone files with keys held in a PKCS#11
token (SoftHSM2 by default) and verifies every signature before anything is written; its \fBtlsa\fR part
derives TLSA records from certificate files at each signing.
.PP
Everything Signet keeps is in one state directory: the configuration \fIsignet.toml\fR (see
\fBsignet.toml\fR(5)), the store, the embedded token and its PINs, the last signed version of each zone.
\fBsignet init\fR creates it; \fBsignet zone add\fR registers a zone (an unsigned input file and the signed
output file); \fBsignet sign\fR runs the enforcer, signs, verifies and replaces the output atomically.
Run \fBsignet sign \-\-all\fR from cron, or run \fBsignetd\fR(8), which signs each zone when it is due.
.PP
Every command that writes holds the state lock (\fISTATE/lock\fR); a second writer waits up to
\fB\-\-wait\fR seconds and then fails, naming the holder.
While signetd runs, the commands that change anything are sent to it over its control socket and print what
they would print without it.
A failing command leaves the output, the store and the token as they were, and says
\fIfile\fR:\fIline\fR: \fIwhat is wrong\fR where a file is to blame.
)";

constexpr std::string_view environment = R"(.TP
.B SIGNET_STATE
the state directory when \fB\-\-state\fR is not given (else \fI/var/lib/signet\fR)
.TP
.B SIGNET_NOW
the clock when \fB\-\-now\fR is not given: RFC 3339 or Unix seconds
.TP
.B SIGNET_PIN
the token's user PIN, instead of the \fIpin\-file\fR of \fBsignet.toml\fR(5)
.TP
.B SIGNET_ZONE
set for the hooks (\fInotify\-command\fR, \fIds\-submit\-command\fR, \fIds\-retract\-command\fR): the zone's name
.TP
.B SOFTHSM2_CONF
and any other variable of the \fB[hsm.environment]\fR table: set for the PKCS#11 module
)";

constexpr std::string_view files = R"(.TP
.I /var/lib/signet
the default state directory
.TP
.I STATE/signet.toml
the configuration, \fBsignet.toml\fR(5)
.TP
.I STATE/signet.db
the store (SQLite): zones, keys and their states, history, TLSA bindings
.TP
.I STATE/softhsm2.conf\fR, \fISTATE/tokens/
the embedded SoftHSM2 token
.TP
.I STATE/token.pin\fR, \fISTATE/so.pin
the token's PINs, mode 0600
.TP
.I STATE/signed/
the last signed version of each zone, and its last failure
.TP
.I STATE/lock
the state lock: the pid and command of the writer holding it
.TP
.I STATE/signetd.sock
the control socket of a running \fBsignetd\fR(8)
)";

constexpr std::string_view exit_status = R"(.TP
.B 0
success
.TP
.B 1
failure, with a message on standard error; \fBzone list\fR, \fBzone status\fR and \fBenforce\fR also exit 1
when a zone's published signatures are near or past their expiry
.TP
.B 2
a usage error: an unknown command or option, a missing argument
.TP
.B 3
\fBverify\fR only: cannot judge. Every key of the zone has an algorithm Signet cannot verify (it verifies
5, 7, 8, 10, 13, 14, 15 and 16), so no signature was checked; nothing else was found wrong
.PP
\fBsignet health\fR follows the monitoring plugin convention instead: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
)";

constexpr std::string_view examples = R"(Create a state directory, register a zone, sign it and show the DS record for the parent:
.PP
.nf
.RS
signet \-\-state state init
signet \-\-state state zone add example.nl \-\-input example.nl.zone \e
        \-\-output signed/example.nl.signed
signet \-\-state state sign example.nl
signet \-\-state state ds example.nl
.RE
.fi
.PP
Confirm that the parent publishes the new DS, so that the key rollover goes on:
.PP
.nf
.RS
signet key ds\-seen example.nl 12345
.RE
.fi
.PP
Verify any signed zone file, as if it were a week from now:
.PP
.nf
.RS
signet \-\-now 2030\-01\-08T00:00:00Z verify \-\-origin example.nl \e
        example.nl.signed
.RE
.fi
.PP
From cron, every zone, waiting up to a minute for another writer:
.PP
.nf
.RS
signet \-\-wait 60 sign \-\-all
.RE
.fi
)";

constexpr std::string_view see_also = R"(.BR signetd (8),
.BR signet.toml (5),
.BR softhsm2\-util (1),
.BR dnssec\-verify (1),
.BR ldns\-verify\-zone (1)
)";

Result<int> manual(const CLI::App& app, const std::string& page, const std::string& output)
{
    std::string text;
    if (page == "signet") {
        app::ManualPage signet { "signet", 1, "sign DNS zones with DNSSEC, keep their keys and TLSA records",
                                 { { "DESCRIPTION", description } },
                                 { { "ENVIRONMENT", environment },
                                   { "FILES", files },
                                   { "\"EXIT STATUS\"", exit_status },
                                   { "EXAMPLES", examples },
                                   { "\"SEE ALSO\"", see_also } } };
        text = app::command_manual(app, signet);
    } else if (page == "signet.toml") {
        text = app::config_manual();
    } else if (page == "signet.toml.example") {
        text = app::default_config_text();
    } else {
        return fail(ErrorCode::Usage, fmt::format("manual: no page '{}'; signet, signet.toml or signet.toml.example",
                                                  page));
    }
    if (output.empty()) {
        fmt::print("{}", text);
        return std::fflush(stdout) == 0 ? 0 : 1;
    }
    SIGNET_TRY(write_file_atomically(output, text));
    return 0;
}

} // namespace

void add_manual_command(CLI::App& app, Globals&, Handler& chosen)
{
    auto* cmd = app.add_subcommand("manual", "write a manual page (for the build)")->group("");
    auto page = std::make_shared<std::string>();
    auto output = std::make_shared<std::string>();
    cmd->add_option("page", *page, "signet, signet.toml or signet.toml.example")->required();
    cmd->add_option("--output", *output, "the file to write (default: standard output)");
    cmd->callback([&app, &chosen, page, output] {
        chosen = [&app, page, output] { return manual(app, *page, *output); };
    });
}

} // namespace signet::cli
