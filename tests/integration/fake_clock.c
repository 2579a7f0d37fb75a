/* A frozen wall clock for the independent checkers the rollover simulation
 * runs. BIND's dnssec-verify has no option for the validation time and
 * checks every signature's inception and expiration against the real clock,
 * while the simulation signs zones years ahead with `signet --now`.
 * libfaketime cannot be used: its clock_gettime recurses into jemalloc's,
 * which BIND links, and hangs. This preload library answers CLOCK_REALTIME,
 * gettimeofday() and time() with $SIGNET_FAKE_TIME (Unix seconds) and asks
 * the kernel directly for everything else, so it needs no dlsym and cannot
 * recurse. Without $SIGNET_FAKE_TIME it changes nothing.
 *
 * Built by tests/integration/rollover_sim.py with the system C compiler:
 *   cc -O2 -shared -fPIC -o fake_clock.so fake_clock.c
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int fake_seconds(long* seconds)
{
    const char* text = getenv("SIGNET_FAKE_TIME");
    if (!text || !*text)
        return 0;
    *seconds = strtol(text, NULL, 10);
    return 1;
}

int clock_gettime(clockid_t clock, struct timespec* ts)
{
    long seconds;
    if ((clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE) && fake_seconds(&seconds)) {
        ts->tv_sec = seconds;
        ts->tv_nsec = 0;
        return 0;
    }
    return (int)syscall(SYS_clock_gettime, clock, ts);
}

int gettimeofday(struct timeval* tv, void* tz)
{
    long seconds;
    if (!fake_seconds(&seconds))
        return (int)syscall(SYS_gettimeofday, tv, tz);
    if (tv) {
        tv->tv_sec = seconds;
        tv->tv_usec = 0;
    }
    return 0;
}

time_t time(time_t* out)
{
    long seconds;
    time_t now;
    if (fake_seconds(&seconds)) {
        now = (time_t)seconds;
    } else {
        struct timespec ts;
        syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts);
        now = ts.tv_sec;
    }
    if (out)
        *out = now;
    return now;
}
