#ifndef OPENWORK_CZLIB_SHIM_H
#define OPENWORK_CZLIB_SHIM_H
#include <zlib.h>

/// inflateInit2 is a macro; Swift needs a function. windowBits: 16+15 for gzip, -15 for raw deflate (zip).
static inline int openwork_inflate_init(z_stream *stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}

/// deflateInit2 for gzip output (16+15 window bits), used by tests to build archives.
static inline int openwork_deflate_init_gzip(z_stream *stream) {
    return deflateInit2(stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY);
}
#endif
