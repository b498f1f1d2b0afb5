// Small batches on the exact path: y = x · Wᵀ in float32 for a few activation rows (a decode step of several
// sequences, a short prompt), reading every weight once for all of them.
//
// A decode per row reads the weights once per row, and the tiles (matmul_f32_avx512.c) pay for 64 tokens
// whatever the batch. Here the weight rows go by in the decode kernels' passes (lk_plan_rows: four or eight rows
// from distant regions of the range, each a stream of its own, prefetched ahead as the decode kernels prefetch
// them). A pass is expanded 256 elements at a time into a buffer that stays in L1, exactly as lk_dequantize_row
// expands it (lk_expand_avx512, lk_expand_avx2), and the chunk is then multiplied with every activation row:
// register tiles of four weight rows × up to six (AVX-512) or three (AVX2) activation rows, a vector of lanes
// along k each, added across lanes at the end of the row. The sums carry from chunk to chunk through a small
// buffer, so each lane sums its elements in order through all of k, as the decode kernels' lanes do: with
// AVX-512, Q4_0, Q4_1, Q4_K and Q6_K rows give what decode gives, bit for bit.
//
// Measured with AVX2 (Zen 3, 2 threads, ms per matmul of 8 rows): 14336 × 4096 Q4_0 11.2 against 41.5 for a
// decode per row (2.4 decodes), SmolLM2's 1536 × 576 Q4_1 0.17 against 0.46 (2.5); at 16 rows 19.2 against 26.7
// for OpenBLAS on expanded tiles, level with it at 64. Expanding costs about what eight rows of products do, so
// there the kernel is bound by instructions, not memory.
// The portable level expands with lk_dequantize_row and multiplies in plain C.
#include "llamakit_kernels.h"
#include "kernels_internal.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(__clang__)
#define LK_REASSOCIATE _Pragma("clang fp reassociate(on)")
#else
#define LK_REASSOCIATE
#endif

enum {
    KC = 256,                        // elements per chunk: a multiple of every block size
    RT = 4,                          // weight rows per register tile
    PASS_MAX = LK_ROWS_PER_PASS_MAX, // weight rows per pass at most
    SUM_LANES = 16,                  // floats of sums per weight row of a pass and activation row: the widest vector
};
_Static_assert(PASS_MAX % RT == 0, "passes of whole register tiles");

typedef struct {
    int type; const uint8_t *w; size_t row_bytes; int64_t n_out;
    const float *x; int64_t m, k; float *y; int64_t ldy;
    int threads; int64_t min_rows;
    uint8_t *scratch; size_t scratch_bytes;  // per thread: PASS_MAX × KC expanded floats, then the sums
    _Alignas(64) atomic_llong next;          // first weight row not handed out yet
} rows_ctx;

// Guided chunks of weight rows, as lk_matvec hands them out: half of the thread's share of what is left (at least
// min_rows, whole passes), so the first chunks are long runs through memory and the last ones end together.
static int claim(rows_ctx *c, int64_t *r0, int64_t *r1) {
    long long start = atomic_load_explicit(&c->next, memory_order_relaxed);
    for (;;) {
        if (start >= c->n_out) return 0;
        const int64_t left = c->n_out - start;
        int64_t rows = left / (2 * c->threads);
        rows = rows < c->min_rows ? c->min_rows : (rows + PASS_MAX - 1) / PASS_MAX * PASS_MAX;
        rows = rows < left ? rows : left;
        if (atomic_compare_exchange_weak_explicit(&c->next, &start, start + rows, memory_order_relaxed, memory_order_relaxed)) {
            *r0 = start;
            *r1 = start + rows;
            return 1;
        }
    }
}

// The activation rows of tile i when m rows go in tiles of at most `most`: ⌈m / most⌉ tiles of nearly equal
// size, the larger ones first.
static inline int64_t tile_rows(int64_t m, int64_t most, int64_t i) {
    const int64_t tiles = (m + most - 1) / most;
    return m / tiles + (i < m % tiles);
}

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma,f16c")))
#define AVX2 __attribute__((target("avx2,fma,f16c")))
#define INLINE static inline __attribute__((always_inline))

// --- Register tiles: sums[r·lds + t] (+)= Σ_j w[r][j] · x[t·ldx + j] over kc elements, per lane, for RT weight
// rows and T activation rows (from zero when `first`). A tail of kc % LANES elements (float rows only) is read with
// masked loads, which read nothing past the row (or x). -----------------------------------------------------------

