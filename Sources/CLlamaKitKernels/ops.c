// Parallel ops of the CPU backend: matmul over stored weights, norms, RoPE, attention, activations.
#include "llamakit_kernels.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

float lk_dot_row(int type, const void *w, const float *x, int64_t k);
float lk_dot_f32(const float *a, const float *b, int64_t n);

// Splits [0, n) into nth nearly equal ranges; returns thread ith's range.
static void split_range(int64_t n, int ith, int nth, int64_t *begin, int64_t *end) {
    const int64_t per = (n + nth - 1) / nth;
    *begin = per * ith < n ? per * ith : n;
    *end = *begin + per < n ? *begin + per : n;
}

// --- matmul -------------------------------------------------------------------------------------

typedef struct {
    int type; const uint8_t *w; size_t row_bytes; int64_t n_out;
    const float *x; int64_t m; int64_t k; float *y; int64_t ldy;
    const float *block_sums; // sum(x) per 32-element block, for the paired decode kernels (or NULL)
} matmul_ctx;

#if defined(__x86_64__)
void lk_dot2_q4_1_avx2(const uint8_t *w0, const uint8_t *w1, const float *x, const float *xs, int64_t k, float *out);
void lk_dot2_q4_0_avx2(const uint8_t *w0, const uint8_t *w1, const float *x, const float *xs, int64_t k, float *out);
void lk_dot2_q8_0_avx2(const uint8_t *w0, const uint8_t *w1, const float *x, int64_t k, float *out);
#endif

// Decode rows [r0, r1) two at a time with the paired AVX2 kernels; returns the first row not done.
static int64_t matvec_paired(const matmul_ctx *c, int64_t r0, int64_t r1) {
#if defined(__x86_64__)
    if (!lk_cpu_has_avx2_fma()) return r0;
    int64_t n = r0;
    for (; n + 2 <= r1; n += 2) {
        const uint8_t *w0 = c->w + (size_t)n * c->row_bytes, *w1 = w0 + c->row_bytes;
        switch (c->type) {
        case LK_TYPE_Q4_1: lk_dot2_q4_1_avx2(w0, w1, c->x, c->block_sums, c->k, c->y + n); break;
        case LK_TYPE_Q4_0: lk_dot2_q4_0_avx2(w0, w1, c->x, c->block_sums, c->k, c->y + n); break;
        case LK_TYPE_Q8_0: lk_dot2_q8_0_avx2(w0, w1, c->x, c->k, c->y + n); break;
        default: return r0;
        }
    }
    return n;
#else
    (void)c; (void)r1;
    return r0;
#endif
}

static void matmul_task(void *p, int ith, int nth) {
    const matmul_ctx *c = p;
    int64_t r0, r1;
    split_range(c->n_out, ith, nth, &r0, &r1);
    if (r0 >= r1) return;
    if (c->m == 1) {
        const int64_t done = c->block_sums || c->type == LK_TYPE_Q8_0 ? matvec_paired(c, r0, r1) : r0;
        for (int64_t n = done; n < r1; n++) c->y[n] = lk_dot_row(c->type, c->w + (size_t)n * c->row_bytes, c->x, c->k);
        return;
    }
    // Several activation rows: expand each weight row once, then reuse it for every activation row.
    float *row = malloc((size_t)c->k * sizeof(float));
    if (!row) return;
    for (int64_t n = r0; n < r1; n++) {
        lk_dequantize_row(c->type, c->w + (size_t)n * c->row_bytes, row, c->k);
        for (int64_t r = 0; r < c->m; r++) c->y[r * c->ldy + n] = lk_dot_f32(row, c->x + r * c->k, c->k);
    }
    free(row);
}

