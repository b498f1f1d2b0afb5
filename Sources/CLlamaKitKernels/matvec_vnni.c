// AVX-512 VNNI decode kernels for the approximate path: activations rounded to 8-bit blocks (as llama.cpp
// does), multiplied with the weights' integer codes by vpdpbusd (64 products per instruction).
//
// Sixteen lanes hold two 32-element blocks: lanes 0-7 the first, lanes 8-15 the second. Constant offsets
// cost no integer work: Q4_0's "- 8" and the +128 that makes Q8_0's signed codes unsigned are taken back in
// the float step that scales the integer sums (a multiple of d_x · sum(q_x) per block). Four or eight
// weight rows share every activation load (from distant regions of the range, see lk_plan_rows). About seven
// instructions per 64 products.
#include "llamakit_kernels.h"
#include "kernels_internal.h"
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

#define VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,gfni,fma,f16c")))
#define PAIR_FN static inline __attribute__((always_inline)) VNNI


float lk_dot_q4_1_q8_avx2(const uint8_t *w, const int8_t *qx, const float *dx, const float *sx, int64_t k);
float lk_dot_q4_0_q8_avx2(const uint8_t *w, const int8_t *qx, const float *dx, const float *sx, int64_t k);
float lk_dot_q8_0_q8_avx2(const uint8_t *w, const int8_t *qx, const float *dx, int64_t k);

static inline uint16_t u16_at(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

// Two blocks' scales (or minimums) spread over their lanes.
static inline VNNI __m512 per_block(const float *table, const uint8_t *first, const uint8_t *second) {
    return _mm512_mask_blend_ps(0xFF00, _mm512_set1_ps(table[u16_at(first)]), _mm512_set1_ps(table[u16_at(second)]));
}

// Two blocks of 16 nibble bytes as 64 codes in element order [lo(first), hi(first), lo(second), hi(second)]:
// each block's bytes fill two 128-bit lanes, and GFNI's per-qword bit matrices keep the low nibbles in one
// and move the high nibbles down in the other, in a single instruction.
static inline VNNI __m512i nibble_codes(const uint8_t *first, const uint8_t *second) {
    const __m512i both = _mm512_mask_broadcast_i32x4(_mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)first)), 0xFF00,
                                                     _mm_loadu_si128((const __m128i *)second));
    const long long low = 0x0102040800000000LL, high = 0x1020408000000000LL;  // x & 15, x >> 4
    return _mm512_gf2p8affine_epi64_epi8(both, _mm512_setr_epi64(low, low, high, high, low, low, high, high), 0);
}

// The activations of block pair p: codes, per-lane scales, and per-lane offsets (the eight lanes of a block
// add up to offset · s, s = d_x · sum(q_x)).
typedef struct { __m512i q; __m512 d, s8, offset; } pair_x;

static inline VNNI pair_x load_pair(const lk_q8_activations *a, int64_t p, float offset) {
    pair_x x;
    x.q = _mm512_loadu_si512((const void *)(a->q + 64 * p));
    x.d = _mm512_loadu_ps(a->patterns + 32 * p);
    x.s8 = _mm512_loadu_ps(a->patterns + 32 * p + 16);
    x.offset = _mm512_mul_ps(x.s8, _mm512_set1_ps(offset));
    return x;
}

// Q4_0: d_w d_x (sum(q_w q_x) - 8 sum(q_x)).
PAIR_FN __m512 q4_0_pair(const uint8_t *b, const pair_x *x, const float *table, __m512 acc) {
    const __m512i sum = _mm512_dpbusd_epi32(_mm512_setzero_si512(), nibble_codes(b + 2, b + 20), x->q);
    const __m512 t = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), x->d, x->offset);
    return _mm512_fmadd_ps(t, per_block(table, b, b + 18), acc);
}

// Q4_1: d_w d_x sum(q_w q_x) + m_w d_x sum(q_x).
enum { Q4_1_OFFSET = 0 };
PAIR_FN __m512 q4_1_pair(const uint8_t *b, const pair_x *x, const float *table, __m512 acc) {
    const __m512i sum = _mm512_dpbusd_epi32(_mm512_setzero_si512(), nibble_codes(b + 4, b + 24), x->q);
    acc = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(sum), x->d), per_block(table, b, b + 20), acc);
    return _mm512_fmadd_ps(per_block(table, b + 2, b + 22), x->s8, acc);
}

