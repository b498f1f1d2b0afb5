// The approximate decode path: activations rounded to 8-bit blocks (32 values share one float scale, as
// ggml's Q8 formats do), then integer dot products with the weights' 4- or 8-bit codes. Several times fewer
// instructions than the float32 path, at the cost of the activation rounding (its accuracy is measured
// against the exact path in the tests and Docs/Accuracy.md). Opt-in only.
#include "llamakit_kernels.h"
#include <math.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define AVX2 __attribute__((target("avx2,fma,f16c")))

static inline AVX2 float hsum8(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
    return _mm_cvtss_f32(lo);
}

static inline AVX2 float half(const uint8_t *p) { uint16_t h; memcpy(&h, p, 2); return _cvtsh_ss(h); }

// 16 bytes of nibbles as 32 unsigned bytes in element order (low nibbles = elements 0..15, high = 16..31).
static inline AVX2 __m256i unpack_nibbles(const uint8_t *qs) {
    const __m128i bytes = _mm_loadu_si128((const __m128i *)qs);
    const __m128i mask = _mm_set1_epi8(15);
    return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(bytes, 4), mask), _mm_and_si128(bytes, mask));
}

// sum(u8 * i8) over 32 lanes as 8 int32 partial sums, converted to float.
static inline AVX2 __m256 dot_u8_i8(__m256i u, __m256i s) {
    const __m256i pairs = _mm256_maddubs_epi16(u, s);
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
}

// Q4_1 · Q8: d_w d_x sum(q_w q_x) + m_w d_x sum(q_x).
AVX2 float lk_dot_q4_1_q8_avx2(const uint8_t *w, const int8_t *qx, const float *dx, const float *sx, int64_t k) {
    __m256 acc = _mm256_setzero_ps();
    float offset = 0.0f;
    for (int64_t b = 0; b < k / 32; b++, w += 20) {
        const __m256i x = _mm256_loadu_si256((const __m256i *)(qx + 32 * b));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half(w) * dx[b]), dot_u8_i8(unpack_nibbles(w + 4), x), acc);
        offset += half(w + 2) * sx[b];
    }
    return hsum8(acc) + offset;
}

// Q4_0 · Q8: d_w d_x (sum(q_w q_x) - 8 sum(q_x)).
AVX2 float lk_dot_q4_0_q8_avx2(const uint8_t *w, const int8_t *qx, const float *dx, const float *sx, int64_t k) {
    __m256 acc = _mm256_setzero_ps();
    float offset = 0.0f;
    for (int64_t b = 0; b < k / 32; b++, w += 18) {
        const float d = half(w);
        const __m256i x = _mm256_loadu_si256((const __m256i *)(qx + 32 * b));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d * dx[b]), dot_u8_i8(unpack_nibbles(w + 2), x), acc);
        offset -= 8.0f * d * sx[b];
    }
    return hsum8(acc) + offset;
}

// Q8_0 · Q8: signed × signed through |a| and sign(b, a), the usual maddubs trick.
AVX2 float lk_dot_q8_0_q8_avx2(const uint8_t *w, const int8_t *qx, const float *dx, int64_t k) {
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < k / 32; b++, w += 34) {
        const __m256i a = _mm256_loadu_si256((const __m256i *)(w + 2));
        const __m256i x = _mm256_loadu_si256((const __m256i *)(qx + 32 * b));
        const __m256 s = dot_u8_i8(_mm256_sign_epi8(a, a), _mm256_sign_epi8(x, a));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half(w) * dx[b]), s, acc);
    }
    return hsum8(acc);
}
#endif
