// AVX-512 decode kernels for the exact path: y[n] = dot(W[n, :], x) in float32 on the stored weights.
//
// Decode reads every weight once per token, so these kernels are about instructions per weight and about
// keeping the memory system busy:
// - four or eight weight rows per pass share every load of x (the block functions are inlined that many times
//   and the compiler reuses the loads of x among them); they come from distant regions of the range, so each
//   region is a stream of its own through memory (see lk_plan_rows);
// - 4-bit codes are looked up, not converted: a block's sixteen possible values (d*q + m, d*(q - 8), or a
//   K-quant sub-block's d*q - m) are computed into one register, rounded as gguf-py rounds them (one FMA
//   where the product is exact), and vpermps picks each element's value by its nibble. The products are
//   exactly x times the values the row expands to;
// - fp16 block scales are read through a 64K-entry table, so broadcasting one costs a load, not a shuffle;
// - each row stream is prefetched well ahead: on one core, DRAM bandwidth is bounded by the misses in
//   flight, and the hardware prefetcher alone stays too close behind several interleaved streams;
// - K-quant super-blocks (256 elements) are taken in two steps: each row's factors (and Q6_K's codes) are set
//   out first, then every 64 or 16 elements for all the pass's rows in turn, so the rows share the loads of x
//   and their sums stay independent. (One row's whole super-block at a time reloaded x per row, made its
//   products one chain of sixteen dependent FMAs, and let the compiler rebuild each factor's broadcast from
//   a register with port-5 shuffles: 2× slower for Q4_K, 1.3-1.4× for Q6_K, in L2-resident single-core runs.)
// Compiled for AVX-512 through target attributes and chosen at run time (see lk_cpu_isa).
#include "llamakit_kernels.h"
#include "kernels_internal.h"
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma,f16c")))
#define BLOCK_FN static inline __attribute__((always_inline)) AVX512


static inline uint16_t u16_at(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

static inline AVX512 __m512 codes_0_15(void) {
    return _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
}

// 16 bytes of codes widened to 16 dwords.
static inline AVX512 __m512i widen16(const uint8_t *p) { return _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)p)); }

// vpermps reads only the low four bits of each index, so low nibbles need no mask.
static inline AVX512 __m512 low_nibble_values(__m512i codes, __m512 values) { return _mm512_permutexvar_ps(codes, values); }
static inline AVX512 __m512 high_nibble_values(__m512i codes, __m512 values) {
    return _mm512_permutexvar_ps(_mm512_srli_epi32(codes, 4), values);
}

// --- Q4_1 and Q4_0: 32 elements; element j < 16 is the low nibble of qs[j], element j + 16 its high nibble ---

BLOCK_FN __m512 q4_1_block(const uint8_t *b, const float *x, const float *table, __m512 acc) {
    // d·q + m in one FMA: d·q is exact in float32 (an fp16 significand times a 4-bit code), so rounding once
    // gives what gguf-py's d * q, then + m, gives.
    const __m512 values = _mm512_fmadd_ps(_mm512_set1_ps(table[u16_at(b)]), codes_0_15(), _mm512_set1_ps(table[u16_at(b + 2)]));
    const __m512i codes = widen16(b + 4);
    acc = _mm512_fmadd_ps(low_nibble_values(codes, values), _mm512_loadu_ps(x), acc);
    return _mm512_fmadd_ps(high_nibble_values(codes, values), _mm512_loadu_ps(x + 16), acc);
}

BLOCK_FN __m512 q4_0_block(const uint8_t *b, const float *x, const float *table, __m512 acc) {
    const __m512 centred = _mm512_setr_ps(-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7);
    const __m512 values = _mm512_mul_ps(_mm512_set1_ps(table[u16_at(b)]), centred);
    const __m512i codes = widen16(b + 2);
    acc = _mm512_fmadd_ps(low_nibble_values(codes, values), _mm512_loadu_ps(x), acc);
    return _mm512_fmadd_ps(high_nibble_values(codes, values), _mm512_loadu_ps(x + 16), acc);
}

// --- Q8_0: 32 int8 codes and one scale: d * (sum of q*x over the block) -----------------------------------

