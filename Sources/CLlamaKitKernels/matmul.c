// Matrix products with stored weights: decode (one activation row; a few rows are a decode each) and prompt batches
// through a BLAS sgemm (below AVX-512).
//
// Decode is the hot path: every weight is read once per token. lk_matvec runs several projections of the
// same input (Q, K and V; or the MLP's gate and up, combined by SwiGLU) as one job on the pool, with the
// rows handed out in shrinking chunks from a shared counter, so a thread that finishes early takes more work
// instead of waiting, and a layer costs a few pool jobs rather than one per matrix.
#include "llamakit_kernels.h"
#include "kernels_internal.h"
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
void lk_dot2_q4_1_avx2(const uint8_t *w0, const uint8_t *w1, const float *x, const float *xs, int64_t k, float *out);
void lk_dot2_q4_0_avx2(const uint8_t *w0, const uint8_t *w1, const float *x, const float *xs, int64_t k, float *out);
void lk_dot2_q8_0_avx2(const uint8_t *w0, const uint8_t *w1, const float *x, int64_t k, float *out);
float lk_dot_q4_1_q8_avx2(const uint8_t *w, const int8_t *qx, const float *dx, const float *sx, int64_t k);
float lk_dot_q4_0_q8_avx2(const uint8_t *w, const int8_t *qx, const float *dx, const float *sx, int64_t k);
float lk_dot_q8_0_q8_avx2(const uint8_t *w, const int8_t *qx, const float *dx, int64_t k);
#endif

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

// --- Kernel choice ------------------------------------------------------------------------------------

lk_rows_fn lk_decode_rows_kernel(int isa, int type) {
#if defined(__x86_64__)
    if (isa >= LK_ISA_AVX512) {
        switch (type) {
        case LK_TYPE_Q4_1: return lk_matvec_q4_1_avx512;
        case LK_TYPE_Q4_0: return lk_matvec_q4_0_avx512;
        case LK_TYPE_Q8_0: return lk_matvec_q8_0_avx512;
        case LK_TYPE_Q4_K: return lk_matvec_q4_K_avx512;
        case LK_TYPE_Q6_K: return lk_matvec_q6_K_avx512;
        case LK_TYPE_F32: return lk_matvec_f32_avx512;
        case LK_TYPE_F16: return lk_matvec_f16_avx512;
        case LK_TYPE_BF16: return lk_matvec_bf16_avx512;
        default: return NULL;
        }
    }
#endif
    (void)isa; (void)type;
    return NULL;
}

lk_rows_q8_fn lk_decode_rows_q8_kernel(int isa, int type) {
#if defined(__x86_64__)
    if (isa >= LK_ISA_AVX512_VNNI) {
        switch (type) {
        case LK_TYPE_Q4_1: return lk_matvec_q4_1_q8_vnni;
        case LK_TYPE_Q4_0: return lk_matvec_q4_0_q8_vnni;
        case LK_TYPE_Q8_0: return lk_matvec_q8_0_q8_vnni;
        case LK_TYPE_Q4_K: return lk_matvec_q4_K_q8_vnni;
        case LK_TYPE_Q6_K: return lk_matvec_q6_K_q8_vnni;
        default: break;
        }
    }
    if (isa >= LK_ISA_AVX2) {
        switch (type) {
        case LK_TYPE_Q4_1: return lk_matvec_q4_1_q8_avx2;
        case LK_TYPE_Q4_0: return lk_matvec_q4_0_q8_avx2;
        case LK_TYPE_Q8_0: return lk_matvec_q8_0_q8_avx2;
        default: break;
        }
    }
#endif
    (void)isa; (void)type;
    return NULL;
}

#if defined(__x86_64__)
// Row-range wrappers of the AVX2 int8 dot products.
#define LK_Q8_ROWS_AVX2(NAME, DOT)                                                                          \
    void NAME(const uint8_t *w, size_t row_bytes, int64_t n0, int64_t n1, const lk_q8_activations *a,        \
              int64_t k, float *y) {                                                                        \
        for (int64_t n = n0; n < n1; n++) y[n] = DOT;                                                       \
    }
