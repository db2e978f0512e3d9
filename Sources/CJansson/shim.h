// The jansson macros and inline helpers Swift cannot import, as plain functions.
#ifndef OPENWORK_CJANSSON_SHIM_H
#define OPENWORK_CJANSSON_SHIM_H

#include <jansson.h>

static inline json_type cjansson_typeof(const json_t *json) { return json_typeof(json); }
static inline json_t *cjansson_incref(json_t *json) { return json_incref(json); }
static inline void cjansson_decref(json_t *json) { json_decref(json); }
static inline size_t cjansson_indent(int spaces) { return JSON_INDENT(spaces); }
static inline size_t cjansson_real_precision(int digits) { return JSON_REAL_PRECISION(digits); }
static inline int cjansson_error_code(const json_error_t *error) { return (int)json_error_code(error); }

#endif
