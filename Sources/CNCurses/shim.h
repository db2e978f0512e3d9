// ncurses (wide-character build) for the host-mode dashboard: the library's functions as they are, and its
// macros and window-taking calls Swift cannot import as plain functions on the standard screen.
#ifndef OPENWORK_CNCURSES_SHIM_H
#define OPENWORK_CNCURSES_SHIM_H

#define NCURSES_WIDECHAR 1
#include <stdio.h>
#include <ncursesw/ncurses.h>
#include <ncursesw/term.h>

/// newterm on the process's stdout and stdin (C's stream globals, which Swift 6 will not touch).
static inline SCREEN *cncurses_newterm(void) { return newterm(NULL, stdout, stdin); }
/// setupterm for TERM on descriptor 1, without exiting on failure: 0 when the terminal type is known.
static inline int cncurses_setupterm(void) {
    int status = 0;
    return setupterm(NULL, 1, &status) == OK ? 0 : -1;
}
static inline void cncurses_flush_stdout(void) { fflush(stdout); }

static inline int cncurses_nodelay(int on) { return nodelay(stdscr, on ? TRUE : FALSE); }
static inline int cncurses_keypad(int on) { return keypad(stdscr, on ? TRUE : FALSE); }
static inline int cncurses_lines(void) { return getmaxy(stdscr); }
static inline int cncurses_columns(void) { return getmaxx(stdscr); }
static inline int cncurses_color_pair(int pair) { return (int)COLOR_PAIR(pair); }
static inline int cncurses_bold(void) { return (int)A_BOLD; }
static inline int cncurses_dim(void) { return (int)A_DIM; }
static inline int cncurses_reverse(void) { return (int)A_REVERSE; }
static inline int cncurses_underline(void) { return (int)A_UNDERLINE; }
static inline int cncurses_err(void) { return ERR; }

static inline int cncurses_key_up(void) { return KEY_UP; }
static inline int cncurses_key_down(void) { return KEY_DOWN; }
static inline int cncurses_key_left(void) { return KEY_LEFT; }
static inline int cncurses_key_right(void) { return KEY_RIGHT; }
static inline int cncurses_key_page_up(void) { return KEY_PPAGE; }
static inline int cncurses_key_page_down(void) { return KEY_NPAGE; }
static inline int cncurses_key_home(void) { return KEY_HOME; }
static inline int cncurses_key_end(void) { return KEY_END; }
static inline int cncurses_key_backspace(void) { return KEY_BACKSPACE; }
static inline int cncurses_key_enter(void) { return KEY_ENTER; }
static inline int cncurses_key_resize(void) { return KEY_RESIZE; }

#endif