LK_Q8_ROWS_AVX2(lk_matvec_q4_1_q8_avx2, lk_dot_q4_1_q8_avx2(w + (size_t)n * row_bytes, a->q, a->d, a->s, k))
LK_Q8_ROWS_AVX2(lk_matvec_q4_0_q8_avx2, lk_dot_q4_0_q8_avx2(w + (size_t)n * row_bytes, a->q, a->d, a->s, k))
LK_Q8_ROWS_AVX2(lk_matvec_q8_0_q8_avx2, lk_dot_q8_0_q8_avx2(w + (size_t)n * row_bytes, a->q, a->d, k))
#endif

// --- Activations rounded to 8 bits (the opt-in approximate path) ---------------------------------------

size_t lk_q8_scratch_bytes(int64_t k) {
    const size_t nb = (size_t)(k / 32), pairs = (nb + 1) / 2;
    return pairs * 32 * sizeof(float) + nb * 2 * sizeof(float) + (size_t)k + 64;
}

// Rounds x (k floats, k a multiple of 32) to int8 blocks: q = round(x / d), d = max|x| / 127 per block, with
// s = d * sum(q) per block, and both laid out per pair of blocks for the kernels that hold two in 16 lanes.
static void quantize_activations_portable(const float *x, int64_t k, void *scratch, lk_q8_activations *a) {
    const int64_t nb = k / 32, pairs = (nb + 1) / 2;
    float *patterns = (float *)(void *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);  // pairs * 32 floats
    float *d = patterns + pairs * 32, *s = d + nb;
    int8_t *q = (int8_t *)(void *)(s + nb);
    for (int64_t b = 0; b < nb; b++) {
        const float *xb = x + 32 * b;
        float amax = 0.0f;
        for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(xb[j]));
        const float scale = amax / 127.0f;
        const float inverse = scale > 0.0f ? 1.0f / scale : 0.0f;
        int sum = 0;
        for (int j = 0; j < 32; j++) {
            const int v = (int)lrintf(xb[j] * inverse);
            q[32 * b + j] = (int8_t)v;
            sum += v;
        }
        d[b] = scale;
        s[b] = scale * (float)sum;
    }
    // Lanes 0-7 block 2p, lanes 8-15 block 2p + 1: d, then s / 8 (eight lanes share a block's sum).
    for (int64_t p = 0; p < pairs; p++) {
        for (int lane = 0; lane < 16; lane++) {
            const int64_t b = lane < 8 || 2 * p + 1 >= nb ? 2 * p : 2 * p + 1;
            patterns[32 * p + lane] = d[b];
            patterns[32 * p + 16 + lane] = s[b] / 8.0f;
        }
    }
    *a = (lk_q8_activations){ q, d, s, patterns };
}

