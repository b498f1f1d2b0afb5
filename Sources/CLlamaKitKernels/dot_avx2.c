// AVX2+FMA dot products of stored rows with float32 activations (the exact path: no activation rounding).
// Each block's integer codes are widened to float32 and multiplied with x; the block scale (and min) are
// applied once per block. Compiled for AVX2 through target attributes and chosen at run time.
#include "llamakit_kernels.h"
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma,f16c")))

static inline AVX2 float fp16(uint16_t h) { return _cvtsh_ss(h); }

static inline AVX2 float hsum(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
    return _mm_cvtss_f32(lo);
}

// Eight unsigned bytes (the low 8 of `v`) as eight floats.
static inline AVX2 __m256 u8_to_ps(__m128i v) { return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v)); }
static inline AVX2 __m256 i8_to_ps(__m128i v) { return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v)); }

// sum over one 32-element block of nibble codes: elements 0..15 are low nibbles, 16..31 high nibbles.
static inline AVX2 __m256 nibble_block_dot(const uint8_t *qs, const float *x) {
    const __m128i bytes = _mm_loadu_si128((const __m128i *)qs);
    const __m128i mask = _mm_set1_epi8(15);
    const __m128i lo = _mm_and_si128(bytes, mask);
    const __m128i hi = _mm_and_si128(_mm_srli_epi16(bytes, 4), mask);
    __m256 s = _mm256_mul_ps(u8_to_ps(lo), _mm256_loadu_ps(x));
    s = _mm256_fmadd_ps(u8_to_ps(_mm_srli_si128(lo, 8)), _mm256_loadu_ps(x + 8), s);
    s = _mm256_fmadd_ps(u8_to_ps(hi), _mm256_loadu_ps(x + 16), s);
    s = _mm256_fmadd_ps(u8_to_ps(_mm_srli_si128(hi, 8)), _mm256_loadu_ps(x + 24), s);
    return s;
}

static inline AVX2 __m256 block_xsum(const float *x) {
    return _mm256_add_ps(_mm256_add_ps(_mm256_loadu_ps(x), _mm256_loadu_ps(x + 8)),
                         _mm256_add_ps(_mm256_loadu_ps(x + 16), _mm256_loadu_ps(x + 24)));
}

// Q4_1: value = d*q + m, so a block contributes d*sum(q*x) + m*sum(x).
AVX2 float lk_dot_q4_1_avx2(const uint8_t *w, const float *x, int64_t k) {
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < k / 32; b++, w += 20, x += 32) {
        uint16_t d, m;
        memcpy(&d, w, 2);
        memcpy(&m, w + 2, 2);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(fp16(d)), nibble_block_dot(w + 4, x), acc);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(fp16(m)), block_xsum(x), acc);
    }
    return hsum(acc);
}

// Q4_0: value = d*(q - 8), so a block contributes d*(sum(q*x) - 8*sum(x)).
AVX2 float lk_dot_q4_0_avx2(const uint8_t *w, const float *x, int64_t k) {
    __m256 acc = _mm256_setzero_ps();
    const __m256 eight = _mm256_set1_ps(8.0f);
    for (int64_t b = 0; b < k / 32; b++, w += 18, x += 32) {
        uint16_t d;
        memcpy(&d, w, 2);
        const __m256 s = _mm256_fnmadd_ps(eight, block_xsum(x), nibble_block_dot(w + 2, x));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(fp16(d)), s, acc);
    }
    return hsum(acc);
}

// Q8_0: value = d*q.
AVX2 float lk_dot_q8_0_avx2(const uint8_t *w, const float *x, int64_t k) {
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < k / 32; b++, w += 34, x += 32) {
        uint16_t d;
        memcpy(&d, w, 2);
        const __m128i q0 = _mm_loadu_si128((const __m128i *)(w + 2));
        const __m128i q1 = _mm_loadu_si128((const __m128i *)(w + 18));
        __m256 s = _mm256_mul_ps(i8_to_ps(q0), _mm256_loadu_ps(x));
        s = _mm256_fmadd_ps(i8_to_ps(_mm_srli_si128(q0, 8)), _mm256_loadu_ps(x + 8), s);
        s = _mm256_fmadd_ps(i8_to_ps(q1), _mm256_loadu_ps(x + 16), s);
        s = _mm256_fmadd_ps(i8_to_ps(_mm_srli_si128(q1, 8)), _mm256_loadu_ps(x + 24), s);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(fp16(d)), s, acc);
    }
    return hsum(acc);
}

// F16 rows through F16C; a scalar tail handles lengths that are not a multiple of 8.
AVX2 float lk_dot_f16_avx2(const uint8_t *w, const float *x, int64_t k) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= k; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + 2 * i))), _mm256_loadu_ps(x + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + 2 * i + 16))), _mm256_loadu_ps(x + i + 8), acc1);
    }
    float s = hsum(_mm256_add_ps(acc0, acc1));
    for (; i < k; i++) {
        uint16_t h;
        memcpy(&h, w + 2 * i, 2);
        s += fp16(h) * x[i];
    }
    return s;
}