enum { T_AVX512 = 6 };  // 24 sums, 6 vectors of x and a weight: 31 of 32 registers
INLINE AVX512 void tile_avx512(const float *const *w, const float *x, int64_t ldx, int64_t kc, __m512 *sums,
                               int64_t lds, int first, const int T) {
    __m512 acc[RT][T_AVX512];
    for (int r = 0; r < RT; r++)
        for (int t = 0; t < T; t++) acc[r][t] = first ? _mm512_setzero_ps() : sums[r * lds + t];
    int64_t j = 0;
#pragma clang loop unroll_count(2)
    for (; j + 16 <= kc; j += 16) {
        __m512 xv[T_AVX512];
        for (int t = 0; t < T; t++) xv[t] = _mm512_loadu_ps(x + t * ldx + j);
        for (int r = 0; r < RT; r++) {
            const __m512 wv = _mm512_loadu_ps(w[r] + j);
            for (int t = 0; t < T; t++) acc[r][t] = _mm512_fmadd_ps(wv, xv[t], acc[r][t]);
        }
    }
    if (j < kc) {
        const __mmask16 mask = (__mmask16)((1u << (kc - j)) - 1);
        __m512 xv[T_AVX512];
        for (int t = 0; t < T; t++) xv[t] = _mm512_maskz_loadu_ps(mask, x + t * ldx + j);
        for (int r = 0; r < RT; r++) {
            const __m512 wv = _mm512_maskz_loadu_ps(mask, w[r] + j);
            for (int t = 0; t < T; t++) acc[r][t] = _mm512_fmadd_ps(wv, xv[t], acc[r][t]);
        }
    }
    for (int r = 0; r < RT; r++)
        for (int t = 0; t < T; t++) sums[r * lds + t] = acc[r][t];
}

static AVX512 void tile_t_avx512(const float *const *w, const float *x, int64_t ldx, int64_t kc, __m512 *sums,
                                 int64_t lds, int first, int64_t t) {
    switch (t) {
    case 6: tile_avx512(w, x, ldx, kc, sums, lds, first, 6); break;
    case 5: tile_avx512(w, x, ldx, kc, sums, lds, first, 5); break;
    case 4: tile_avx512(w, x, ldx, kc, sums, lds, first, 4); break;
    case 3: tile_avx512(w, x, ldx, kc, sums, lds, first, 3); break;
    case 2: tile_avx512(w, x, ldx, kc, sums, lds, first, 2); break;
    default: tile_avx512(w, x, ldx, kc, sums, lds, first, 1); break;
    }
}

enum { T_AVX2 = 3 };  // 12 sums, 3 vectors of x and a weight: all 16 registers
INLINE AVX2 void tile_avx2(const float *const *w, const float *x, int64_t ldx, int64_t kc, __m256 *sums,
                           int64_t lds, int first, const int T) {
    __m256 acc[RT][T_AVX2];
    for (int r = 0; r < RT; r++)
        for (int t = 0; t < T; t++) acc[r][t] = first ? _mm256_setzero_ps() : sums[r * lds + t];
    int64_t j = 0;
#pragma clang loop unroll_count(2)
    for (; j + 8 <= kc; j += 8) {
        __m256 xv[T_AVX2];
        for (int t = 0; t < T; t++) xv[t] = _mm256_loadu_ps(x + t * ldx + j);
        for (int r = 0; r < RT; r++) {
            const __m256 wv = _mm256_loadu_ps(w[r] + j);
            for (int t = 0; t < T; t++) acc[r][t] = _mm256_fmadd_ps(wv, xv[t], acc[r][t]);
        }
    }
    if (j < kc) {
        const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(kc - j)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        __m256 xv[T_AVX2];
        for (int t = 0; t < T; t++) xv[t] = _mm256_maskload_ps(x + t * ldx + j, mask);
        for (int r = 0; r < RT; r++) {
            const __m256 wv = _mm256_maskload_ps(w[r] + j, mask);
            for (int t = 0; t < T; t++) acc[r][t] = _mm256_fmadd_ps(wv, xv[t], acc[r][t]);
        }
    }
    for (int r = 0; r < RT; r++)
        for (int t = 0; t < T; t++) sums[r * lds + t] = acc[r][t];
}