#if defined(__x86_64__)
// The same rounding with AVX-512, bit for bit on finite values: the same max, division and products, and
// vcvtps2dq rounds to nearest even as lrintf does in the default rounding mode. (The scalar loop, with a libm call per value,
// took about 2 % of SmolLM2's int8 decode; it runs on one thread while the others wait.)
__attribute__((target("avx512f,avx512bw,avx512vl")))
static void quantize_activations_avx512(const float *x, int64_t k, void *scratch, lk_q8_activations *a) {
    const int64_t nb = k / 32, pairs = (nb + 1) / 2;
    float *patterns = (float *)(void *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
    float *d = patterns + pairs * 32, *s = d + nb;
    int8_t *q = (int8_t *)(void *)(s + nb);
    for (int64_t b = 0; b < nb; b++) {
        const __m512 x0 = _mm512_loadu_ps(x + 32 * b), x1 = _mm512_loadu_ps(x + 32 * b + 16);
        const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(x0), _mm512_abs_ps(x1)));
        const float scale = amax / 127.0f;
        const __m512 inverse = _mm512_set1_ps(scale > 0.0f ? 1.0f / scale : 0.0f);
        const __m512i q0 = _mm512_cvtps_epi32(_mm512_mul_ps(x0, inverse));
        const __m512i q1 = _mm512_cvtps_epi32(_mm512_mul_ps(x1, inverse));
        _mm_storeu_si128((__m128i *)(void *)(q + 32 * b), _mm512_cvtsepi32_epi8(q0));
        _mm_storeu_si128((__m128i *)(void *)(q + 32 * b + 16), _mm512_cvtsepi32_epi8(q1));
        d[b] = scale;
        s[b] = scale * (float)_mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1));
    }
    for (int64_t p = 0; p < pairs; p++) {
        const int64_t second = 2 * p + 1 < nb ? 2 * p + 1 : 2 * p;
        _mm512_storeu_ps(patterns + 32 * p, _mm512_mask_blend_ps(0xFF00, _mm512_set1_ps(d[2 * p]), _mm512_set1_ps(d[second])));
        _mm512_storeu_ps(patterns + 32 * p + 16, _mm512_mask_blend_ps(0xFF00, _mm512_set1_ps(s[2 * p] / 8.0f),
                                                                      _mm512_set1_ps(s[second] / 8.0f)));
    }
    *a = (lk_q8_activations){ q, d, s, patterns };
}
#endif

void lk_quantize_activations(int isa, const float *x, int64_t k, void *scratch, lk_q8_activations *a) {
#if defined(__x86_64__)
    if (isa >= LK_ISA_AVX512) { quantize_activations_avx512(x, k, scratch, a); return; }
#endif
    (void)isa;
    quantize_activations_portable(x, k, scratch, a);
}

// --- Decode: several projections of one input, chunked over the pool -----------------------------------

enum { MAX_PROJECTIONS = 4 };

typedef struct {
    int isa; const lk_projection *p; int count; const float *x; int64_t k; int gated; int threads;
    lk_rows_fn exact[MAX_PROJECTIONS];
    lk_rows_q8_fn approximate[MAX_PROJECTIONS];
    int64_t first_row[MAX_PROJECTIONS + 1];    // where each projection starts in the job's row numbering
    int64_t min_rows[MAX_PROJECTIONS];         // the smallest chunk: 16 KiB of weights, whole groups of eight
    const float *block_sums;                   // sum(x) per block, for the paired AVX2 kernels
    lk_q8_activations q8;
    _Alignas(64) atomic_llong next;            // first row not handed out yet
} matvec_ctx;

// y[r0, r1) of projection i, with the best kernel there is for its type.
static void matvec_rows(const matvec_ctx *c, int i, int64_t r0, int64_t r1, float *y) {
    const lk_projection *p = &c->p[i];
    const uint8_t *w = p->w;
    if (c->approximate[i]) { c->approximate[i](w, p->row_bytes, r0, r1, &c->q8, c->k, y); return; }
    if (c->exact[i]) { c->exact[i](w, p->row_bytes, r0, r1, c->x, c->k, y); return; }
    int64_t n = r0;
#if defined(__x86_64__)
    if (c->isa >= LK_ISA_AVX2 && (p->type == LK_TYPE_Q8_0 || (c->block_sums && (p->type == LK_TYPE_Q4_1 || p->type == LK_TYPE_Q4_0)))) {
        // Paired rows share each load of x (and sum(x) per block).
        for (; n + 2 <= r1; n += 2) {
            const uint8_t *w0 = w + (size_t)n * p->row_bytes, *w1 = w0 + p->row_bytes;
            switch (p->type) {
            case LK_TYPE_Q4_1: lk_dot2_q4_1_avx2(w0, w1, c->x, c->block_sums, c->k, y + n); break;
            case LK_TYPE_Q4_0: lk_dot2_q4_0_avx2(w0, w1, c->x, c->block_sums, c->k, y + n); break;
            default: lk_dot2_q8_0_avx2(w0, w1, c->x, c->k, y + n); break;
            }
        }
    }
#endif
    for (; n < r1; n++) y[n] = lk_dot_row(c->isa, p->type, w + (size_t)n * p->row_bytes, c->x, c->k);
}

