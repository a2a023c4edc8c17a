#ifndef PARLOIR_CZLIB_SHIM_H
#define PARLOIR_CZLIB_SHIM_H
#include <zlib.h>

/// deflateInit2 is a macro in zlib.h; Swift calls this instead.
static inline int parloir_deflate_init_gzip(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

/// A raw deflate stream (no zlib or gzip header), as a ZIP entry holds it.
static inline int parloir_deflate_init_raw(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
}

/// Reads a raw deflate stream back (a ZIP entry's).
static inline int parloir_inflate_init_raw(z_stream *stream) {
    return inflateInit2(stream, -15);
}
#endif
