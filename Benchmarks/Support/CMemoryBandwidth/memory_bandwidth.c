// STREAM-style bandwidth loops. Arrays are much larger than the last-level cache, each thread works on its
// own slice (touched first by that thread), and the best of several passes is reported, as STREAM does.
#include "memory_bandwidth.h"
#include <pthread.h>
#include <stdatomic.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

typedef struct {
    lkb_kernel kernel;
    float *a, *b, *c;
    size_t begin, end;  // floats
    pthread_barrier_t *barrier;
    int passes;
    double *seconds;    // per pass, written by thread 0
    atomic_int *start;  // 0 wait, 1 go, -1 give up (a thread could not be started)
    volatile float sink;
} job;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

#if defined(__x86_64__)
__attribute__((target("avx2")))
static float read_lines(const float *p, size_t n, int prefetch) {
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {  // 256 bytes: four lines, one 32-byte load each
        if (prefetch) {
            for (int l = 0; l < 4; l++) _mm_prefetch((const char *)(p + i + 16 * l) + 12 * 1024, _MM_HINT_T0);
        }
        s0 = _mm256_add_ps(s0, _mm256_loadu_ps(p + i));
        s1 = _mm256_add_ps(s1, _mm256_loadu_ps(p + i + 16));
        s2 = _mm256_add_ps(s2, _mm256_loadu_ps(p + i + 32));
        s3 = _mm256_add_ps(s3, _mm256_loadu_ps(p + i + 48));
    }
    float out[8];
    _mm256_storeu_ps(out, _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    float s = out[0] + out[1] + out[2] + out[3] + out[4] + out[5] + out[6] + out[7];
    for (; i < n; i += 16) s += p[i];
    return s;
}

// Eight streams, each through its own eighth of the slice, one line of each per step.
__attribute__((target("avx2")))
static float read_streams(const float *p, size_t n) {
    const size_t part = n / 8 / 16 * 16;
    __m256 s = _mm256_setzero_ps();
    for (size_t i = 0; i < part; i += 16) {
        for (int k = 0; k < 8; k++) {
            const float *q = p + (size_t)k * part + i;
            _mm_prefetch((const char *)q + 12 * 1024, _MM_HINT_T0);
            s = _mm256_add_ps(s, _mm256_loadu_ps(q));
        }
    }
    float out[8];
    _mm256_storeu_ps(out, s);
    return out[0] + out[1] + out[2] + out[3] + out[4] + out[5] + out[6] + out[7];
}
#endif

static float read_lines_portable(const float *p, size_t n) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) { s0 += p[i]; s1 += p[i + 16]; s2 += p[i + 32]; s3 += p[i + 48]; }
    for (; i < n; i += 16) s0 += p[i];
    return s0 + s1 + s2 + s3;
}

// One of the three read loops over p[0, n).
static float read_array(lkb_kernel kernel, const float *p, size_t n) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2")) return kernel == LKB_READ_STREAMS ? read_streams(p, n) : read_lines(p, n, kernel == LKB_READ_PREFETCH);
#endif
    (void)kernel;
    return read_lines_portable(p, n);
}

// Where thread t's slice of n floats starts (t = threads: the end), on a 64-float boundary.
static size_t slice_start(size_t n, int t, int threads) {
    return t == threads ? n : n * (size_t)t / (size_t)threads / 64 * 64;
}

static void *run(void *arg) {
    job *j = arg;
    int go;
    while ((go = atomic_load(j->start)) == 0) sched_yield();
    if (go < 0) return NULL;
    const size_t n = j->end - j->begin;
    float *a = j->a + j->begin, *b = j->b ? j->b + j->begin : NULL, *c = j->c ? j->c + j->begin : NULL;
    // First touch by this thread: its pages land on its memory node.
    for (size_t i = 0; i < n; i++) a[i] = 1.0f;
    if (b) for (size_t i = 0; i < n; i++) b[i] = 2.0f;
    if (c) for (size_t i = 0; i < n; i++) c[i] = 0.5f;
    float sink = 0;
    for (int pass = 0; pass < j->passes; pass++) {
        pthread_barrier_wait(j->barrier);
        const double start = now();
        switch (j->kernel) {
        case LKB_READ:
        case LKB_READ_PREFETCH:
        case LKB_READ_STREAMS:
            sink += read_array(j->kernel, a, n);
            break;
        case LKB_COPY:
            memcpy(a, b, n * sizeof(float));
            break;
        case LKB_TRIAD:
            for (size_t i = 0; i < n; i++) a[i] = b[i] + 3.0f * c[i];
            break;
        }
        pthread_barrier_wait(j->barrier);
        if (j->seconds) j->seconds[pass] = now() - start;
    }
    j->sink = sink;
    return NULL;
}