BLOCK_FN __m512 q8_0_block(const uint8_t *b, const float *x, const float *table, __m512 acc) {
    const __m512 q0 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(b + 2))));
    const __m512 q1 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(b + 18))));
    const __m512 s = _mm512_fmadd_ps(q1, _mm512_loadu_ps(x + 16), _mm512_mul_ps(q0, _mm512_loadu_ps(x)));
    return _mm512_fmadd_ps(_mm512_set1_ps(table[u16_at(b)]), s, acc);
}

// --- Q4_K: 256 elements in 8 sub-blocks of 32, each with a 6-bit scale and min; value = (d*sc)*q - dmin*m ----

// A row's sixteen factors for one super-block: d·sc of sub-blocks 0-7, then dmin·m.
typedef struct { float f[16]; } q4_K_setup;

BLOCK_FN void q4_K_set_up(const uint8_t *b, const float *table, q4_K_setup *s) {
    lk_q4_K_scales(b + 4, table[u16_at(b)], table[u16_at(b + 2)], s->f, s->f + 8);
    // Read the factors back from memory, so each broadcast is a load: the compiler would otherwise rebuild
    // them from the registers it stored, with two or three shuffles each on port 5, which the lookups need.
    __asm__("" : "+m"(*s));
}

// Elements 64c ... 64c + 63: bytes q[32c ... 32c + 31], whose low nibbles are sub-block 2c and high nibbles
// sub-block 2c + 1. Each value is (d·sc)·q - dmin·m in one FMA: d·sc (an fp16 significand times a 6-bit
// scale) times a 4-bit code is exact in float32, so rounding once gives gguf-py's two-step expansion.
BLOCK_FN __m512 q4_K_chunk(const uint8_t *b, const q4_K_setup *s, int c, const float *x, const float *table, __m512 acc) {
    (void)table;
    const float *f = s->f;
    const __m512 lo = _mm512_fmsub_ps(_mm512_set1_ps(f[2 * c]), codes_0_15(), _mm512_set1_ps(f[8 + 2 * c]));
    const __m512 hi = _mm512_fmsub_ps(_mm512_set1_ps(f[2 * c + 1]), codes_0_15(), _mm512_set1_ps(f[9 + 2 * c]));
    const __m512i c0 = widen16(b + 16 + 32 * c), c1 = widen16(b + 32 + 32 * c);
    acc = _mm512_fmadd_ps(low_nibble_values(c0, lo), _mm512_loadu_ps(x), acc);
    acc = _mm512_fmadd_ps(low_nibble_values(c1, lo), _mm512_loadu_ps(x + 16), acc);
    acc = _mm512_fmadd_ps(high_nibble_values(c0, hi), _mm512_loadu_ps(x + 32), acc);
    return _mm512_fmadd_ps(high_nibble_values(c1, hi), _mm512_loadu_ps(x + 48), acc);
}

// --- Q6_K: 256 elements; 4 low bits in ql, 2 high bits in qh, int8 scale per 16; value = (d*sc)*(q - 32) -------

// A row's 256 codes (q - 32, int8, in element order) and sixteen factors d·sc for one super-block.
typedef struct { _Alignas(64) int8_t codes[256]; float f[16]; } q6_K_setup;

// The codes and factors come from lk_q6_K_codes and lk_q6_K_factors (kernels_internal.h), the codes as q - 32.
BLOCK_FN void q6_K_set_up(const uint8_t *b, const float *table, q6_K_setup *s) {
    lk_q6_K_codes(b, (uint8_t *)s->codes, 32);
    _mm512_storeu_ps(s->f, lk_q6_K_factors(b, table));
}

// Elements 16e ... 16e + 15: (d·sc_e)·(q - 32) times x.
BLOCK_FN __m512 q6_K_chunk(const uint8_t *b, const q6_K_setup *s, int e, const float *x, const float *table, __m512 acc) {
    (void)b; (void)table;
    const __m512 q = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_load_si128((const __m128i *)(s->codes + 16 * e))));
    return _mm512_fmadd_ps(_mm512_mul_ps(_mm512_set1_ps(s->f[e]), q), _mm512_loadu_ps(x), acc);
}

// --- Float rows: 16 elements per step -------------------------------------------------------------------