static AVX2 void tile_t_avx2(const float *const *w, const float *x, int64_t ldx, int64_t kc, __m256 *sums,
                             int64_t lds, int first, int64_t t) {
    switch (t) {
    case 3: tile_avx2(w, x, ldx, kc, sums, lds, first, 3); break;
    case 2: tile_avx2(w, x, ldx, kc, sums, lds, first, 2); break;
    default: tile_avx2(w, x, ldx, kc, sums, lds, first, 1); break;
    }
}

// --- Expansion and lane sums per width ----------------------------------------------------------------------

// Inlined, so that each type's copy of the kernel has its own type's loop.
#define EXPAND_avx512(type, src, dst, count) lk_expand_avx512(type, src, dst, count)
#define EXPAND_avx2(type, src, dst, count) lk_expand_avx2(type, src, dst, count)
#define REDUCE_avx512(v) _mm512_reduce_add_ps(v)
INLINE AVX2 float reduce_avx2(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}
#define REDUCE_avx2(v) reduce_avx2(v)

// --- Passes at one vector width W (avx512 or avx2): VEC vectors, tiles of at most T_MAX activation rows --------

#define LK_ROWS_AT_WIDTH(W, ATTR, VEC, T_MAX)                                                                   \
    /* One pass: weight rows rows[0 .. count) (rows index[...] of y; count ≤ PASS_MAX) through all of k and into \
       y. A last register tile with fewer than RT rows is filled up with the first row: computed, not stored. */ \
    INLINE ATTR void pass_##W(const rows_ctx *c, const int type, int bs, int bb, const uint8_t *const *rows,      \
                              const int64_t *index, int count, size_t ahead, float *buf, VEC *sums) {            \
        const int64_t m = c->m, k = c->k;                                                                       \
        const int filled = (count + RT - 1) / RT * RT;                                                          \
        for (int64_t j0 = 0; j0 < k; j0 += KC) {                                                                \
            const int64_t kc = k - j0 < KC ? k - j0 : KC;                                                       \
            const size_t o = (size_t)(j0 / bs) * (size_t)bb, bytes = (size_t)(kc / bs) * (size_t)bb;            \
            const float *w[PASS_MAX];                                                                           \
            for (int p = 0; p < count; p++) {                                                                   \
                /* Each row's stream `ahead` bytes on: the lines that start within this chunk's stretch there,  \
                   so that successive chunks ask for every line once. */                                        \
                const uintptr_t from = (uintptr_t)(rows[p] + o + ahead), to = from + bytes;                     \
                for (uintptr_t line = (from + 63) & ~(uintptr_t)63; line < to; line += 64)                      \
                    _mm_prefetch((const char *)line, _MM_HINT_T0);                                              \
                if (type == LK_TYPE_F32) {                                                                      \
                    w[p] = (const float *)(const void *)rows[p] + j0;                                           \
                } else {                                                                                        \
                    EXPAND_##W(type, rows[p] + o, buf + p * KC, kc);                                            \
                    w[p] = buf + p * KC;                                                                        \
                }                                                                                               \
            }                                                                                                   \
            for (int p = count; p < filled; p++) w[p] = w[0];                                                   \
            for (int64_t t0 = 0, i = 0; t0 < m; t0 += tile_rows(m, T_MAX, i), i++)                             \
                for (int g = 0; g < filled; g += RT)                                                            \
                    tile_t_##W(w + g, c->x + t0 * k + j0, k, kc, sums + g * m + t0, m, j0 == 0,                 \
                               tile_rows(m, T_MAX, i));                                                         \
        }                                                                                                       \
        for (int p = 0; p < count; p++)                                                                         \
            for (int64_t t = 0; t < m; t++) c->y[t * c->ldy + index[p]] = REDUCE_##W(sums[p * m + t]);          \
    }                                                                                                           \
                                                                                                                \
    /* The weight rows [n0, n1) in the decode kernels' plan, then what is left in passes of neighbouring rows. */ \
    INLINE ATTR void range_##W(const rows_ctx *c, const int type, int64_t n0, int64_t n1, float *buf, VEC *sums) { \
        const int bs = lk_type_block_size(type), bb = lk_type_block_bytes(type);                                \
        const int far = lk_takes_far_plan(n0, n1, c->row_bytes);                                                \
        const int regions = far ? LK_FAR_REGIONS : LK_NEAR_REGIONS, adjacent = far ? LK_FAR_ADJACENT : LK_NEAR_ADJACENT; \
        const size_t ahead = far ? LK_FAR_PREFETCH : LK_NEAR_PREFETCH;                                          \
        const lk_row_plan plan = lk_plan_rows(n0, n1, c->row_bytes, regions, adjacent);                         \
        const int per = regions * adjacent;                                                                     \
        const uint8_t *rows[PASS_MAX];                                                                          \
        int64_t index[PASS_MAX];                                                                                \
        for (int64_t g = 0; g < plan.groups; g++) {                                                             \
            lk_plan_pass(&plan, c->w, c->row_bytes, n0, adjacent, g, per, rows);                                \
            for (int i = 0; i < per; i++) index[i] = lk_plan_row(&plan, n0, adjacent, g, i);                    \
            pass_##W(c, type, bs, bb, rows, index, per, ahead, buf, sums);                                      \
        }                                                                                                       \
        for (int64_t n = plan.rest; n < n1; n += PASS_MAX) {                                                    \
            const int count = n1 - n < PASS_MAX ? (int)(n1 - n) : PASS_MAX;                                     \
            for (int i = 0; i < count; i++) {                                                                   \
                index[i] = n + i;                                                                               \
                rows[i] = c->w + (size_t)(n + i) * c->row_bytes;                                                \
            }                                                                                                   \
            pass_##W(c, type, bs, bb, rows, index, count, LK_NEAR_PREFETCH, buf, sums);                         \
        }                                                                                                       \
    }                                                                                                           \
                                                                                                                \
    /* One copy per type, so that each expands its own type's blocks without a switch per chunk. */            \
    static ATTR void range_##W##_q4_0(const rows_ctx *c, int64_t n0, int64_t n1, float *b, VEC *s) { range_##W(c, LK_TYPE_Q4_0, n0, n1, b, s); } \
    static ATTR void range_##W##_q4_1(const rows_ctx *c, int64_t n0, int64_t n1, float *b, VEC *s) { range_##W(c, LK_TYPE_Q4_1, n0, n1, b, s); } \
    static ATTR void range_##W##_q8_0(const rows_ctx *c, int64_t n0, int64_t n1, float *b, VEC *s) { range_##W(c, LK_TYPE_Q8_0, n0, n1, b, s); } \
    static ATTR void range_##W##_q4_K(const rows_ctx *c, int64_t n0, int64_t n1, float *b, VEC *s) { range_##W(c, LK_TYPE_Q4_K, n0, n1, b, s); } \
    static ATTR void range_##W##_q6_K(const rows_ctx *c, int64_t n0, int64_t n1, float *b, VEC *s) { range_##W(c, LK_TYPE_Q6_K, n0, n1, b, s); } \
    static ATTR void range_##W##_f32(const rows_ctx *c, int64_t n0, int64_t n1, float *b, VEC *s) { range_##W(c, LK_TYPE_F32, n0, n1, b, s); } \
    static ATTR void range_##W##_f16(const rows_ctx *c, int64_t n0, int64_t n1, float *b, VEC *s) { range_##W(c, LK_TYPE_F16, n0, n1, b, s); } \
    static ATTR void range_##W##_bf16(const rows_ctx *c, int64_t n0, int64_t n1, float *b, VEC *s) { range_##W(c, LK_TYPE_BF16, n0, n1, b, s); } \
                                                                                                                \
    static void task_##W(void *arg, int ith, int nth) {                                                         \
        (void)nth;                                                                                              \
        rows_ctx *c = arg;                                                                                      \
        float *buf = (float *)(void *)(c->scratch + (size_t)ith * c->scratch_bytes);                            \
        VEC *sums = (VEC *)(void *)(buf + PASS_MAX * KC);                                                       \
        void (*range)(const rows_ctx *, int64_t, int64_t, float *, VEC *);                                      \
        switch (c->type) {                                                                                      \
        case LK_TYPE_Q4_0: range = range_##W##_q4_0; break;                                                     \
        case LK_TYPE_Q4_1: range = range_##W##_q4_1; break;                                                     \
        case LK_TYPE_Q8_0: range = range_##W##_q8_0; break;                                                     \
        case LK_TYPE_Q4_K: range = range_##W##_q4_K; break;                                                     \
        case LK_TYPE_Q6_K: range = range_##W##_q6_K; break;                                                     \
        case LK_TYPE_F32: range = range_##W##_f32; break;                                                       \
        case LK_TYPE_F16: range = range_##W##_f16; break;                                                       \
        default: range = range_##W##_bf16; break;                                                               \
        }                                                                                                       \
        int64_t r0, r1;                                                                                         \
        while (claim(c, &r0, &r1)) range(c, r0, r1, buf, sums);                                                 \
    }

