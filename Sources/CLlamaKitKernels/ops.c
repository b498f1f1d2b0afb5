// Parallel ops of the CPU backend besides matrix products and attention: row expansion, norms, RoPE, activations.
#include "llamakit_kernels.h"
#include "kernels_internal.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

void lk_get_rows(int type, const void *table, size_t row_bytes, int64_t k,
                 const int32_t *ids, int64_t n, float *out) {
    for (int64_t i = 0; i < n; i++)
        lk_dequantize_row(type, (const uint8_t *)table + (size_t)ids[i] * row_bytes, out + i * k, k);
}

// --- RMSNorm ------------------------------------------------------------------------------------

typedef struct { const float *x, *weight; float eps; float *out; int64_t rows, n; } norm_ctx;

static void norm_task(void *p, int ith, int nth) {
    const norm_ctx *c = p;
    int64_t r0, r1;
    lk_split_range(c->rows, 1, ith, nth, &r0, &r1);
    for (int64_t r = r0; r < r1; r++) {
        const float *x = c->x + r * c->n;
        float *o = c->out + r * c->n;
        double sum = 0.0;
        for (int64_t i = 0; i < c->n; i++) sum += (double)x[i] * (double)x[i];
        const float scale = (float)(1.0 / sqrt(sum / (double)c->n + (double)c->eps));
        for (int64_t i = 0; i < c->n; i++) o[i] = (x[i] * scale) * c->weight[i];
    }
}

void lk_rms_norm(lk_pool *pool, const float *x, const float *weight, float eps, float *out, int64_t rows, int64_t n) {
    norm_ctx c = { x, weight, eps, out, rows, n };
    if (rows == 1) { norm_task(&c, 0, 1); return; }
    lk_pool_run(pool, norm_task, &c);
}

// --- RoPE ---------------------------------------------------------------------------------------

typedef struct { float *x; int64_t rows, heads, hd; const int32_t *positions; const float *inv_freq; int interleaved; } rope_ctx;

static void rope_task(void *p, int ith, int nth) {
    const rope_ctx *c = p;
    int64_t r0, r1;
    lk_split_range(c->rows, 1, ith, nth, &r0, &r1);
    const int64_t half = c->hd / 2;
    float *cs = malloc((size_t)half * 2 * sizeof(float));
    if (!cs) return;
    float *sn = cs + half;
    for (int64_t r = r0; r < r1; r++) {
        const float pos = (float)c->positions[r];
        for (int64_t i = 0; i < half; i++) {
            const float theta = pos * c->inv_freq[i];
            cs[i] = cosf(theta);
            sn[i] = sinf(theta);
        }
        for (int64_t h = 0; h < c->heads; h++) {
            float *v = c->x + (r * c->heads + h) * c->hd;
            for (int64_t i = 0; i < half; i++) {
                const int64_t a = c->interleaved ? 2 * i : i;
                const int64_t b = c->interleaved ? 2 * i + 1 : i + half;
                const float x0 = v[a], x1 = v[b];
                v[a] = x0 * cs[i] - x1 * sn[i];
                v[b] = x0 * sn[i] + x1 * cs[i];
            }
        }
    }
    free(cs);
}

void lk_rope(lk_pool *pool, float *x, int64_t rows, int64_t heads, int64_t head_dim, const int32_t *positions,
             const float *inv_freq, int interleaved) {
    rope_ctx c = { x, rows, heads, head_dim, positions, inv_freq, interleaved };
    if (rows == 1) { rope_task(&c, 0, 1); return; }
    lk_pool_run(pool, rope_task, &c);
}

// --- Elementwise --------------------------------------------------------------------------------

typedef struct { const float *gate, *up; float *out; int64_t n; } swiglu_ctx;

static void swiglu_task(void *p, int ith, int nth) {
    const swiglu_ctx *c = p;
    int64_t a, b;
    lk_split_range(c->n, 1, ith, nth, &a, &b);
    for (int64_t i = a; i < b; i++) {
        const float g = c->gate[i];
        c->out[i] = (g / (1.0f + expf(-g))) * c->up[i];
    }
}

void lk_swiglu(lk_pool *pool, const float *gate, const float *up, float *out, int64_t n) {
    swiglu_ctx c = { gate, up, out, n };
    if (n < 8192) { swiglu_task(&c, 0, 1); return; }
    lk_pool_run(pool, swiglu_task, &c);
}

void lk_add(float *acc, const float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) acc[i] += x[i];
}