void lk_matmul(lk_pool *pool, int type, const void *w, size_t row_bytes, int64_t n_out,
               const float *x, int64_t m, int64_t k, float *y, int64_t ldy) {
    matmul_ctx c = { type, w, row_bytes, n_out, x, m, k, y, ldy, NULL };
    // For 4-bit types the offset term of every row needs only sum(x) per block: compute it once here.
    float sums[1024];
    if (m == 1 && (type == LK_TYPE_Q4_1 || type == LK_TYPE_Q4_0) && k / 32 <= 1024) {
        for (int64_t b = 0; b < k / 32; b++) {
            float s = 0.0f;
            for (int j = 0; j < 32; j++) s += x[b * 32 + j];
            sums[b] = s;
        }
        c.block_sums = sums;
    }
    lk_pool_run(pool, matmul_task, &c);
}

typedef struct { int type; const uint8_t *w; size_t row_bytes; int64_t row0, row1, k; float *dst; } dequant_ctx;

static void dequant_task(void *p, int ith, int nth) {
    const dequant_ctx *c = p;
    int64_t a, b;
    split_range(c->row1 - c->row0, ith, nth, &a, &b);
    for (int64_t i = a; i < b; i++)
        lk_dequantize_row(c->type, c->w + (size_t)(c->row0 + i) * c->row_bytes, c->dst + i * c->k, c->k);
}

void lk_dequantize_rows(lk_pool *pool, int type, const void *w, size_t row_bytes,
                        int64_t row0, int64_t row1, int64_t k, float *dst) {
    dequant_ctx c = { type, w, row_bytes, row0, row1, k, dst };
    lk_pool_run(pool, dequant_task, &c);
}

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
    split_range(c->rows, ith, nth, &r0, &r1);
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

typedef struct { float *x; int64_t rows, heads, hd, pos0; const float *inv_freq; int interleaved; } rope_ctx;