// Q8_0: d_w d_x sum(q_w q_x), with q_w + 128 as the unsigned operand and -128 sum(q_x) taken back.
PAIR_FN __m512 q8_0_pair(const uint8_t *b, const pair_x *x, const float *table, __m512 acc) {
    const __m512i w = _mm512_mask_broadcast_i64x4(_mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(b + 2))), 0xF0,
                                                  _mm256_loadu_si256((const __m256i *)(b + 36)));
    const __m512i sum = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_xor_si512(w, _mm512_set1_epi8((char)0x80)), x->q);
    const __m512 t = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), x->d, x->offset);
    return _mm512_fmadd_ps(t, per_block(table, b, b + 34), acc);
}

#define LAST_Q4_0(r, a, k) (k / 32 % 2 ? lk_dot_q4_0_q8_avx2(r + (k / 32 - 1) * 18, a->q + k - 32, a->d + k / 32 - 1, a->s + k / 32 - 1, 32) : 0.0f)
#define LAST_Q4_1(r, a, k) (k / 32 % 2 ? lk_dot_q4_1_q8_avx2(r + (k / 32 - 1) * 20, a->q + k - 32, a->d + k / 32 - 1, a->s + k / 32 - 1, 32) : 0.0f)
#define LAST_Q8_0(r, a, k) (k / 32 % 2 ? lk_dot_q8_0_q8_avx2(r + (k / 32 - 1) * 34, a->q + k - 32, a->d + k / 32 - 1, 32) : 0.0f)


// The rows [n0, n1) in passes of REGIONS × ADJACENT rows that share every activation load (see lk_plan_rows).
#define LK_Q8_ROWS_PASSES(NAME, BYTES, PAIR, OFFSET, LAST, REGIONS, ADJACENT, AHEAD, REST)                   \
    static VNNI void NAME(const uint8_t *w, size_t row_bytes, int64_t n0, int64_t n1,                         \
                          const lk_q8_activations *a, int64_t k, float *y) {                                 \
        enum { R = (REGIONS) * (ADJACENT) };                                                                 \
        const float *table = lk_fp16_table();                                                                \
        const int64_t pairs = k / 64;                                                                        \
        const lk_row_plan plan = lk_plan_rows(n0, n1, row_bytes, REGIONS, ADJACENT);                         \
        for (int64_t g = 0; g < plan.groups; g++) {                                                          \
            const uint8_t *r[R];                                                                             \
            lk_plan_pass(&plan, w, row_bytes, n0, ADJACENT, g, R, r);                                        \
            __m512 acc[R];                                                                                   \
            for (int i = 0; i < R; i++) acc[i] = _mm512_setzero_ps();                                        \
            for (int64_t p = 0; p < pairs; p++) {                                                            \
                const size_t o = (size_t)p * 2 * BYTES;                                                      \
                const pair_x x = load_pair(a, p, OFFSET);                                                    \
                for (int i = 0; i < R; i++) {                                                                \
                    LK_PREFETCH_LINES(r[i], o, 2 * BYTES, AHEAD);                                            \
                    acc[i] = PAIR(r[i] + o, &x, table, acc[i]);                                              \
                }                                                                                            \
            }                                                                                                \
            for (int i = 0; i < R; i++)                                                                      \
                y[lk_plan_row(&plan, n0, ADJACENT, g, i)] = _mm512_reduce_add_ps(acc[i]) + LAST(r[i], a, k); \
        }                                                                                                    \
        const lk_rows_q8_fn rest = REST;                                                                     \
        if (rest) { rest(w, row_bytes, plan.rest, n1, a, k, y); return; }                                    \
        for (int64_t n = plan.rest; n < n1; n++) {                                                           \
            const uint8_t *r = w + (size_t)n * row_bytes;                                                    \
            __m512 acc = _mm512_setzero_ps();                                                                \
            for (int64_t p = 0; p < pairs; p++) {                                                            \
                const pair_x x = load_pair(a, p, OFFSET);                                                    \
                acc = PAIR(r + (size_t)p * 2 * BYTES, &x, table, acc);                                       \
            }                                                                                                \
            y[n] = _mm512_reduce_add_ps(acc) + LAST(r, a, k);                                                \
        }                                                                                                    \
    }

#define LK_Q8_ROWS_KERNEL(NAME, ...) LK_KERNEL_IN_TWO_PLANS(LK_Q8_ROWS_PASSES, NAME, const lk_q8_activations *, __VA_ARGS__)

