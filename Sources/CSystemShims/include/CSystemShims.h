// POSIX and GNU calls Swift cannot import from Glibc directly (GNU extensions, variadic or macro-only).
#ifndef OPENWORK_CSYSTEMSHIMS_H
#define OPENWORK_CSYSTEMSHIMS_H

#include <spawn.h>
#include <sys/types.h>

/// pipe2(fds, O_CLOEXEC).
int openwork_pipe_cloexec(int fds[2]);
/// posix_spawn_file_actions_addchdir_np where available (glibc 2.29+, macOS 10.15+).
int openwork_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path);
/// posix_spawn_file_actions_addclosefrom_np(actions, from) where available (glibc 2.34+): the child keeps no
/// inherited descriptor at or above `from`. Returns ENOSYS where the platform lacks it.
int openwork_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from);
/// The POSIX_SPAWN_SETSID flag (a GNU extension Swift cannot import), or 0 where it does not exist.
short openwork_spawn_setsid_flag(void);
/// Marks the calling process a child subreaper on Linux (orphaned grandchildren are reparented to it).
int openwork_set_child_subreaper(void);
/// The exit code of a wait status, or -1 when the child did not exit normally.
int openwork_wait_exit_code(int status);
/// The terminating signal of a wait status, or -1 when the child was not killed by a signal.
int openwork_wait_signal(int status);
/// Returns memory glibc's allocator keeps in its free lists (all arenas) to the system: malloc_trim(0). A no-op
/// returning 0 elsewhere. The first call also pins glibc's mmap threshold at 1 MiB (it otherwise grows to the
/// largest block freed), so later large blocks return to the system when freed. Call it after a large,
/// short-lived allocation, never in a hot path.
int openwork_release_free_memory(void);

/// Starts `path` like posix_spawn does for ProcessSpawner (its own process group, signal dispositions reset,
/// mask cleared, `stdin_fd`/`stdout_fd`/`stderr_fd` on 0/1/2 or /dev/null when -1, every other descriptor
/// closed, `cwd` when not NULL), and ties its lifetime to the calling thread (Linux):
/// - the child gets SIGKILL when the thread that called this function exits (PR_SET_PDEATHSIG), which
///   happens when this process dies, however it dies;
/// - a guard process in the child's group, the child's own child, kills the whole group with SIGKILL once the
///   child is gone, so no grandchild outlives it either.
/// Call it from a thread that lives as long as the child (e.g. the one that reaps it).
/// Returns 0 and the pid in `pid_out`, or the errno of the failure (of fork, or of exec in the child).
/// Elsewhere than Linux it returns ENOSYS.
int openwork_spawn_tied(const char *path, char *const argv[], char *const envp[], const char *cwd, int stdin_fd,
                        int stdout_fd, int stderr_fd, pid_t *pid_out);

/// Restores a terminal a full-screen program has taken over when the program crashes (SIGSEGV, SIGBUS, SIGILL,
/// SIGFPE, SIGABRT, SIGTRAP, SIGSYS): installs handlers that, with async-signal-safe calls only, write
/// `restore` (e.g. leave the alternate screen, show the cursor) to `tty_fd`, put back the terminal modes
/// `tty_fd` has now (read here, before the program changes them), put `saved_stderr` back on descriptor 2 when it
/// is not -1, write there the last bytes noted with openwork_terminal_guard_note and what is still unread in
/// `stderr_pipe` (the read end of the pipe descriptor 2 was pointed at, or -1: e.g. a fatal error's message),
/// then run the handler that was installed before (the Swift runtime's backtracer) or the default action.
/// Returns 0, or an errno.
int openwork_terminal_guard_install(int tty_fd, const char *restore, size_t restore_length, int saved_stderr,
                                    int stderr_pipe);
/// Keeps the last 8 KiB written with it, for the crash handler to show once the terminal is restored.
void openwork_terminal_guard_note(const char *bytes, size_t length);
/// 1 once the crash handler has given the terminal back: the program must not draw any more (its other threads
/// run on while the runtime's backtracer works).
int openwork_terminal_guard_released(void);
/// Removes the handlers (the previous ones are back) once the terminal was restored normally.
void openwork_terminal_guard_remove(void);

#endif
