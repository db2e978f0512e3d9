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