static inline float silu(float g) { return g / (1.0f + expf(-g)); }

// Guided chunks: each takes half of its thread's share of what is left of the projection (at least min_rows),
// so the first chunks are long runs through memory, where prefetching pays, and the last ones are short, so
// the threads finish together. (Measured on SmolLM2 at 2 threads: about 15% more tokens/s than equal chunks
// of 1/8 of a thread's share; halves and quarters of the share did equally well.)
static int claim(matvec_ctx *c, int *projection, int64_t *r0, int64_t *r1) {
    long long start = atomic_load_explicit(&c->next, memory_order_relaxed);
    for (;;) {
        if (start >= c->first_row[c->count]) return 0;
        int i = 0;
        while (start >= c->first_row[i + 1]) i++;
        const int64_t left = c->first_row[i + 1] - start;
        int64_t rows = left / (2 * c->threads);
        rows = rows < c->min_rows[i] ? c->min_rows[i] : (rows + LK_ROWS_PER_PASS_MAX - 1) / LK_ROWS_PER_PASS_MAX * LK_ROWS_PER_PASS_MAX;
        rows = rows < left ? rows : left;
        if (atomic_compare_exchange_weak_explicit(&c->next, &start, start + rows, memory_order_relaxed, memory_order_relaxed)) {
            *projection = i;
            *r0 = start - c->first_row[i];
            *r1 = *r0 + rows;
            return 1;
        }
    }
}

static void matvec_task(void *arg, int ith, int nth) {
    (void)ith; (void)nth;
    matvec_ctx *c = arg;
    int i;
    int64_t r0, r1;
    while (claim(c, &i, &r0, &r1)) {
        matvec_rows(c, i, r0, r1, c->p[i].y);
        if (c->gated) {
            // SwiGLU: the same rows of the up projection, then gate := silu(gate) * up.
            matvec_rows(c, 1, r0, r1, c->p[1].y);
            float *g = c->p[0].y;
            const float *u = c->p[1].y;
            for (int64_t n = r0; n < r1; n++) g[n] = silu(g[n]) * u[n];
        }
    }
}

int lk_matvec(lk_pool *pool, int isa, const lk_projection *p, int count, const float *x, int64_t k, int gated,
              int int8_activations) {
    if (count < 1 || count > MAX_PROJECTIONS || (gated && (count != 2 || p[0].rows != p[1].rows))) return 0;
    isa = isa < lk_cpu_isa() ? isa : lk_cpu_isa();
    matvec_ctx c;
    memset(&c, 0, sizeof c);
    c.isa = isa; c.p = p; c.count = count; c.x = x; c.k = k; c.gated = gated;
    atomic_init(&c.next, 0);
    int any_q4 = 0, any_q8 = 0;
    for (int i = 0; i < count; i++) {
        c.exact[i] = lk_decode_rows_kernel(isa, p[i].type);
        if (int8_activations && k % 32 == 0) c.approximate[i] = lk_decode_rows_q8_kernel(isa, p[i].type);
        any_q8 |= c.approximate[i] != NULL;
        any_q4 |= !c.exact[i] && (p[i].type == LK_TYPE_Q4_1 || p[i].type == LK_TYPE_Q4_0);
    }
    c.threads = lk_pool_threads(pool);
    const int chunked = gated ? 1 : count;
    c.first_row[0] = 0;
    for (int i = 0; i < chunked; i++) {
        const size_t row_bytes = p[i].row_bytes * (size_t)(gated ? 2 : 1);
        const int64_t rows = ((int64_t)(16384 / (row_bytes ? row_bytes : 1)) + LK_ROWS_PER_PASS_MAX - 1) / LK_ROWS_PER_PASS_MAX * LK_ROWS_PER_PASS_MAX;
        c.min_rows[i] = rows < LK_ROWS_PER_PASS_MAX ? LK_ROWS_PER_PASS_MAX : rows;
        c.first_row[i + 1] = c.first_row[i] + p[i].rows;
    }
    if (gated) c.count = 1;  // chunks walk the gate rows; each also does the same rows of up
    float sums[1024];
    if (any_q4 && k / 32 <= 1024) {
        for (int64_t b = 0; b < k / 32; b++) {
            float s = 0.0f;
            for (int j = 0; j < 32; j++) s += x[b * 32 + j];
            sums[b] = s;
        }
        c.block_sums = sums;
    }
    void *scratch = NULL;
    if (any_q8) {
        scratch = malloc(lk_q8_scratch_bytes(k));
        if (!scratch) return 0;
        lk_quantize_activations(isa, x, k, scratch, &c.q8);
    }
    lk_pool_run(pool, matvec_task, &c);
    free(scratch);
    return 1;
}