double lkb_bandwidth(lkb_kernel kernel, size_t bytes, int threads, int passes) {
    if (threads < 1 || threads > 256 || passes < 1 || bytes < 4096) return 0;
    const size_t n = bytes / sizeof(float);
    const int arrays = kernel == LKB_TRIAD ? 3 : kernel == LKB_COPY ? 2 : 1;
    float *a = aligned_alloc(4096, n * sizeof(float) / 4096 * 4096 + 4096);
    float *b = arrays > 1 ? aligned_alloc(4096, n * sizeof(float) / 4096 * 4096 + 4096) : NULL;
    float *c = arrays > 2 ? aligned_alloc(4096, n * sizeof(float) / 4096 * 4096 + 4096) : NULL;
    double *seconds = calloc((size_t)passes, sizeof(double));
    job *jobs = calloc((size_t)threads, sizeof(job));
    pthread_t *ids = calloc((size_t)threads, sizeof(pthread_t));
    pthread_barrier_t barrier;
    atomic_int start = 0;
    double result = 0;
    if (!a || (arrays > 1 && !b) || (arrays > 2 && !c) || !seconds || !jobs || !ids ||
        pthread_barrier_init(&barrier, NULL, (unsigned)threads) != 0) goto done;
    for (int t = 0; t < threads; t++) {
        jobs[t] = (job){ kernel, a, b, c, slice_start(n, t, threads), slice_start(n, t + 1, threads),
                         &barrier, passes, t == 0 ? seconds : NULL, &start, 0 };
    }
    int started = 0;
    for (; started < threads; started++) {
        if (pthread_create(&ids[started], NULL, run, &jobs[started]) != 0) break;
    }
    atomic_store(&start, started == threads ? 1 : -1);
    for (int t = 0; t < started; t++) pthread_join(ids[t], NULL);
    pthread_barrier_destroy(&barrier);
    if (started < threads) goto done;
    double best = 0;
    for (int p = 0; p < passes; p++) if (seconds[p] > 0 && (best == 0 || seconds[p] < best)) best = seconds[p];
    if (best > 0) result = (double)(n * sizeof(float)) * (double)arrays / best;
done:
    free(a); free(b); free(c);
    free(seconds); free(jobs); free(ids);
    return result;
}

// --- A reader kept between passes, to time the read bound right beside a measured step --------------------

struct lkb_reader {
    float *a;
    size_t n;                   // floats
    int threads;
    pthread_t *ids;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    int generation, stop;       // under mutex
    atomic_int ready, go, done;
    volatile float sink;
};

typedef struct { lkb_reader *r; int ith; } reader_arg;

static void reader_slice(lkb_reader *r, int ith) {
    const size_t begin = slice_start(r->n, ith, r->threads);
    r->sink += read_array(LKB_READ_STREAMS, r->a + begin, slice_start(r->n, ith + 1, r->threads) - begin);
}

static void *reader_main(void *p) {
    reader_arg arg = *(reader_arg *)p;
    free(p);
    lkb_reader *r = arg.r;
    int seen = 0;
    for (;;) {
        pthread_mutex_lock(&r->mutex);
        while (r->generation == seen && !r->stop) pthread_cond_wait(&r->wake, &r->mutex);
        const int stop = r->stop;
        seen = r->generation;
        pthread_mutex_unlock(&r->mutex);
        if (stop) return NULL;
        // Wake-up latency is not memory time: every thread announces itself, then all start together.
        atomic_fetch_add(&r->ready, 1);
        while (!atomic_load(&r->go)) sched_yield();
        reader_slice(r, arg.ith);
        atomic_fetch_add(&r->done, 1);
    }
}

lkb_reader *lkb_reader_create(size_t bytes, int threads) {
    if (threads < 1 || threads > 256 || bytes < 4096) return NULL;
    lkb_reader *r = calloc(1, sizeof(lkb_reader));
    if (!r) return NULL;
    r->n = bytes / sizeof(float) / 64 * 64;
    r->threads = threads;
    r->a = aligned_alloc(4096, r->n * sizeof(float) / 4096 * 4096 + 4096);
    r->ids = calloc((size_t)threads, sizeof(pthread_t));
    if (!r->a || !r->ids) { free(r->a); free(r->ids); free(r); return NULL; }
    for (size_t i = 0; i < r->n; i++) r->a[i] = 1.0f;
    pthread_mutex_init(&r->mutex, NULL);
    pthread_cond_init(&r->wake, NULL);
    for (int t = 1; t < threads; t++) {
        reader_arg *arg = malloc(sizeof(reader_arg));
        if (arg) *arg = (reader_arg){ r, t };
        if (!arg || pthread_create(&r->ids[t], NULL, reader_main, arg) != 0) {
            free(arg);
            r->threads = t;
            break;
        }
    }
    return r;
}

int lkb_reader_threads(const lkb_reader *r) { return r ? r->threads : 0; }

double lkb_reader_pass(lkb_reader *r) {
    if (!r) return 0;
    atomic_store(&r->ready, 0);
    atomic_store(&r->go, 0);
    atomic_store(&r->done, 0);
    pthread_mutex_lock(&r->mutex);
    r->generation++;
    pthread_cond_broadcast(&r->wake);
    pthread_mutex_unlock(&r->mutex);
    while (atomic_load(&r->ready) < r->threads - 1) sched_yield();
    const double start = now();
    atomic_store(&r->go, 1);
    reader_slice(r, 0);
    while (atomic_load(&r->done) < r->threads - 1) sched_yield();
    return now() - start;
}

void lkb_reader_destroy(lkb_reader *r) {
    if (!r) return;
    pthread_mutex_lock(&r->mutex);
    r->stop = 1;
    pthread_cond_broadcast(&r->wake);
    pthread_mutex_unlock(&r->mutex);
    for (int t = 1; t < r->threads; t++) pthread_join(r->ids[t], NULL);
    pthread_cond_destroy(&r->wake);
    pthread_mutex_destroy(&r->mutex);
    free(r->a);
    free(r->ids);
    free(r);
}