LK_ROWS_AT_WIDTH(avx512, AVX512, __m512, T_AVX512)
LK_ROWS_AT_WIDTH(avx2, AVX2, __m256, T_AVX2)
#endif

// --- Portable: a chunk of RT rows expanded by lk_dequantize_row, then plain dot products ------------------------

static void task_portable(void *arg, int ith, int nth) {
    LK_REASSOCIATE
    (void)nth;
    rows_ctx *c = arg;
    float *buf = (float *)(void *)(c->scratch + (size_t)ith * c->scratch_bytes);
    float *sums = buf + PASS_MAX * KC;
    const int bs = lk_type_block_size(c->type), bb = lk_type_block_bytes(c->type);
    const int64_t m = c->m, k = c->k;
    int64_t r0, r1;
    while (claim(c, &r0, &r1)) {
        for (int64_t n = r0; n < r1; n += RT) {
            const int count = r1 - n < RT ? (int)(r1 - n) : RT;
            for (int64_t i = 0; i < count * m; i++) sums[i] = 0.0f;
            for (int64_t j0 = 0; j0 < k; j0 += KC) {
                const int64_t kc = k - j0 < KC ? k - j0 : KC;
                for (int p = 0; p < count; p++)
                    lk_dequantize_row(c->type, c->w + (size_t)(n + p) * c->row_bytes + (size_t)(j0 / bs) * (size_t)bb,
                                      buf + p * KC, kc);
                for (int64_t t = 0; t < m; t++) {
                    const float *xt = c->x + t * k + j0;
                    for (int p = 0; p < count; p++) {
                        const float *wp = buf + p * KC;
                        float s = 0.0f;
                        for (int64_t j = 0; j < kc; j++) s += wp[j] * xt[j];
                        sums[p * m + t] += s;
                    }
                }
            }
            for (int p = 0; p < count; p++)
                for (int64_t t = 0; t < m; t++) c->y[t * c->ldy + n + p] = sums[p * m + t];
        }
    }
}