static void rope_task(void *p, int ith, int nth) {
    const rope_ctx *c = p;
    int64_t r0, r1;
    split_range(c->rows, ith, nth, &r0, &r1);
    const int64_t half = c->hd / 2;
    float *cs = malloc((size_t)half * 2 * sizeof(float));
    if (!cs) return;
    float *sn = cs + half;
    for (int64_t r = r0; r < r1; r++) {
        const float pos = (float)(c->pos0 + r);
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

void lk_rope(lk_pool *pool, float *x, int64_t rows, int64_t heads, int64_t head_dim, int64_t pos0,
             const float *inv_freq, int interleaved) {
    rope_ctx c = { x, rows, heads, head_dim, pos0, inv_freq, interleaved };
    if (rows == 1) { rope_task(&c, 0, 1); return; }
    lk_pool_run(pool, rope_task, &c);
}

// --- Attention ----------------------------------------------------------------------------------

typedef struct {
    const float *q, *k, *v; float *out;
    int64_t rows, pos0, heads, kv_heads, hd; float scale;
} attn_ctx;

static void attn_task(void *p, int ith, int nth) {
    const attn_ctx *c = p;
    int64_t t0, t1;
    split_range(c->rows * c->heads, ith, nth, &t0, &t1);
    if (t0 >= t1) return;
    const int64_t group = c->heads / c->kv_heads;
    const int64_t kv_stride = c->kv_heads * c->hd;
    float *scores = malloc((size_t)(c->pos0 + c->rows) * sizeof(float));
    if (!scores) return;
    for (int64_t t = t0; t < t1; t++) {
        const int64_t r = t / c->heads, h = t % c->heads, kvh = h / group;
        const int64_t n = c->pos0 + r + 1; // causal: positions 0 ... pos0 + r
        const float *q = c->q + (r * c->heads + h) * c->hd;
        float maxv = -INFINITY;
        for (int64_t j = 0; j < n; j++) {
            const float s = lk_dot_f32(q, c->k + j * kv_stride + kvh * c->hd, c->hd) * c->scale;
            scores[j] = s;
            if (s > maxv) maxv = s;
        }
        float sum = 0.0f;
        for (int64_t j = 0; j < n; j++) { scores[j] = expf(scores[j] - maxv); sum += scores[j]; }
        const float inv = 1.0f / sum;
        float *o = c->out + (r * c->heads + h) * c->hd;
        memset(o, 0, (size_t)c->hd * sizeof(float));
        for (int64_t j = 0; j < n; j++) {
            const float w = scores[j] * inv;
            const float *v = c->v + j * kv_stride + kvh * c->hd;
            for (int64_t d = 0; d < c->hd; d++) o[d] += w * v[d];
        }
    }
    free(scores);
}

void lk_attention(lk_pool *pool, const float *q, const float *k_cache, const float *v_cache, float *out,
                  int64_t rows, int64_t pos0, int64_t heads, int64_t kv_heads, int64_t hd, float scale) {
    attn_ctx c = { q, k_cache, v_cache, out, rows, pos0, heads, kv_heads, hd, scale };
    lk_pool_run(pool, attn_task, &c);
}

// --- Elementwise --------------------------------------------------------------------------------

typedef struct { const float *gate, *up; float *out; int64_t n; } swiglu_ctx;

static void swiglu_task(void *p, int ith, int nth) {
    const swiglu_ctx *c = p;
    int64_t a, b;
    split_range(c->n, ith, nth, &a, &b);
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

// --- Decode with 8-bit activations (the opt-in approximate path) ---------------------------------

void lk_quantize_activations_q8(const float *x, int64_t k, int8_t *q, float *d, float *s);
#if defined(__x86_64__)
float lk_dot_q4_1_q8_avx2(const uint8_t *w, const int8_t *qx, const float *dx, const float *sx, int64_t k);
float lk_dot_q4_0_q8_avx2(const uint8_t *w, const int8_t *qx, const float *dx, const float *sx, int64_t k);
float lk_dot_q8_0_q8_avx2(const uint8_t *w, const int8_t *qx, const float *dx, int64_t k);
#endif

typedef struct {
    int type; const uint8_t *w; size_t row_bytes; int64_t n_out; int64_t k;
    const int8_t *qx; const float *dx, *sx; float *y;
} matvec_q8_ctx;

static void matvec_q8_task(void *p, int ith, int nth) {
#if defined(__x86_64__)
    const matvec_q8_ctx *c = p;
    int64_t r0, r1;
    split_range(c->n_out, ith, nth, &r0, &r1);
    for (int64_t n = r0; n < r1; n++) {
        const uint8_t *w = c->w + (size_t)n * c->row_bytes;
        switch (c->type) {
        case LK_TYPE_Q4_1: c->y[n] = lk_dot_q4_1_q8_avx2(w, c->qx, c->dx, c->sx, c->k); break;
        case LK_TYPE_Q4_0: c->y[n] = lk_dot_q4_0_q8_avx2(w, c->qx, c->dx, c->sx, c->k); break;
        default: c->y[n] = lk_dot_q8_0_q8_avx2(w, c->qx, c->dx, c->k); break;
        }
    }
#else
    (void)p; (void)ith; (void)nth;
#endif
}

int lk_matvec_q8_supported(int type) {
#if defined(__x86_64__)
    return lk_cpu_has_avx2_fma() && (type == LK_TYPE_Q4_1 || type == LK_TYPE_Q4_0 || type == LK_TYPE_Q8_0);
#else
    (void)type;
    return 0;
#endif
}

int lk_matvec_q8(lk_pool *pool, int type, const void *w, size_t row_bytes, int64_t n_out,
                 const float *x, int64_t k, float *y) {
    if (!lk_matvec_q8_supported(type) || k % 32 != 0) return 0;
    int8_t *q = malloc((size_t)k + (size_t)(k / 32) * 2 * sizeof(float));
    if (!q) return 0;
    float *d = (float *)(void *)(q + k);  // k is a multiple of 32, so this stays 4-byte aligned
    float *s = d + k / 32;
    lk_quantize_activations_q8(x, k, q, d, s);
    matvec_q8_ctx c = { type, w, row_bytes, n_out, k, q, d, s, y };
    lk_pool_run(pool, matvec_q8_task, &c);
    free(q);
    return 1;
}
