// The parts of signetd that are not the event loop: its schedule, the
// control socket's requests and the children that run them, and the lock
// those children inherit. The daemon itself is tested as a process
// (tests/integration/daemon.sh).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include <signet/app/control.h>
#include <signet/app/lock.h>
#include <signet/app/schedule.h>

#include "../fixtures/temp_dir.h"

namespace signet::app::daemon_parts_test {
namespace {

using namespace std::chrono_literals;

const TimePoint t0 = TimePoint(std::chrono::seconds(1'800'000'000));

TEST(Schedule, DueZonesComeEarliestFirstAndStayUntilSet)
{
    Schedule schedule;
    schedule.set("b.", t0 + 10s);
    schedule.set("a.", t0 + 20s);
    schedule.set("c.", t0 + 10s);
    EXPECT_EQ(schedule.next(), t0 + 10s);
    EXPECT_TRUE(schedule.due(t0 + 9s).empty());
    EXPECT_EQ(schedule.due(t0 + 10s), (std::vector<std::string> { "b.", "c." }));
    EXPECT_EQ(schedule.due(t0 + 30s, 2), (std::vector<std::string> { "b.", "c." }));
    EXPECT_EQ(schedule.due(t0 + 30s).size(), 3u);
    schedule.set("b.", t0 + 100s);
    EXPECT_EQ(schedule.due(t0 + 30s), (std::vector<std::string> { "c.", "a." }));
    schedule.remove("c.");
    EXPECT_EQ(schedule.due(t0 + 30s), (std::vector<std::string> { "a." }));
    EXPECT_EQ(schedule.size(), 2u);
}

TEST(Schedule, WakeBringsForwardButNeverPostpones)
{
    Schedule schedule;
    schedule.set("a.", t0 + 100s);
    schedule.wake("a.", t0);
    EXPECT_EQ(schedule.at("a."), t0);
    schedule.wake("a.", t0 + 50s); // already due earlier
    EXPECT_EQ(schedule.at("a."), t0);
    schedule.wake("new.", t0 + 5s); // unknown until now
    EXPECT_EQ(schedule.at("new."), t0 + 5s);
}

TEST(Schedule, FailuresBackOffUpToAnHourAndNeverPastTheLatest)
{
    Schedule schedule;
    schedule.set("a.", t0);
    std::vector<std::chrono::seconds> waits;
    TimePoint now = t0;
    for (int i = 0; i < 10; ++i) {
        TimePoint retry = schedule.failed("a.", now);
        waits.push_back(std::chrono::duration_cast<std::chrono::seconds>(retry - now));
        now = retry;
    }
    EXPECT_EQ(waits.front(), Schedule::first_retry);
    for (size_t i = 1; i < waits.size(); ++i) {
        EXPECT_GE(waits[i], waits[i - 1]);
        EXPECT_LE(waits[i], Schedule::longest_retry);
    }
    EXPECT_EQ(waits.back(), Schedule::longest_retry);
    EXPECT_EQ(schedule.failures("a."), 10u);
    // The published signatures' deadline comes first.
    EXPECT_EQ(schedule.failed("a.", now, now + 5s), now + 5s);
    // A deadline already past is now: retried at once, not in the past.
    EXPECT_EQ(schedule.failed("a.", now, now - 5s), now);
    // A success starts the backoff over.
    schedule.set("a.", now + 1000s);
    EXPECT_EQ(schedule.failures("a."), 0u);
    EXPECT_EQ(schedule.failed("a.", now), now + Schedule::first_retry);
}

TEST(ControlRequest, RoundTripsAndRefusesWhatIsNotOne)
{
    ControlRequest request { { "sign", "example.nl.", "--json", "quote'\"\\" }, "/srv/zones", "2026-01-01T00:00:00Z" };
    auto back = parse_control_request(control_request_text(request));
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(*back, request);
    request.now.reset();
    EXPECT_EQ(parse_control_request(control_request_text(request)).value_or(ControlRequest {}), request);

    for (std::string_view bad : { "", "[]", "not json", R"({"args":["a"]})", R"({"args":"sign","cwd":"/"})",
                                  R"({"args":[1],"cwd":"/"})", R"({"args":[],"cwd":"relative"})",
                                  R"({"args":[],"cwd":"/","shell":"rm -rf /"})", R"({"args":["a\u0000b"],"cwd":"/"})" })
        EXPECT_FALSE(parse_control_request(bad)) << bad;
}

class ControlChild : public testing::TempDirTest {
protected:
    // Runs signet_test_child for a request as the daemon runs signet, with
    // the three descriptors a client would send; the exit status.
    int run(const ControlRequest& request, const std::array<int, 3>& stdio, int lock_fd)
    {
        auto pid = start_command(SIGNET_TEST_CHILD, request, stdio, lock_fd, dir_ / "state", dir_ / "daemon.toml");
        EXPECT_TRUE(pid) << pid.error().to_string();
        if (!pid)
            return -1;
        int status = 0;
        EXPECT_EQ(::waitpid(*pid, &status, 0), *pid);
        return status;
    }
};

TEST_F(ControlChild, RunsInTheClientsDirectoryWithItsDescriptorsAndTheLock)
{
    std::filesystem::create_directories(dir_ / "client");
    std::filesystem::create_directories(dir_ / "state");
    auto lock = StateLock::acquire(dir_ / "state", "test", 0ms);
    ASSERT_TRUE(lock) << lock.error().to_string();
    UniqueFd out(::open((dir_ / "out").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
    UniqueFd err(::open((dir_ / "err").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
    UniqueFd in(::open("/dev/null", O_RDONLY | O_CLOEXEC));

    // Relative to the client's directory; the variables the child sees.
    ControlRequest request { { "env", "env.txt", "SIGNET_STATE", "SIGNET_LOCK_FD", "SIGNET_NOW", "SIGNET_DAEMON_CONFIG" },
                             (dir_ / "client").string(), "1800000000" };
    int status = run(request, { in.get(), out.get(), err.get() }, lock->fd());
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_EQ(read(dir_ / "client" / "env.txt"),
              (dir_ / "state").string() + "/3/1800000000/" + (dir_ / "daemon.toml").string());

    request = { { "say", "to stdout", "to stderr" }, (dir_ / "client").string(), std::nullopt };
    status = run(request, { in.get(), out.get(), err.get() }, lock->fd());
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_NE(read(dir_ / "out").find("to stdout"), std::string::npos);
    EXPECT_NE(read(dir_ / "err").find("to stderr"), std::string::npos);

    // The exit status and a signal come back as the answer says.
    request = { { "exit", "3" }, (dir_ / "client").string(), std::nullopt };
    status = run(request, { in.get(), out.get(), err.get() }, lock->fd());
    EXPECT_EQ(control_answer_text(status), R"({"status":3})");
    request = { { "signal", "9" }, (dir_ / "client").string(), std::nullopt };
    status = run(request, { in.get(), out.get(), err.get() }, lock->fd());
    EXPECT_NE(control_answer_text(status).find("killed by signal 9"), std::string::npos);

    // A directory the child cannot enter: not started.
    request = { { "exit", "0" }, (dir_ / "gone").string(), std::nullopt };
    EXPECT_FALSE(start_command(SIGNET_TEST_CHILD, request, { in.get(), out.get(), err.get() }, lock->fd(), dir_,
                               dir_ / "daemon.toml"));
}

TEST_F(ControlChild, ReceiverTakesTheTextAndThreeDescriptors)
{
    int pair[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
    UniqueFd client(pair[0]), server(pair[1]);
    ControlRequest request { { "sign", "--all" }, "/", std::nullopt };
    std::string text = control_request_text(request);
    std::thread sender([&] {
        // What run_in_daemon sends, by hand: the descriptors ride with the
        // first byte.
        int fds[3] = { 0, 1, 2 };
        iovec part { text.data(), text.size() };
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof fds)] {};
        msghdr message {};
        message.msg_iov = &part;
        message.msg_iovlen = 1;
        message.msg_control = control;
        message.msg_controllen = sizeof control;
        cmsghdr* header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(sizeof fds);
        std::memcpy(CMSG_DATA(header), fds, sizeof fds);
        ASSERT_EQ(::sendmsg(client.get(), &message, 0), static_cast<ssize_t>(text.size()));
        ::shutdown(client.get(), SHUT_WR);
    });
    sender.join();
    ControlReceiver receiver;
    ASSERT_TRUE(receiver.receive(server.get()));
    EXPECT_TRUE(receiver.complete);
    EXPECT_EQ(receiver.text, text);
    ASSERT_EQ(receiver.fds.size(), 3u);
    for (const auto& fd : receiver.fds)
        EXPECT_TRUE(::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC); // never leaked into a hook

    // More than a request may hold is refused, not read for ever.
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair), 0);
    UniqueFd big_client(pair[0]), big_server(pair[1]);
    std::string chunk(8192, 'x');
    ControlReceiver flooded;
    Result<void> received;
    for (size_t sent = 0; sent <= max_control_request + chunk.size() && received; sent += chunk.size()) {
        ASSERT_EQ(::write(big_client.get(), chunk.data(), chunk.size()), static_cast<ssize_t>(chunk.size()));
        received = flooded.receive(big_server.get());
    }
    ASSERT_FALSE(received);
    EXPECT_NE(received.error().message().find("too long"), std::string::npos);
}

TEST_F(ControlChild, OnlyTheHoldersDescriptorPassesTheLockOn)
{
    auto lock = StateLock::acquire(dir_, "test", 0ms);
    ASSERT_TRUE(lock) << lock.error().to_string();
    // The holder's own open file: ours at once.
    auto inherited = StateLock::inherit(dir_, ::fcntl(lock->fd(), F_DUPFD_CLOEXEC, 0));
    EXPECT_TRUE(inherited) << inherited.error().to_string();
    // The lock file opened again is another open file: refused, holder named.
    int other = ::open((dir_ / "lock").c_str(), O_RDWR | O_CLOEXEC);
    auto stolen = StateLock::inherit(dir_, other);
    ASSERT_FALSE(stolen);
    EXPECT_EQ(stolen.error().code(), ErrorCode::Conflict);
    EXPECT_NE(stolen.error().message().find("test"), std::string::npos) << stolen.error().message();
    // Some other file, or no file at all.
    int unrelated = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    EXPECT_FALSE(StateLock::inherit(dir_, unrelated));
    EXPECT_FALSE(StateLock::inherit(dir_, 1000));
    // Dropping an inherited lock leaves the holder's record and the lock.
    inherited = fail(ErrorCode::Internal, "dropped");
    EXPECT_NE(read(dir_ / "lock").find("test"), std::string::npos);
    auto second = StateLock::acquire(dir_, "second", 0ms);
    ASSERT_FALSE(second);
    EXPECT_NE(second.error().message().find("pid"), std::string::npos);
}

} // namespace
} // namespace signet::app::daemon_parts_test
