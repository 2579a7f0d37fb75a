#include <signet/app/manual.h>

#include <algorithm>
#include <cctype>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <signet/app/config.h>

namespace signet::app {

std::string_view version()
{
    return SIGNET_VERSION;
}

std::string roff_text(std::string_view text)
{
    std::string out;
    bool line_start = true;
    for (char c : text) {
        if (line_start && (c == '.' || c == '\''))
            out += "\\&";
        line_start = c == '\n';
        if (c == '\\')
            out += "\\e";
        else if (c == '-')
            out += "\\-";
        else
            out += c;
    }
    return out;
}

namespace {

std::string upper(std::string_view text)
{
    std::string out(text);
    for (auto& c : out)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

std::string bold(std::string_view text)
{
    return fmt::format("\\fB{}\\fR", roff_text(text));
}

std::string italic(std::string_view text)
{
    return fmt::format("\\fI{}\\fR", roff_text(text));
}

std::string title(std::string_view name, int section)
{
    // Left-aligned and never hyphenated: options, keys and file names
    // must read as typed.
    return fmt::format(".TH \"{}\" \"{}\" \"\" \"Signet {}\" \"Signet manual\"\n.nh\n.ad l\n", upper(name),
                       section, version());
}

std::string name_section(std::string_view name, std::string_view summary)
{
    return fmt::format(".SH NAME\n{} \\- {}\n", roff_text(name), roff_text(summary));
}

std::string hand_written(const std::vector<ManualSection>& sections)
{
    std::string out;
    for (const auto& section : sections) {
        out += fmt::format(".SH {}\n{}", section.title, section.roff);
        if (!section.roff.ends_with('\n'))
            out += '\n';
    }
    return out;
}

bool shown(const CLI::Option* option)
{
    return !option->get_group().empty(); // CLI11 hides an option without a group
}

bool is_flag(const CLI::Option* option)
{
    return option->get_items_expected_max() == 0;
}

// An option's value as the page names it: its long name in capitals
// (--input INPUT), or a positional's own name (NAME).
std::string value_name(const CLI::Option* option)
{
    if (option->get_positional())
        return upper(option->get_name(true));
    const auto& longs = option->get_lnames();
    return upper(longs.empty() ? option->get_snames().front() : longs.front());
}

std::string option_names(const CLI::Option* option)
{
    std::vector<std::string> names;
    for (const auto& name : option->get_snames())
        names.push_back(bold("-" + name));
    for (const auto& name : option->get_lnames())
        names.push_back(bold("--" + name));
    return fmt::format("{}", fmt::join(names, ", "));
}

bool repeats(const CLI::Option* option)
{
    return option->get_items_expected_max() > 1;
}

// An option by its first long name (--input), a positional by its own
// (NAME).
std::string short_name(const CLI::Option* option)
{
    if (option->get_positional())
        return italic(value_name(option));
    const auto& longs = option->get_lnames();
    return bold(longs.empty() ? "-" + option->get_snames().front() : "--" + longs.front());
}

// "--input INPUT" as the synopsis shows it, in brackets when optional.
std::string synopsis_item(const CLI::Option* option)
{
    std::string item = short_name(option);
    if (!option->get_positional() && !is_flag(option))
        item += " " + italic(value_name(option));
    if (repeats(option))
        item += " ...";
    return option->get_required() ? item : "[" + item + "]";
}

std::vector<const CLI::Option*> shown_options(const CLI::App& app, bool positional)
{
    const CLI::Option* help = app.get_help_ptr();
    return app.get_options([&](const CLI::Option* option) {
        return option != help && shown(option) && option->get_positional() == positional;
    });
}

std::vector<const CLI::App*> shown_commands(const CLI::App& app)
{
    return app.get_subcommands([](const CLI::App* command) { return !command->get_group().empty(); });
}

// One option or positional as a tagged paragraph: names and value, then what
// it does, its default and the options it needs or excludes.
std::string option_entry(const CLI::Option* option)
{
    std::string out = ".TP\n";
    if (option->get_positional())
        out += italic(value_name(option));
    else
        out += option_names(option) + (is_flag(option) ? "" : " " + italic(value_name(option)));
    out += repeats(option) ? " ...\n" : "\n";
    out += roff_text(option->get_description());
    if (!option->get_default_str().empty())
        out += roff_text(fmt::format(" (default: {})", option->get_default_str()));
    auto names = [](const std::set<CLI::Option*>& options) {
        std::vector<std::string> out;
        for (const auto* other : options)
            out.push_back(short_name(other));
        std::ranges::sort(out);
        return fmt::format("{}", fmt::join(out, ", "));
    };
    if (!option->get_needs().empty())
        out += "; needs " + names(option->get_needs());
    if (!option->get_excludes().empty())
        out += "; not with " + names(option->get_excludes());
    return out + "\n";
}

// A command and, below it, its own commands, depth first.
void command_entries(const CLI::App& command, const std::vector<std::string>& path, std::string& out)
{
    std::string joined = fmt::format("{}", fmt::join(path, " "));
    out += fmt::format(".SS \"{}\"\n", roff_text(joined));
    auto positionals = shown_options(command, true);
    auto options = shown_options(command, false);
    auto commands = shown_commands(command);
    out += fmt::format(".B {}\n[\\fIglobal options\\fR]\n.B {}\n", roff_text(path.front()),
                       roff_text(fmt::format("{}", fmt::join(path.begin() + 1, path.end(), " "))));
    for (const auto* option : options)
        out += synopsis_item(option) + "\n";
    for (const auto* option : positionals)
        out += synopsis_item(option) + "\n";
    if (!commands.empty())
        out += "\\fIcommand\\fR ...\n";
    out += ".PP\n" + roff_text(command.get_description()) + "\n";
    if (!command.get_footer().empty())
        out += ".PP\n" + roff_text(command.get_footer()) + "\n";
    for (const auto* option : positionals)
        out += option_entry(option);
    for (const auto* option : options)
        out += option_entry(option);
    for (const auto* sub : commands) {
        auto below = path;
        below.push_back(sub->get_name());
        command_entries(*sub, below, out);
    }
}

} // namespace

std::string command_manual(const CLI::App& app, const ManualPage& page)
{
    std::string out = title(page.name, page.section);
    out += name_section(page.name, page.summary);
    auto options = shown_options(app, false);
    auto commands = shown_commands(app);
    out += fmt::format(".SH SYNOPSIS\n.B {}\n", roff_text(page.name));
    if (commands.empty()) {
        for (const auto* option : options)
            out += synopsis_item(option) + "\n";
    } else {
        out += "[\\fIglobal options\\fR] \\fIcommand\\fR [\\fIoptions\\fR] [\\fIarguments\\fR]\n";
    }
    out += hand_written(page.before);
    out += commands.empty() ? ".SH OPTIONS\n" : ".SH \"GLOBAL OPTIONS\"\n";
    const CLI::Option* help = app.get_help_ptr();
    if (help)
        out += option_entry(help);
    for (const auto* option : options)
        out += option_entry(option);
    if (!commands.empty()) {
        out += ".SH COMMANDS\n";
        for (const auto* command : commands)
            command_entries(*command, { app.get_name(), command->get_name() }, out);
    }
    out += hand_written(page.after);
    return out;
}

namespace {

// What each table is for, before its keys.
struct TableText {
    std::string_view table;
    std::string_view heading;
    std::string_view text;
};

constexpr TableText table_texts[] = {
    { "hsm", "[hsm]",
      "The PKCS#11 module and token that hold the keys. signet init writes a SoftHSM2 token inside the state "
      "directory; any other module and token (a hardware security module, a token OpenDNSSEC also uses) works "
      "the same way." },
    { "zones", "[zones]", "What signet zone add accepts." },
    { "daemon", "[daemon]",
      "signetd(8). It reads this table when it starts and again on SIGHUP." },
    { "health", "[health]", "What signet health calls a problem." },
    { "tsig.NAME", "[tsig.NAME]",
      "A TSIG key (RFC 8945) that signetd shares with another server, named NAME on the wire (as dig -y, BIND's "
      "key statement and Knot's key id name it). signetd reads its secret when it starts and on SIGHUP; a file "
      "that is missing, open to others or not base64 keeps it from starting, or keeps the configuration in use." },
    { "remote.NAME", "[remote.NAME]",
      "Another DNS server: a secondary that may transfer the zones that name it (signet zone add "
      "--allow-transfer NAME,...), or that signetd tells of their new versions (signet zone add --notify "
      "NAME,...: a NOTIFY, RFC 1996, over UDP to the address and port, signed with the remote's key if it names "
      "one). A request from a remote matches it on the address alone (the source port is "
      "ignored) and, when the remote names a key, on the key too: an unsigned request from that address is "
      "refused. A zone names remotes that must exist here; signetd refuses transfers to a remote removed since, "
      "and notifies it no more." },
    { "policy.NAME", "[policy.NAME]",
      "A DNSSEC policy: keys, their rollovers, signatures, denial of existence, the SOA serial, the parent's DS, "
      "hooks, and the limits put on an unsigned zone file. Zones name their policy (signet zone add --policy; "
      "default: default). A policy may set only some keys: the rest take the defaults below. The policy "
      "\"default\" exists even when the file does not define it. A policy change moves the zones that use it "
      "through a proper rollover at their next signing." },
};

} // namespace

std::string config_manual()
{
    std::string out = title("signet.toml", 5);
    out += name_section("signet.toml", "configuration of the Signet DNSSEC signer");
    out += ".SH SYNOPSIS\n" + italic("STATE") + roff_text("/signet.toml") + "\n";
    out += R"(.SH DESCRIPTION
Signet reads its configuration from
.I signet.toml
in its state directory (\fB\-\-state\fR, \fB$SIGNET_STATE\fR, else \fI/var/lib/signet\fR), or from the file
\fB\-\-config\fR names.
\fBsignet init\fR writes one with every policy key written out and explained.
The file is TOML: tables in brackets, then \fIkey\fR = \fIvalue\fR lines.
.PP
Keys are lower\-case and hyphenated, named as BIND's dnssec\-policy and Knot's policy name them.
Durations are a number and a unit: \fB90d\fR, \fB12h\fR, \fB5m\fR, \fB30s\fR (or \fB1d12h\fR);
a bare integer is seconds.
Some take a word instead: \fBunlimited\fR (never), \fBkeep\fR (the zone's own value).
A key that is left out takes its default, shown below after its name.
An unknown key, a value of the wrong type and an impossible policy are errors that name the file, line and
column; nothing is signed with a configuration that does not load.
.PP
After each key, its counterpart in the three signers operators come from:
\fBBIND\fR (a dnssec\-policy statement, or the zone option it names),
\fBKnot\fR (the policy section, or the zone option or section it names) and
\fBOpenDNSSEC\fR (the kasp.xml or conf.xml element);
\(lqnone\(rq where there is none.
)";
    const auto docs = config_key_docs();
    for (const auto& table : table_texts) {
        out += fmt::format(".SH \"{}\"\n{}\n", table.heading, roff_text(table.text));
        std::string_view group;
        for (const auto& key : docs) {
            if (key.table != table.table)
                continue;
            if (key.group != group) {
                group = key.group;
                out += fmt::format(".SS \"{}\"\n", roff_text(group));
            }
            out += fmt::format(".TP\n{} = {}\n{}\n", bold(key.name), roff_text(key.default_value),
                               roff_text(key.description));
            out += fmt::format(".br\nBIND: {}; Knot: {}; OpenDNSSEC: {}\n",
                               roff_text(key.counterparts.bind), roff_text(key.counterparts.knot),
                               roff_text(key.counterparts.opendnssec));
        }
    }
    out += R"(.SH EXAMPLE
A policy for a zone whose parent publishes DS records for a day, with a combined key rolled once a year and
NSEC instead of NSEC3:
.PP
.nf
.RS
[policy.csk]
algorithm = "ed25519"
keys = "csk"
csk\-lifetime = "365d"
denial = "nsec"
parent\-ds\-ttl = "1d"
notify\-command = "rndc reload {zone}"
.RE
.fi
.PP
\fBsignet zone add example.nl \-\-policy csk ...\fR then signs example.nl by it.
.SH FILES
.TP
.I /var/lib/signet/signet.toml
the configuration of the default state directory
.TP
.I /usr/share/doc/signet/examples/signet.toml
the file \fBsignet init\fR writes, every policy key with its default and a comment
.SH "SEE ALSO"
.BR signet (1),
.BR signetd (8),
.BR named.conf (5),
.BR knot.conf (5),
.BR ods\-kasp (5)
)";
    return out;
}

} // namespace signet::app
