#define _GNU_SOURCE
#include "CSystemShims.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

int openwork_pipe_cloexec(int fds[2]) {
#if defined(__linux__)
    return pipe2(fds, O_CLOEXEC);
#else
    if (pipe(fds) != 0) return -1;
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return 0;
#endif
}

int openwork_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

int openwork_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
#else
    (void)actions;
    (void)from;
    return ENOSYS;
#endif
}

short openwork_spawn_setsid_flag(void) {
#if defined(POSIX_SPAWN_SETSID)
    return POSIX_SPAWN_SETSID;
#else
    return 0;
#endif
}

int openwork_set_child_subreaper(void) {
#if defined(__linux__)
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
#else
    return 0;
#endif
}

int openwork_wait_exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }
int openwork_wait_signal(int status) { return WIFSIGNALED(status) ? WTERMSIG(status) : -1; }

#if defined(__linux__)
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>

/// Closes every descriptor from `from` up (close_range where the kernel has it, else one by one).
static void openwork_close_from(int from) {
#if defined(SYS_close_range)
    if (syscall(SYS_close_range, (unsigned)from, ~0U, 0) == 0) return;
#endif
    long max = sysconf(_SC_OPEN_MAX);
    for (long fd = from; fd < (max > 0 ? max : 65536); fd++) close((int)fd);
}

/// The guard: the child's child, in its group. Only async-signal-safe calls (it is a fork of a threaded
/// process). Every signal is blocked, so the stop sequence's SIGTERM does not end it early; when its parent
/// (the supervised child) dies it is sent SIGUSR1 and kills the group, itself included.
/// Blanks this process's command line and environment as `/proc/<pid>/cmdline` and `environ` show them (the way
/// setproctitle does), then names it `openwork-guard`: a fork of the engine must not look like the engine (its
/// argv and marks) to `ps`, `pgrep` or a leak check. Reads the regions' bounds from `/proc/self/stat` (fields 48
/// to 51); async-signal-safe.
static void openwork_retitle(void) {
    char text[4096];
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ssize_t count = read(fd, text, sizeof text - 1);
    close(fd);
    if (count <= 0) return;
    text[count] = 0;
    char *cursor = NULL;
    for (char *p = text; *p; p++) {
        if (*p == ')') cursor = p + 1;
    }
    if (cursor == NULL) return;
    // After the last ')', field 3 (state) comes first: field N is the (N - 2)th word.
    unsigned long bounds[4] = {0, 0, 0, 0};
    int field = 2;
    while (*cursor && field < 51) {
        while (*cursor == ' ') cursor++;
        field++;
        unsigned long value = 0;
        while (*cursor >= '0' && *cursor <= '9') value = value * 10 + (unsigned long)(*cursor++ - '0');
        while (*cursor && *cursor != ' ') cursor++;
        if (field >= 48 && field <= 51) bounds[field - 48] = value;
    }
    if (field < 51) return;
    for (int region = 0; region < 2; region++) {
        unsigned long start = bounds[region * 2], end = bounds[region * 2 + 1];
        if (start != 0 && end > start) memset((void *)start, 0, end - start);
    }
    static const char title[] = "openwork-guard";
    if (bounds[0] != 0 && bounds[1] - bounds[0] > sizeof title) memcpy((void *)bounds[0], title, sizeof title);
}

static void openwork_guard(pid_t leader) __attribute__((noreturn));
static void openwork_guard(pid_t leader) {
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    openwork_close_from(0);
    prctl(PR_SET_NAME, "openwork-guard", 0, 0, 0);
    openwork_retitle();
    prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0);
    if (getppid() == leader) {
        sigset_t wake;
        sigemptyset(&wake);
        sigaddset(&wake, SIGUSR1);
        int received = 0;
        while (sigwait(&wake, &received) != 0) {
        }
    }
    kill(-leader, SIGKILL);
    _exit(0);
}