BLOCK_FN __m512 f32_block(const uint8_t *b, const float *x, const float *table, __m512 acc) {
    (void)table;
    return _mm512_fmadd_ps(_mm512_loadu_ps((const float *)(const void *)b), _mm512_loadu_ps(x), acc);
}

BLOCK_FN __m512 f16_block(const uint8_t *b, const float *x, const float *table, __m512 acc) {
    (void)table;
    return _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)b)), _mm512_loadu_ps(x), acc);
}

BLOCK_FN __m512 bf16_block(const uint8_t *b, const float *x, const float *table, __m512 acc) {
    (void)table;
    const __m512i bits = _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)b)), 16);
    return _mm512_fmadd_ps(_mm512_castsi512_ps(bits), _mm512_loadu_ps(x), acc);
}

// The last k % 16 elements of a float row (masked loads read nothing past the row).
static inline AVX512 float float_tail(int type, const uint8_t *row, const float *x, int64_t k) {
    const int64_t done = k / 16 * 16;
    if (done == k) return 0.0f;
    const __mmask16 m = (__mmask16)((1u << (k - done)) - 1);
    const __m512 xv = _mm512_maskz_loadu_ps(m, x + done);
    __m512 w;
    switch (type) {
    case LK_TYPE_F32: w = _mm512_maskz_loadu_ps(m, (const float *)(const void *)row + done); break;
    case LK_TYPE_F16: w = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, row + 2 * done)); break;
    default:
        w = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, row + 2 * done)), 16));
        break;
    }
    return _mm512_reduce_add_ps(_mm512_mul_ps(w, xv));
}

// --- The row driver: passes of several rows (see lk_plan_rows), then single rows --------------------------
//
// A step covers ELEMS elements (BYTES bytes) of each row: SET_UP fills a SETUP_T per row, then CHUNK runs
// CHUNK_ELEMS elements at a time for every row of the pass in turn. The 32-element types take their block
// in one chunk and set up nothing.

// The rows [n0, n1) in passes of REGIONS × ADJACENT rows that share every load of x.
#define LK_ROWS_PASSES(NAME, ELEMS, BYTES, SETUP_T, SET_UP, CHUNK_ELEMS, CHUNK, TAIL, REGIONS, ADJACENT, AHEAD, REST) \
    static AVX512 void NAME(const uint8_t *w, size_t row_bytes, int64_t n0, int64_t n1, const float *x,       \
                            int64_t k, float *y) {                                                           \
        enum { R = (REGIONS) * (ADJACENT), CHUNKS = (ELEMS) / (CHUNK_ELEMS) };                               \
        const float *table = lk_fp16_table();                                                                \
        const int64_t nb = k / ELEMS;                                                                        \
        const lk_row_plan plan = lk_plan_rows(n0, n1, row_bytes, REGIONS, ADJACENT);                         \
        for (int64_t g = 0; g < plan.groups; g++) {                                                          \
            const uint8_t *r[R];                                                                             \
            lk_plan_pass(&plan, w, row_bytes, n0, ADJACENT, g, R, r);                                        \
            __m512 acc[R];                                                                                   \
            for (int i = 0; i < R; i++) acc[i] = _mm512_setzero_ps();                                        \
            for (int64_t b = 0; b < nb; b++) {                                                               \
                const size_t o = (size_t)b * BYTES;                                                          \
                const float *xb = x + b * ELEMS;                                                             \
                SETUP_T s[R];                                                                                \
                for (int i = 0; i < R; i++) {                                                                \
                    if (CHUNKS == 1) LK_PREFETCH_LINES(r[i], o, BYTES, AHEAD);                               \
                    SET_UP(r[i] + o, table, &s[i]);                                                          \
                }                                                                                            \
                /* By four, so the chunk index the spread prefetches test is known in each copy. */          \
                _Pragma("clang loop unroll_count(4)")                                                        \
                for (int c = 0; c < CHUNKS; c++) {                                                           \
                    /* Unrolled so the sums stay in registers: left to itself the compiler kept the Q4_K    \
                       kernel's in memory, one load and store per chunk (8-9 % slower, L2-resident rows). */ \
                    _Pragma("clang loop unroll(full)")                                                       \
                    for (int i = 0; i < R; i++) {                                                            \
                        LK_PREFETCH_SPREAD(r[i], o, BYTES, AHEAD, c, CHUNKS);                                 \
                        acc[i] = CHUNK(r[i] + o, &s[i], c, xb + c * (CHUNK_ELEMS), table, acc[i]);           \
                    }                                                                                        \
                }                                                                                            \
            }                                                                                                \
            for (int i = 0; i < R; i++)                                                                      \
                y[lk_plan_row(&plan, n0, ADJACENT, g, i)] = _mm512_reduce_add_ps(acc[i]) + TAIL(r[i], x, k); \
        }                                                                                                    \
        const lk_rows_fn rest = REST;                                                                        \
        if (rest) { rest(w, row_bytes, plan.rest, n1, x, k, y); return; }                                    \
        for (int64_t n = plan.rest; n < n1; n++) {                                                           \
            const uint8_t *r = w + (size_t)n * row_bytes;                                                    \
            __m512 a = _mm512_setzero_ps();                                                                  \
            for (int64_t b = 0; b < nb; b++) {                                                               \
                SETUP_T s;                                                                                   \
                SET_UP(r + (size_t)b * BYTES, table, &s);                                                    \
                for (int c = 0; c < CHUNKS; c++) a = CHUNK(r + (size_t)b * BYTES, &s, c, x + b * ELEMS + c * (CHUNK_ELEMS), table, a); \
            }                                                                                                \
            y[n] = _mm512_reduce_add_ps(a) + TAIL(r, x, k);                                                  \
        }                                                                                                    \
    }

