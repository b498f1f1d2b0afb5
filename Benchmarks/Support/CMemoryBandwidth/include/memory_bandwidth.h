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

#ifdef __cplusplus
}
#endif
