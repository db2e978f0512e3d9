#define _GNU_SOURCE
#include "CSystemShims.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

// Everything the crash handler needs, prepared before any crash: it reads these and calls only write, tcsetattr,
// dup2, sigaction and raise (all async-signal-safe).
static const int guarded_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS};
#define GUARDED_COUNT (sizeof(guarded_signals) / sizeof(guarded_signals[0]))
static struct sigaction previous_actions[GUARDED_COUNT];
static volatile sig_atomic_t installed = 0;
static volatile sig_atomic_t released = 0;
static int guard_tty = -1;
static int guard_saved_stderr = -1;
static int guard_stderr_pipe = -1;
static struct termios guard_modes;
static int guard_has_modes = 0;
static char guard_restore[256];
static size_t guard_restore_length = 0;
#define NOTE_SIZE 8192
static char note_ring[NOTE_SIZE];
static volatile size_t note_written = 0;

static void write_all(int fd, const char *bytes, size_t length) {
    while (length > 0) {
        ssize_t count = write(fd, bytes, length);
        if (count < 0) {
            if (errno == EINTR) continue;
            return;
        }
        bytes += count;
        length -= (size_t)count;
    }
}

static void crash_handler(int signal_number) {
    int saved_errno = errno;
    released = 1;
    if (guard_tty >= 0) {
        write_all(guard_tty, guard_restore, guard_restore_length);
        if (guard_has_modes) tcsetattr(guard_tty, TCSANOW, &guard_modes);
    }
    if (guard_saved_stderr >= 0) dup2(guard_saved_stderr, 2);
    size_t written = note_written;
    if (written > 0) {
        static const char heading[] = "openwork: the dashboard's last output before the crash:\n";
        write_all(2, heading, sizeof(heading) - 1);
        size_t kept = written < NOTE_SIZE ? written : NOTE_SIZE;
        size_t start = (written - kept) % NOTE_SIZE;
        size_t first = kept < NOTE_SIZE - start ? kept : NOTE_SIZE - start;
        write_all(2, note_ring + start, first);
        write_all(2, note_ring, kept - first);
        write_all(2, "\n", 1);
    }
    if (guard_stderr_pipe >= 0) {
        int flags = fcntl(guard_stderr_pipe, F_GETFL);
        if (flags >= 0) fcntl(guard_stderr_pipe, F_SETFL, flags | O_NONBLOCK);
        char buffer[1024];
        for (int round = 0; round < 64; round++) {
            ssize_t count = read(guard_stderr_pipe, buffer, sizeof(buffer));
            if (count <= 0) break;
            write_all(2, buffer, (size_t)count);
        }
    }
    // The handler that was there before (the runtime's backtracer), else the default action, for this signal.
    for (size_t index = 0; index < GUARDED_COUNT; index++) {
        if (guarded_signals[index] == signal_number) {
            sigaction(signal_number, &previous_actions[index], NULL);
        }
    }
    installed = 0;
    errno = saved_errno;
    raise(signal_number);
}

int openwork_terminal_guard_install(int tty_fd, const char *restore, size_t restore_length, int saved_stderr,
                                    int stderr_pipe) {
    if (installed) return EBUSY;
    if (restore_length > sizeof(guard_restore)) restore_length = sizeof(guard_restore);
    memcpy(guard_restore, restore, restore_length);
    guard_restore_length = restore_length;
    guard_has_modes = tcgetattr(tty_fd, &guard_modes) == 0;
    guard_tty = tty_fd;
    guard_saved_stderr = saved_stderr;
    guard_stderr_pipe = stderr_pipe;
    note_written = 0;
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = crash_handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_NODEFER | SA_ONSTACK;
    for (size_t index = 0; index < GUARDED_COUNT; index++) {
        if (sigaction(guarded_signals[index], &action, &previous_actions[index]) != 0) return errno;
    }
    installed = 1;
    return 0;
}

void openwork_terminal_guard_note(const char *bytes, size_t length) {
    for (size_t index = 0; index < length; index++) {
        note_ring[(note_written + index) % NOTE_SIZE] = bytes[index];
    }
    note_written += length;
}

int openwork_terminal_guard_released(void) { return released; }

void openwork_terminal_guard_remove(void) {
    if (!installed) return;
    for (size_t index = 0; index < GUARDED_COUNT; index++) {
        sigaction(guarded_signals[index], &previous_actions[index], NULL);
    }
    installed = 0;
    guard_tty = -1;
}