int lk_matmul_rows(lk_pool *pool, int isa, int type, const void *w, size_t row_bytes, int64_t n_out,
                   const float *x, int64_t m, int64_t k, float *y, int64_t ldy) {
    isa = isa < lk_cpu_isa() ? isa : lk_cpu_isa();
    const int bs = lk_type_block_size(type);
    if (!lk_type_supported(type) || bs <= 0 || m <= 0 || n_out <= 0 || k <= 0 || k % bs ||
        row_bytes != (size_t)(k / bs) * (size_t)lk_type_block_bytes(type)) return 0;
    rows_ctx c;
    memset(&c, 0, sizeof c);
    c.type = type; c.w = w; c.row_bytes = row_bytes; c.n_out = n_out;
    c.x = x; c.m = m; c.k = k; c.y = y; c.ldy = ldy;
    c.threads = lk_pool_threads(pool);
    // The smallest chunk: 16 KiB of weights in whole passes, as lk_matvec's.
    const int64_t min_rows = ((int64_t)(16384 / row_bytes) + PASS_MAX - 1) / PASS_MAX * PASS_MAX;
    c.min_rows = min_rows < PASS_MAX ? PASS_MAX : min_rows;
    atomic_init(&c.next, 0);
    // Sums: a vector (up to 16 lanes) per weight row of a pass and activation row.
    c.scratch_bytes = ((size_t)PASS_MAX * KC + (size_t)PASS_MAX * (size_t)m * SUM_LANES) * sizeof(float);
    c.scratch_bytes = (c.scratch_bytes + 63) / 64 * 64;
    c.scratch = aligned_alloc(64, (size_t)c.threads * c.scratch_bytes);
    if (!c.scratch) return 0;
#if defined(__x86_64__)
    if (isa >= LK_ISA_AVX512) lk_pool_run(pool, task_avx512, &c);
    else if (isa >= LK_ISA_AVX2) lk_pool_run(pool, task_avx2, &c);
    else
#endif
        lk_pool_run(pool, task_portable, &c);
    free(c.scratch);
    return 1;
}
