// STREAM-style memory bandwidth on this machine: the bound decode speed is measured against.
#pragma once
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Which loop to time. Bytes counted as STREAM counts them: read = 1x, copy = 2x, triad = 3x the array size.
typedef enum {
    LKB_READ = 0,            // one pass over each thread's slice, every 64-byte line read; hardware prefetch only
    LKB_READ_PREFETCH = 1,   // the same with software prefetch 12 KiB ahead (as the decode kernels do on short ranges)
    LKB_READ_STREAMS = 2,    // each slice read as 8 interleaved streams, software prefetch: the most this
                             // machine's cores pull from memory in our measurements
    LKB_COPY = 3,            // a[i] = b[i]
    LKB_TRIAD = 4,           // a[i] = b[i] + s * c[i]
} lkb_kernel;

/// Best bandwidth in bytes per second of `passes` passes of `kernel` over arrays of `bytes` bytes each, split
/// across `threads` threads (each touching its own slice; first touch by the same thread). Returns 0 if
/// memory or threads could not be had.
double lkb_bandwidth(lkb_kernel kernel, size_t bytes, int threads, int passes);

/// A read loop kept ready between passes (its array touched once, its threads parked), so the read bound can
/// be timed right beside each measured step on a host whose bandwidth moves from second to second.
typedef struct lkb_reader lkb_reader;
/// An array of `bytes` (rounded down to 256) read by `threads` threads as LKB_READ_STREAMS reads; NULL if memory
/// could not be had. Fewer threads than asked if some could not be started (see lkb_reader_threads).
lkb_reader *lkb_reader_create(size_t bytes, int threads);
int lkb_reader_threads(const lkb_reader *reader);
/// Seconds of one read of the whole array, from the moment every thread is awake and ready.
double lkb_reader_pass(lkb_reader *reader);
void lkb_reader_destroy(lkb_reader *reader);

#ifdef __cplusplus
}
#endif