// --- Prompt batches through a BLAS sgemm -------------------------------------------------------------

typedef struct {
    int type; const uint8_t *w; size_t row_bytes; int64_t n_out;
    const float *x; int64_t m; int64_t k; float *y; int64_t ldy;
    lk_sgemm_fn sgemm; float *tiles; int64_t tile_rows;
} blas_ctx;

// Each thread owns a range of weight rows: it expands a tile of them to float32 in its own buffer and
// multiplies all activation rows with it, so the tile is reused while it is in this core's cache.
static void blas_task(void *p, int ith, int nth) {
    const blas_ctx *c = p;
    int64_t r0, r1;
    lk_split_range(c->n_out, 16, ith, nth, &r0, &r1);
    float *tile = c->tiles + (size_t)ith * (size_t)(c->tile_rows * c->k);
    for (int64_t row = r0; row < r1; row += c->tile_rows) {
        const int64_t rows = min64(r1 - row, c->tile_rows);
        const float *b;
        if (c->type == LK_TYPE_F32) {
            b = (const float *)(const void *)(c->w + (size_t)row * c->row_bytes);
        } else {
            for (int64_t i = 0; i < rows; i++)
                lk_dequantize_row(c->type, c->w + (size_t)(row + i) * c->row_bytes, tile + i * c->k, c->k);
            b = tile;
        }
        c->sgemm((int)c->m, (int)rows, (int)c->k, c->x, (int)c->k, b, (int)c->k, c->y + row, (int)c->ldy);
    }
}

int lk_matmul_blas(lk_pool *pool, lk_sgemm_fn sgemm, int type, const void *w, size_t row_bytes, int64_t n_out,
                   const float *x, int64_t m, int64_t k, float *y, int64_t ldy) {
    if (m > INT32_MAX || n_out > INT32_MAX || k > INT32_MAX || ldy > INT32_MAX || k <= 0) return 0;
    const int nth = lk_pool_threads(pool);
    // A 1 MiB tile of float32 weights stays in this kind of core's L2 while sgemm reuses it for every row.
    int64_t tile_rows = ((int64_t)1 << 18) / k;
    tile_rows = tile_rows < 16 ? 16 : tile_rows;
    blas_ctx c = { type, w, row_bytes, n_out, x, m, k, y, ldy, sgemm, NULL, tile_rows };
    if (type != LK_TYPE_F32) {
        c.tiles = malloc((size_t)nth * (size_t)tile_rows * (size_t)k * sizeof(float));
        if (!c.tiles) return 0;
    }
    lk_pool_run(pool, blas_task, &c);
    free(c.tiles);
    return 1;
}
