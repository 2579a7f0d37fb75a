// signet verify --origin NAME FILE: checks any signed zone file, ours or
// another signer's, with OpenSSL and nothing else. Exit status 0: it
// verifies; 1: it does not; 3: Signet cannot judge its signatures (every
// key's algorithm is one it cannot verify) and found nothing else wrong.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <signet/signer/verify.h>

#include "command.h"

namespace signet::cli {

namespace {

// Not 2, which is a usage error for every command.
constexpr int exit_cannot_judge = 3;

std::string_view verdict_text(signer::Verdict verdict)
{
    switch (verdict) {
    case signer::Verdict::Verifies: return "verifies";
    case signer::Verdict::DoesNotVerify: return "does not verify";
    case signer::Verdict::CannotJudge: return "cannot judge";
    }
    return "?";
}

int exit_status(signer::Verdict verdict)
{
    switch (verdict) {
    case signer::Verdict::Verifies: return 0;
    case signer::Verdict::DoesNotVerify: return 1;
    case signer::Verdict::CannotJudge: return exit_cannot_judge;
    }
    return 1;
}

struct VerifyCommand {
    std::string origin;
    std::string file;
    bool structural = false;
    unsigned threads = 0;
};

Result<int> verify(const Globals& globals, const VerifyCommand& command)
{
    auto origin = SIGNET_TRY(parse_zone_name(command.origin, "--origin"));
    auto clock = SIGNET_TRY(globals.clock());
    LoadSummary loaded;
    auto zone = SIGNET_TRY(load_zone_reporting(command.file, origin, &loaded));
    auto report = signer::verify_zone(zone, clock->now(), { !command.structural, command.threads });
    // The reader gave such an RRset one TTL; a server may give it another,
    // and a validator then computes other signed data (RFC 4034 §3.1.8.1).
    if (loaded.differing_ttls > 0) {
        report.errors.insert(report.errors.begin(),
                             fmt::format("{} record{} with a TTL other than their RRset's (RFC 2181 §5.2): the "
                                         "RRset a server gives out is not the one signed",
                                         loaded.differing_ttls, loaded.differing_ttls == 1 ? "" : "s"));
        ++report.error_count;
    }
    const signer::Verdict verdict = report.verdict();
    if (globals.json) {
        nlohmann::json out = {
            { "zone", origin.to_text() },
            { "file", command.file },
            { "ok", report.ok() },
            { "verdict", verdict_text(verdict) },
            { "unverified_algorithms", report.unverified_algorithms },
            { "denial", report.denial },
            { "rrsets_checked", report.rrsets_checked },
            { "signatures_verified", report.signatures_checked },
            { "error_count", report.error_count },
            { "errors", report.errors },
        };
        fmt::print("{}\n", out.dump(2));
        return exit_status(verdict);
    }
    for (const auto& error : report.errors)
        fmt::print(stderr, "{}: {}\n", command.file, error);
    if (verdict == signer::Verdict::DoesNotVerify) {
        fmt::print(stderr, "{}: zone {} does not verify: {} problem{}{}\n", command.file, origin.to_text(),
                   report.error_count, report.error_count == 1 ? "" : "s",
                   report.error_count > report.errors.size() ? " (first ones shown)" : "");
        return exit_status(verdict);
    }
    if (verdict == signer::Verdict::CannotJudge) {
        fmt::print(stderr,
                   "{}: zone {}: cannot judge: Signet cannot verify signatures of algorithm {}, the only ones of its "
                   "keys; {} RRsets signed, {} chain complete\n",
                   command.file, origin.to_text(), fmt::join(report.unverified_algorithms, ", "),
                   report.rrsets_checked, report.denial);
        return exit_status(verdict);
    }
    fmt::print("{}: zone {} verifies: {} RRsets signed, {} signatures checked, {} chain complete{}\n", command.file,
               origin.to_text(), report.rrsets_checked, report.signatures_checked, report.denial,
               report.unverified_algorithms.empty() || command.structural
                   ? std::string()
                   : fmt::format(" (signatures of algorithm {} not checked: Signet cannot verify them)",
                                 fmt::join(report.unverified_algorithms, ", ")));
    return exit_status(verdict);
}

} // namespace

void add_verify_command(CLI::App& app, Globals& globals, Handler& chosen)
{
    auto command = std::make_shared<VerifyCommand>();
    auto* cmd = app.add_subcommand("verify", "verify a signed zone file (signatures, denial chain, validity)");
    cmd->add_option("--origin", command->origin, "the zone's apex name")->required();
    cmd->add_option("file", command->file, "signed master file")->required();
    cmd->add_flag("--structural", command->structural,
                  "check presence, validity windows and chains only, not the signatures themselves");
    cmd->add_option("--threads", command->threads, "verification threads (default: one per core)");
    cmd->callback([&globals, &chosen, command] { chosen = [&globals, command] { return verify(globals, *command); }; });
}

} // namespace signet::cli