LK_Q8_ROWS_KERNEL(lk_matvec_q4_0_q8_vnni, 18, q4_0_pair, LK_Q4_0_OFFSET, LAST_Q4_0)
LK_Q8_ROWS_KERNEL(lk_matvec_q4_1_q8_vnni, 20, q4_1_pair, Q4_1_OFFSET, LAST_Q4_1)
LK_Q8_ROWS_KERNEL(lk_matvec_q8_0_q8_vnni, 34, q8_0_pair, LK_Q8_0_OFFSET, LAST_Q8_0)
// --- Q4_K: super-blocks of 256 = four block pairs, each pair the low and high nibbles of 32 bytes ----------
//
// Per sub-block j: d_x (d sc_j) sum(q_w q_x) - (dmin m_j) d_x sum(q_x). A pair's 32 code bytes hold sub-block
// 2c in their low nibbles and 2c + 1 in their high ones, which is already the lane order GFNI's split gives
// (lanes 0-7, 8-15), so one 32-byte load feeds 64 products.
//
// Per super-block each row's factors are set out first: its scales as the four pairs' lane patterns, and its
// minimums' whole term at once (an 8-lane FMA of dmin·m_j with d_x sum(q_x) over the eight sub-blocks). Then
// each pair of activations is loaded once for all the pass's rows. (Running one row's four pairs before the
// next reloaded the activations per row and took 1.05-1.4× as long, in L2-resident single-core runs.)

static inline VNNI float sum8(__m256 v) {
    const __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 q = _mm_add_ps(h, _mm_movehl_ps(h, h));
    return _mm_cvtss_f32(_mm_add_ss(q, _mm_movehdup_ps(q)));
}

// Pair c's lanes of the eight per-sub-block factors: sub-block 2c's in lanes 0-7 and 2c + 1's in lanes 8-15.
static inline VNNI __m512 pair_lanes(__m512 factors, int c) {
    return _mm512_permutexvar_ps(_mm512_add_epi32(_mm512_set1_epi32(2 * c),
                                                  _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1)), factors);
}

// What each row sets out per super-block: its pairs' scale lanes, and (Q6_K) its codes.
typedef struct { __m512 scale[4]; } q4_K_q8_setup;
typedef struct { _Alignas(64) uint8_t codes[256]; __m512 scale[4]; } q6_K_q8_setup;

// Q4_K, one row's super-block b: its four pairs' scale lanes; returns `minimums` plus the super-block's
// minimums term (s: d_x sum(q_x) of its eight sub-blocks).
static inline VNNI __m256 q4_K_set_up(const uint8_t *b, const float *table, const float *s, __m256 minimums,
                                      q4_K_q8_setup *out) {
    float scale[8], offset[8];
    lk_q4_K_scales(b + 4, table[u16_at(b)], table[u16_at(b + 2)], scale, offset);
    const __m512 scales = _mm512_castps256_ps512(_mm256_loadu_ps(scale));
    for (int c = 0; c < 4; c++) out->scale[c] = pair_lanes(scales, c);
    return _mm256_fmadd_ps(_mm256_loadu_ps(offset), _mm256_loadu_ps(s), minimums);
}

// Pair c of one row's Q4_K super-block: d_x (d sc_j) sum(q_w q_x) per lane.
static inline VNNI __m512 q4_K_pair(const uint8_t *b, const q4_K_q8_setup *s, int c, const pair_x *x, __m512 acc) {
    const long long low = 0x0102040800000000LL, high = 0x1020408000000000LL;
    const __m512i both = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(b + 16 + 32 * c)));
    const __m512i q = _mm512_gf2p8affine_epi64_epi8(both, _mm512_setr_epi64(low, low, low, low, high, high, high, high), 0);
    const __m512i sum = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q, x->q);
    return _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(sum), x->d), s->scale[c], acc);
}

// --- Q6_K: super-blocks of 256 = four block pairs; value (d sc_g)(q - 32), one int8 scale per 16 elements ---
//
// vpdpbusd takes the six-bit codes as they are (0-63, unsigned); the -32 is taken back in its accumulator,
// which starts at -32 · (the lane's four q_x) (the same for every row, so computed once per pair). Lane l of
// pair c is in group 4c + l/4, whose d·sc it is scaled by.
static inline VNNI __m256 q6_K_set_up(const uint8_t *b, const float *table, const float *s, __m256 minimums,
                                      q6_K_q8_setup *out) {
    (void)s;
    lk_q6_K_codes(b, out->codes, 0);
    const __m512 f = lk_q6_K_factors(b, table);
    const __m512i quarter = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
    for (int c = 0; c < 4; c++) out->scale[c] = _mm512_permutexvar_ps(_mm512_add_epi32(quarter, _mm512_set1_epi32(4 * c)), f);
    return minimums;
}