// BF16 rows: shift the 16 stored bits into the top of a float32.
AVX2 float lk_dot_bf16_avx2(const uint8_t *w, const float *x, int64_t k) {
    __m256 acc = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= k; i += 8) {
        const __m256i bits = _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(w + 2 * i))), 16);
        acc = _mm256_fmadd_ps(_mm256_castsi256_ps(bits), _mm256_loadu_ps(x + i), acc);
    }
    float s = hsum(acc);
    for (; i < k; i++) {
        uint32_t bits = 0;
        memcpy((uint8_t *)&bits + 2, w + 2 * i, 2);
        float f;
        memcpy(&f, &bits, 4);
        s += f * x[i];
    }
    return s;
}
#endif

#if defined(__x86_64__)
// Decode kernels that share work across rows: `xs` holds sum(x) per 32-element block (the same for every
// row, computed once per matvec) and two rows are processed together so each load of x serves both.

static inline AVX2 __m256 nibbles_lo_ps(__m128i bytes, int part) {
    const __m128i v = _mm_and_si128(part ? _mm_srli_si128(bytes, 8) : bytes, _mm_set1_epi8(15));
    return u8_to_ps(v);
}

static inline AVX2 __m256 nibbles_hi_ps(__m128i bytes, int part) {
    const __m128i v = _mm_and_si128(_mm_srli_epi16(part ? _mm_srli_si128(bytes, 8) : bytes, 4), _mm_set1_epi8(15));
    return u8_to_ps(v);
}

// Q4_1 and Q4_0 differ only in the block header and the offset term: Q4_1 adds m*sum(x), Q4_0 subtracts
// 8*d*sum(x).
static inline AVX2 void dot2_nibbles(const uint8_t *w0, const uint8_t *w1, size_t block_bytes, int has_min,
                                     const float *x, const float *xs, int64_t nb, float *out) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    float off0 = 0.0f, off1 = 0.0f;
    const int header = has_min ? 4 : 2;
    for (int64_t b = 0; b < nb; b++, w0 += block_bytes, w1 += block_bytes, x += 32) {
        uint16_t h[4];
        memcpy(&h[0], w0, 2);
        memcpy(&h[1], w1, 2);
        const float d0 = fp16(h[0]), d1 = fp16(h[1]);
        if (has_min) {
            memcpy(&h[2], w0 + 2, 2);
            memcpy(&h[3], w1 + 2, 2);
            off0 += fp16(h[2]) * xs[b];
            off1 += fp16(h[3]) * xs[b];
        } else {
            off0 -= 8.0f * d0 * xs[b];
            off1 -= 8.0f * d1 * xs[b];
        }
        const __m256 x0 = _mm256_loadu_ps(x), x1 = _mm256_loadu_ps(x + 8);
        const __m256 x2 = _mm256_loadu_ps(x + 16), x3 = _mm256_loadu_ps(x + 24);
        const __m128i q0 = _mm_loadu_si128((const __m128i *)(w0 + header));
        const __m128i q1 = _mm_loadu_si128((const __m128i *)(w1 + header));
        __m256 s0 = _mm256_mul_ps(nibbles_lo_ps(q0, 0), x0);
        __m256 s1 = _mm256_mul_ps(nibbles_lo_ps(q1, 0), x0);
        s0 = _mm256_fmadd_ps(nibbles_lo_ps(q0, 1), x1, s0);
        s1 = _mm256_fmadd_ps(nibbles_lo_ps(q1, 1), x1, s1);
        s0 = _mm256_fmadd_ps(nibbles_hi_ps(q0, 0), x2, s0);
        s1 = _mm256_fmadd_ps(nibbles_hi_ps(q1, 0), x2, s1);
        s0 = _mm256_fmadd_ps(nibbles_hi_ps(q0, 1), x3, s0);
        s1 = _mm256_fmadd_ps(nibbles_hi_ps(q1, 1), x3, s1);
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(d0), s0, acc0);
        acc1 = _mm256_fmadd_ps(_mm256_set1_ps(d1), s1, acc1);
    }
    out[0] = hsum(acc0) + off0;
    out[1] = hsum(acc1) + off1;
}

AVX2 void lk_dot2_q4_1_avx2(const uint8_t *w0, const uint8_t *w1, const float *x, const float *xs, int64_t k, float *out) {
    dot2_nibbles(w0, w1, 20, 1, x, xs, k / 32, out);
}

AVX2 void lk_dot2_q4_0_avx2(const uint8_t *w0, const uint8_t *w1, const float *x, const float *xs, int64_t k, float *out) {
    dot2_nibbles(w0, w1, 18, 0, x, xs, k / 32, out);
}

AVX2 void lk_dot2_q8_0_avx2(const uint8_t *w0, const uint8_t *w1, const float *x, int64_t k, float *out) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    for (int64_t b = 0; b < k / 32; b++, w0 += 34, w1 += 34, x += 32) {
        uint16_t h0, h1;
        memcpy(&h0, w0, 2);
        memcpy(&h1, w1, 2);
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
        for (int part = 0; part < 4; part++) {
            const __m256 xv = _mm256_loadu_ps(x + 8 * part);
            s0 = _mm256_fmadd_ps(i8_to_ps(_mm_loadl_epi64((const __m128i *)(w0 + 2 + 8 * part))), xv, s0);
            s1 = _mm256_fmadd_ps(i8_to_ps(_mm_loadl_epi64((const __m128i *)(w1 + 2 + 8 * part))), xv, s1);
        }
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(fp16(h0)), s0, acc0);
        acc1 = _mm256_fmadd_ps(_mm256_set1_ps(fp16(h1)), s1, acc1);
    }
    out[0] = hsum(acc0);
    out[1] = hsum(acc1);
}
#endif
