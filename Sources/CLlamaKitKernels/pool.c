// A small persistent thread pool. Decode issues a few hundred small ops per token (each 5-50 µs on a
// small model), and waking a sleeping thread through the kernel costs about as much as one op, so workers
// stay hot: after each job they spin on the job counter for about a millisecond (long enough to bridge every
// gap inside a token and between tokens), and only then sleep on a condition variable. The caller wakes
// sleepers only when there are any, so a hot pool starts a job with one atomic increment.
#include "llamakit_kernels.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sched.h>
#include <time.h>

struct lk_pool {
    int n;                                    // threads including the caller
    pthread_t *threads;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    _Alignas(64) atomic_uint generation;      // bumped once per job
    _Alignas(64) atomic_int pending;          // workers still running the current job
    _Alignas(64) atomic_int sleepers;         // workers waiting on `wake`
    atomic_int stop;
    lk_task_fn fn;
    void *ctx;
};

typedef struct { lk_pool *pool; int ith; } worker_arg;

// How long a worker spins for the next job before it sleeps, and how long the caller spins for the workers
// to finish before it starts yielding its core (a worker may have been descheduled).
enum { SPIN_NANOSECONDS = 1000000, WAIT_SPIN_NANOSECONDS = 2000000, CHECK_CLOCK_EVERY = 64 };

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

// Spins until the job counter moves past `seen` or the pool stops, for at most `budget` nanoseconds.
static unsigned spin_for_job(lk_pool *pool, unsigned seen, int64_t budget) {
    int64_t deadline = 0;
    for (unsigned i = 0;; i++) {
        const unsigned now = atomic_load_explicit(&pool->generation, memory_order_acquire);
        if (now != seen || atomic_load_explicit(&pool->stop, memory_order_relaxed)) return now;
        if (i % CHECK_CLOCK_EVERY == 0) {
            const int64_t t = now_ns();
            if (deadline == 0) deadline = t + budget;
            else if (t > deadline) return now;
        }
        cpu_relax();
    }
}

static void *worker_main(void *p) {
    worker_arg arg = *(worker_arg *)p;
    free(p);
    lk_pool *pool = arg.pool;
    // Jobs are numbered from 1, and the pool starts at 0. Reading the counter here instead would race with a
    // job posted before this thread got to run, which would then be missed forever (and the caller would wait).
    unsigned seen = 0;
    for (;;) {
        unsigned now = spin_for_job(pool, seen, SPIN_NANOSECONDS);
        if (now == seen && !atomic_load_explicit(&pool->stop, memory_order_relaxed)) {
            pthread_mutex_lock(&pool->mutex);
            // Announce the sleep before the last look at the counter (both sequentially consistent): either the
            // caller sees a sleeper and broadcasts under the mutex, or this thread sees the new job.
            atomic_fetch_add(&pool->sleepers, 1);
            while ((now = atomic_load(&pool->generation)) == seen && !atomic_load(&pool->stop)) {
                pthread_cond_wait(&pool->wake, &pool->mutex);
            }
            atomic_fetch_sub(&pool->sleepers, 1);
            pthread_mutex_unlock(&pool->mutex);
        }
        if (atomic_load_explicit(&pool->stop, memory_order_relaxed)) return NULL;
        seen = now;
        pool->fn(pool->ctx, arg.ith, pool->n);
        atomic_fetch_sub_explicit(&pool->pending, 1, memory_order_acq_rel);
    }
}

lk_pool *lk_pool_create(int n_threads) {
    if (n_threads < 1) n_threads = 1;
    if (n_threads > 512) n_threads = 512;
    lk_pool *pool = calloc(1, sizeof(lk_pool));
    if (!pool) return NULL;
    pool->n = n_threads;
    pthread_mutex_init(&pool->mutex, NULL);
    pthread_cond_init(&pool->wake, NULL);
    atomic_init(&pool->generation, 0);
    atomic_init(&pool->pending, 0);
    atomic_init(&pool->sleepers, 0);
    atomic_init(&pool->stop, 0);
    pool->threads = calloc((size_t)n_threads, sizeof(pthread_t));
    if (!pool->threads) { free(pool); return NULL; }
    for (int i = 1; i < n_threads; i++) {
        worker_arg *arg = malloc(sizeof(worker_arg));
        if (!arg) { pool->n = i; break; }
        arg->pool = pool;
        arg->ith = i;
        if (pthread_create(&pool->threads[i], NULL, worker_main, arg) != 0) { free(arg); pool->n = i; break; }
    }
    return pool;
}

void lk_pool_destroy(lk_pool *pool) {
    if (!pool) return;
    pthread_mutex_lock(&pool->mutex);
    atomic_store(&pool->stop, 1);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    for (int i = 1; i < pool->n; i++) pthread_join(pool->threads[i], NULL);
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->mutex);
    free(pool->threads);
    free(pool);
}

int lk_pool_threads(const lk_pool *pool) { return pool ? pool->n : 1; }

void lk_pool_run(lk_pool *pool, lk_task_fn fn, void *ctx) {
    if (!pool || pool->n == 1) { fn(ctx, 0, 1); return; }
    pool->fn = fn;
    pool->ctx = ctx;
    atomic_store_explicit(&pool->pending, pool->n - 1, memory_order_relaxed);
    atomic_fetch_add(&pool->generation, 1);  // sequentially consistent: pairs with the sleepers' announcement
    if (atomic_load(&pool->sleepers) > 0) {
        pthread_mutex_lock(&pool->mutex);
        pthread_cond_broadcast(&pool->wake);
        pthread_mutex_unlock(&pool->mutex);
    }
    fn(ctx, 0, pool->n);
    // Wait for the workers: spin first, then yield so a descheduled worker can get the core back.
    int64_t deadline = 0;
    for (unsigned i = 0; atomic_load_explicit(&pool->pending, memory_order_acquire) > 0; i++) {
        if (deadline >= 0 && i % CHECK_CLOCK_EVERY == 0) {
            const int64_t t = now_ns();
            if (deadline == 0) deadline = t + WAIT_SPIN_NANOSECONDS;
            else if (t > deadline) deadline = -1;
        }
        if (deadline >= 0) cpu_relax();
        else sched_yield();
    }
}