#define LK_ROWS_KERNEL(NAME, ...) LK_KERNEL_IN_TWO_PLANS(LK_ROWS_PASSES, NAME, const float *, __VA_ARGS__)

// The one-step types: a block (or 16 floats) per chunk, nothing to set up.
typedef struct { char unused; } no_setup;
#define NO_SET_UP(b, table, s) ((void)(s))
#define LK_ONE_STEP(BLOCK)                                                                                   \
    BLOCK_FN __m512 BLOCK##_step(const uint8_t *b, const no_setup *s, int c, const float *x, const float *table, \
                                 __m512 acc) {                                                               \
        (void)s; (void)c;                                                                                    \
        return BLOCK(b, x, table, acc);                                                                      \
    }
LK_ONE_STEP(q4_1_block)
LK_ONE_STEP(q4_0_block)
LK_ONE_STEP(q8_0_block)
LK_ONE_STEP(f32_block)
LK_ONE_STEP(f16_block)
LK_ONE_STEP(bf16_block)

#define NO_TAIL(row, x, k) 0.0f
#define F32_TAIL(row, x, k) float_tail(LK_TYPE_F32, row, x, k)
#define F16_TAIL(row, x, k) float_tail(LK_TYPE_F16, row, x, k)
#define BF16_TAIL(row, x, k) float_tail(LK_TYPE_BF16, row, x, k)

LK_ROWS_KERNEL(lk_matvec_q4_1_avx512, 32, 20, no_setup, NO_SET_UP, 32, q4_1_block_step, NO_TAIL)
LK_ROWS_KERNEL(lk_matvec_q4_0_avx512, 32, 18, no_setup, NO_SET_UP, 32, q4_0_block_step, NO_TAIL)
LK_ROWS_KERNEL(lk_matvec_q8_0_avx512, 32, 34, no_setup, NO_SET_UP, 32, q8_0_block_step, NO_TAIL)
LK_ROWS_KERNEL(lk_matvec_q4_K_avx512, 256, 144, q4_K_setup, q4_K_set_up, 64, q4_K_chunk, NO_TAIL)
LK_ROWS_KERNEL(lk_matvec_q6_K_avx512, 256, 210, q6_K_setup, q6_K_set_up, 16, q6_K_chunk, NO_TAIL)
LK_ROWS_KERNEL(lk_matvec_f32_avx512, 16, 64, no_setup, NO_SET_UP, 16, f32_block_step, F32_TAIL)
LK_ROWS_KERNEL(lk_matvec_f16_avx512, 16, 32, no_setup, NO_SET_UP, 16, f16_block_step, F16_TAIL)
LK_ROWS_KERNEL(lk_matvec_bf16_avx512, 16, 32, no_setup, NO_SET_UP, 16, bf16_block_step, BF16_TAIL)
#endif