static void openwork_fail(int report, int error) __attribute__((noreturn));
static void openwork_fail(int report, int error) {
    ssize_t ignored = write(report, &error, sizeof error);
    (void)ignored;
    _exit(127);
}

int openwork_spawn_tied(const char *path, char *const argv[], char *const envp[], const char *cwd, int stdin_fd,
                        int stdout_fd, int stderr_fd, pid_t *pid_out) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return errno;
    pid_t parent = getpid();
    pid_t child = fork();
    if (child < 0) {
        int error = errno;
        close(report[0]);
        close(report[1]);
        return error;
    }
    if (child == 0) {
        // The child: only async-signal-safe calls until exec. The report end must not sit on 0..2.
        if (report[1] <= 2) {
            report[1] = fcntl(report[1], F_DUPFD_CLOEXEC, 3);
            if (report[1] < 0) _exit(127);
        }
        if (setpgid(0, 0) != 0) openwork_fail(report[1], errno);
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) openwork_fail(report[1], errno);
        // The parent may have died before the line above took effect.
        if (getppid() != parent) _exit(127);
        pid_t self = getpid();
        pid_t guard = fork();
        if (guard < 0) openwork_fail(report[1], errno);
        if (guard == 0) openwork_guard(self);
        int fds[3] = {stdin_fd, stdout_fd, stderr_fd};
        int flags[3] = {O_RDONLY, O_WRONLY, O_WRONLY};
        // Move the sources above 2 first, so a dup2 onto 0..2 never overwrites a source still needed.
        for (int i = 0; i < 3; i++) {
            if (fds[i] >= 0 && fds[i] <= 2) {
                int moved = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
                if (moved < 0) openwork_fail(report[1], errno);
                fds[i] = moved;
            }
        }
        for (int i = 0; i < 3; i++) {
            int source = fds[i] >= 0 ? fds[i] : open("/dev/null", flags[i] | O_CLOEXEC);
            if (source < 0 || dup2(source, i) < 0) openwork_fail(report[1], errno);
        }
        if (cwd != NULL && chdir(cwd) != 0) openwork_fail(report[1], errno);
        struct sigaction defaults;
        memset(&defaults, 0, sizeof defaults);
        defaults.sa_handler = SIG_DFL;
        for (int signal = 1; signal < NSIG; signal++) {
            if (signal != SIGKILL && signal != SIGSTOP) sigaction(signal, &defaults, NULL);
        }
        sigset_t empty;
        sigemptyset(&empty);
        sigprocmask(SIG_SETMASK, &empty, NULL);
        // Everything above 2 goes, but the report pipe, which exec closes (close-on-exec).
        for (int fd = 3; fd < report[1]; fd++) close(fd);
        openwork_close_from(report[1] + 1);
        execve(path, argv, envp);
        openwork_fail(report[1], errno);
    }
    close(report[1]);
    int error = 0;
    ssize_t count;
    do {
        count = read(report[0], &error, sizeof error);
    } while (count < 0 && errno == EINTR);
    close(report[0]);
    if (count == (ssize_t)sizeof error && error != 0) {
        int status;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
        }
        return error;
    }
    *pid_out = child;
    return 0;
}
#else
int openwork_spawn_tied(const char *path, char *const argv[], char *const envp[], const char *cwd, int stdin_fd,
                        int stdout_fd, int stderr_fd, pid_t *pid_out) {
    (void)path, (void)argv, (void)envp, (void)cwd, (void)stdin_fd, (void)stdout_fd, (void)stderr_fd, (void)pid_out;
    return ENOSYS;
}
#endif

#if defined(__GLIBC__)
#include <malloc.h>
#endif
int openwork_release_free_memory(void) {
#if defined(__GLIBC__)
    // A fixed threshold stops glibc from raising it to the largest block freed, so later large blocks are
    // mmapped and go straight back to the system when freed.
    static int pinned = 0;
    if (!pinned) pinned = mallopt(M_MMAP_THRESHOLD, 1 << 20);
    return malloc_trim(0);
#else
    return 0;
#endif
}
