// A small persistent thread pool. Workers spin for a short while after each job (decode issues hundreds of
// small ops per token, and waking a sleeping thread costs more than the op), then sleep on a condition.
#include "llamakit_kernels.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sched.h>

struct lk_pool {
    int n;                     // threads including the caller
    pthread_t *threads;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    atomic_uint generation;    // bumped once per job
    atomic_int pending;        // workers still running the current job
    atomic_int stop;
    lk_task_fn fn;
    void *ctx;
};

typedef struct { lk_pool *pool; int ith; } worker_arg;

// About 50-100 µs of spinning: long enough to bridge the gap between the ops of one token, short enough
// not to steal a core from other processes (or the other threads of this one) when the machine is busy.
enum { SPIN_ITERATIONS = 2000 };

static void *worker_main(void *p) {
    worker_arg arg = *(worker_arg *)p;
    free(p);
    lk_pool *pool = arg.pool;
    // Jobs are numbered from 1, and the pool starts at 0. Reading the counter here instead would race with a
    // job posted before this thread got to run, which would then be missed forever (and the caller would wait).
    unsigned seen = 0;
    for (;;) {
        unsigned now = seen;
        for (int i = 0; i < SPIN_ITERATIONS; i++) {
            now = atomic_load_explicit(&pool->generation, memory_order_acquire);
            if (now != seen || atomic_load_explicit(&pool->stop, memory_order_relaxed)) break;
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        }
        if (now == seen && !atomic_load_explicit(&pool->stop, memory_order_relaxed)) {
            pthread_mutex_lock(&pool->mutex);
            while ((now = atomic_load_explicit(&pool->generation, memory_order_acquire)) == seen &&
                   !atomic_load_explicit(&pool->stop, memory_order_relaxed)) {
                pthread_cond_wait(&pool->wake, &pool->mutex);
            }
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
    atomic_store_explicit(&pool->pending, pool->n - 1, memory_order_release);
    pthread_mutex_lock(&pool->mutex);
    atomic_fetch_add_explicit(&pool->generation, 1, memory_order_acq_rel);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    fn(ctx, 0, pool->n);
    // Wait for the workers; yield after a short spin so a descheduled worker can get the core back.
    for (int spins = 0; atomic_load_explicit(&pool->pending, memory_order_acquire) > 0; spins++) {
        if (spins < SPIN_ITERATIONS) {
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        } else {
            sched_yield();
        }
    }
}