static inline VNNI __m512 q6_K_pair(const uint8_t *b, const q6_K_q8_setup *s, int c, const pair_x *x, __m512 acc) {
    (void)b;
    const __m512i start = _mm512_sub_epi32(_mm512_setzero_si512(),
                                           _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_set1_epi8(32), x->q));
    const __m512i sum = _mm512_dpbusd_epi32(start, _mm512_load_si512((const void *)(s->codes + 64 * c)), x->q);
    return _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(sum), x->d), s->scale[c], acc);
}

// Rows in passes as the other kernels. Per super-block each row's factors (and codes) are set out first;
// then each pair of activations is loaded once for all the pass's rows. `minimums` carries Q4_K's per-row
// minimums term (zero for Q6_K).
#define LK_SUPER_Q8_PASSES(NAME, BYTES, SETUP_T, SET_UP, PAIR, REGIONS, ADJACENT, AHEAD, REST)                 \
    static VNNI void NAME(const uint8_t *w, size_t row_bytes, int64_t n0, int64_t n1,                         \
                          const lk_q8_activations *a, int64_t k, float *y) {                                 \
        enum { R = (REGIONS) * (ADJACENT) };                                                                 \
        const float *table = lk_fp16_table();                                                                \
        const int64_t blocks = k / 256;                                                                      \
        const lk_row_plan plan = lk_plan_rows(n0, n1, row_bytes, REGIONS, ADJACENT);                         \
        for (int64_t g = 0; g < plan.groups; g++) {                                                          \
            const uint8_t *r[R];                                                                             \
            lk_plan_pass(&plan, w, row_bytes, n0, ADJACENT, g, R, r);                                        \
            __m512 acc[R];                                                                                   \
            __m256 minimums[R];                                                                              \
            for (int i = 0; i < R; i++) { acc[i] = _mm512_setzero_ps(); minimums[i] = _mm256_setzero_ps(); } \
            for (int64_t sb = 0; sb < blocks; sb++) {                                                        \
                const size_t o = (size_t)sb * BYTES;                                                         \
                SETUP_T s[R];                                                                                \
                for (int i = 0; i < R; i++) {                                                                \
                    minimums[i] = SET_UP(r[i] + o, table, a->s + 8 * sb, minimums[i], &s[i]);               \
                }                                                                                            \
                for (int c = 0; c < 4; c++) {                                                                \
                    const pair_x x = load_pair(a, 4 * sb + c, 0);                                            \
                    for (int i = 0; i < R; i++) {                                                            \
                        LK_PREFETCH_SPREAD(r[i], o, BYTES, AHEAD, c, 4);                                      \
                        acc[i] = PAIR(r[i] + o, &s[i], c, &x, acc[i]);                                       \
                    }                                                                                        \
                }                                                                                            \
            }                                                                                                \
            for (int i = 0; i < R; i++)                                                                      \
                y[lk_plan_row(&plan, n0, ADJACENT, g, i)] = _mm512_reduce_add_ps(acc[i]) - sum8(minimums[i]); \
        }                                                                                                    \
        const lk_rows_q8_fn rest = REST;                                                                     \
        if (rest) { rest(w, row_bytes, plan.rest, n1, a, k, y); return; }                                    \
        for (int64_t n = plan.rest; n < n1; n++) {                                                           \
            const uint8_t *row = w + (size_t)n * row_bytes;                                                  \
            __m512 acc = _mm512_setzero_ps();                                                                \
            __m256 minimums = _mm256_setzero_ps();                                                           \
            for (int64_t sb = 0; sb < blocks; sb++) {                                                        \
                SETUP_T s;                                                                                   \
                minimums = SET_UP(row + (size_t)sb * BYTES, table, a->s + 8 * sb, minimums, &s);             \
                for (int c = 0; c < 4; c++) {                                                                \
                    const pair_x x = load_pair(a, 4 * sb + c, 0);                                            \
                    acc = PAIR(row + (size_t)sb * BYTES, &s, c, &x, acc);                                    \
                }                                                                                            \
            }                                                                                                \
            y[n] = _mm512_reduce_add_ps(acc) - sum8(minimums);                                               \
        }                                                                                                    \
    }

#define LK_SUPER_Q8_KERNEL(NAME, ...) LK_KERNEL_IN_TWO_PLANS(LK_SUPER_Q8_PASSES, NAME, const lk_q8_activations *, __VA_ARGS__)

LK_SUPER_Q8_KERNEL(lk_matvec_q4_K_q8_vnni, 144, q4_K_q8_setup, q4_K_set_up, q4_K_pair)
LK_SUPER_Q8_KERNEL(lk_matvec_q6_K_q8_vnni, 210, q6_K_q8_setup, q6_K_set_up, q6_K_pair)
#endif
