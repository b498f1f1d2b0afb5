// AVX-512 decode attention over long contexts (one query row; heads of a multiple of 16 dimensions).
//
// At long contexts decode attention is a stream through the KV cache, so this kernel reads the cache in
// order: blocks of 16 positions, and within a block every KV head, so the rows (all heads of a position are
// adjacent) are consumed front to back. The softmax is computed online (a running maximum, sum and output
// per head, rescaled when the maximum grows), which needs no second pass over the scores.
//
// - Scores: the 16 dot products of a query head with a block's keys are accumulated as 16 vectors and
//   summed across lanes together by a transpose-and-add tree (about 3 instructions per score instead of a
//   full horizontal sum each).
// - Values: the output accumulators of a KV head's query group stay in registers across the block's 16
//   positions; each value vector is loaded once and used by every head of the group.
#include "llamakit_kernels.h"
#include "kernels_internal.h"
#include <math.h>
#include <string.h>

int lk_attention_decode_avx512_supported(int64_t hd, int64_t group) {
#if defined(__x86_64__)
    return hd % 16 == 0 && hd / 16 <= 16 && group <= 64;
#else
    (void)hd; (void)group;
    return 0;
#endif
}

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))

// exp(x) for x <= 0 in 16 lanes: the same range reduction and polynomial as attention.c's scalar one.
static inline AVX512 __m512 exp_nonpositive16(__m512 x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 f = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);
    f = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.42860682030941723212e-6f), f);
    __m512 p = _mm512_set1_ps(1.0f / 720.0f);
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f / 120.0f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f / 24.0f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f / 6.0f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
    const __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
    return _mm512_mul_ps(p, _mm512_castsi512_ps(bits));
}

// [sum(v[0]), sum(v[1]), ..., sum(v[15])]: four rounds of pairing halves and adding.
static inline AVX512 __m512 sum_lanes16(const __m512 *v) {
    __m512 a[8], b[4], c[2];
    for (int i = 0; i < 8; i++)  // lanes [x0+x2, y0+y2, x1+x3, y1+y3] per 128-bit quarter
        a[i] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]), _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]));
    for (int i = 0; i < 4; i++)  // one partial sum of each of four vectors per quarter
        b[i] = _mm512_add_ps(_mm512_shuffle_ps(a[2 * i], a[2 * i + 1], 0x44), _mm512_shuffle_ps(a[2 * i], a[2 * i + 1], 0xEE));
    for (int i = 0; i < 2; i++)
        c[i] = _mm512_add_ps(_mm512_shuffle_f32x4(b[2 * i], b[2 * i + 1], 0x88), _mm512_shuffle_f32x4(b[2 * i], b[2 * i + 1], 0xDD));
    return _mm512_add_ps(_mm512_shuffle_f32x4(c[0], c[1], 0x88), _mm512_shuffle_f32x4(c[0], c[1], 0xDD));
}

enum { BLOCK = 16, MAX_CHUNKS = 16 };

// One query group's part of one block: g query heads (q: g rows of hd floats) against `n` positions of one
// KV head, at cache rows slots[0 .. n) (k and v point at the head's first column of cache row 0), updating
// each head's running maximum m, sum l and output o (hd floats). slots[BLOCK .. BLOCK + n_next) are the next
// block's rows, to prefetch.
static inline __attribute__((always_inline)) AVX512 void attend_block(const float *q, int group, const float *k, const float *v, int64_t stride,
                                       const int32_t *slots, int n_next, int hd, int n, float scale,
                                       float *m, float *l, float *o) {
    const int chunks = hd / 16;
    float p[64][BLOCK];  // group <= 64
    const __mmask16 valid = (__mmask16)((1u << n) - 1);
    // The same heads of the next block: the rows are 4 KiB or more apart (and, in a paged cache, anywhere),
    // too far for the hardware prefetcher to follow.
    for (int t = 0; t < n_next; t++) {
        for (int line = 0; line < hd / 16; line++) {
            _mm_prefetch((const char *)(k + (int64_t)slots[BLOCK + t] * stride + 16 * line), _MM_HINT_T0);
            _mm_prefetch((const char *)(v + (int64_t)slots[BLOCK + t] * stride + 16 * line), _MM_HINT_T0);
        }
    }
    for (int g = 0; g < group; g++) {
        __m512 qv[MAX_CHUNKS];
        for (int c = 0; c < chunks; c++) qv[c] = _mm512_loadu_ps(q + g * hd + 16 * c);
        __m512 dots[BLOCK];
        for (int t = 0; t < BLOCK; t++) {
            const float *key = k + (int64_t)slots[t < n ? t : 0] * stride;
            __m512 acc = _mm512_mul_ps(qv[0], _mm512_loadu_ps(key));
            for (int c = 1; c < chunks; c++) acc = _mm512_fmadd_ps(qv[c], _mm512_loadu_ps(key + 16 * c), acc);
            dots[t] = acc;
        }
        const __m512 s = _mm512_mask_mov_ps(_mm512_set1_ps(-INFINITY), valid, _mm512_mul_ps(sum_lanes16(dots), _mm512_set1_ps(scale)));
        const float top = _mm512_reduce_max_ps(s);
        if (top > m[g]) {
            // A larger maximum: rescale what was summed so far.
            const float factor = m[g] == -INFINITY ? 0.0f : expf(m[g] - top);
            l[g] *= factor;
            for (int c = 0; c < chunks; c++)
                _mm512_storeu_ps(o + g * hd + 16 * c, _mm512_mul_ps(_mm512_loadu_ps(o + g * hd + 16 * c), _mm512_set1_ps(factor)));
            m[g] = top;
        }
        const __m512 e = _mm512_maskz_mov_ps(valid, exp_nonpositive16(_mm512_sub_ps(s, _mm512_set1_ps(m[g]))));
        l[g] += _mm512_reduce_add_ps(e);
        _mm512_storeu_ps(p[g], e);
    }
    // Values: four vectors of output per head at a time, for every head of the group, over the block.
    for (int c0 = 0; c0 < chunks; c0 += 4) {
        const int width = chunks - c0 < 4 ? chunks - c0 : 4;
        for (int g0 = 0; g0 < group; g0 += 4) {
            const int heads = group - g0 < 4 ? group - g0 : 4;
            __m512 acc[4][4];
            for (int g = 0; g < heads; g++)
                for (int c = 0; c < width; c++) acc[g][c] = _mm512_loadu_ps(o + (g0 + g) * hd + 16 * (c0 + c));
            for (int t = 0; t < n; t++) {
                const float *value = v + (int64_t)slots[t] * stride + 16 * c0;
                __m512 vv[4];
                for (int c = 0; c < width; c++) vv[c] = _mm512_loadu_ps(value + 16 * c);
                for (int g = 0; g < heads; g++) {
                    const __m512 weight = _mm512_set1_ps(p[g0 + g][t]);
                    for (int c = 0; c < width; c++) acc[g][c] = _mm512_fmadd_ps(weight, vv[c], acc[g][c]);
                }
            }
            for (int g = 0; g < heads; g++)
                for (int c = 0; c < width; c++) _mm512_storeu_ps(o + (g0 + g) * hd + 16 * (c0 + c), acc[g][c]);
        }
    }
}


typedef void (*block_fn)(const float *q, const float *k, const float *v, int64_t stride, const int32_t *slots,
                         int n_next, int n, float scale, float *m, float *l, float *o);

// attend_block with the head size and group size fixed at compile time, so its loops unroll and its
// accumulators stay in registers; the common shapes get one each.
#define LK_BLOCK_FOR(HD, GROUP)                                                                              \
    static AVX512 void block_##HD##_##GROUP(const float *q, const float *k, const float *v, int64_t stride,   \
                                            const int32_t *slots, int n_next, int n, float scale,             \
                                            float *m, float *l, float *o) {                                   \
        attend_block(q, GROUP, k, v, stride, slots, n_next, HD, n, scale, m, l, o);                           \
    }
LK_BLOCK_FOR(64, 1) LK_BLOCK_FOR(64, 2) LK_BLOCK_FOR(64, 3) LK_BLOCK_FOR(64, 4)
LK_BLOCK_FOR(64, 5) LK_BLOCK_FOR(64, 6) LK_BLOCK_FOR(64, 7) LK_BLOCK_FOR(64, 8)
LK_BLOCK_FOR(128, 1) LK_BLOCK_FOR(128, 2) LK_BLOCK_FOR(128, 3) LK_BLOCK_FOR(128, 4)
LK_BLOCK_FOR(128, 5) LK_BLOCK_FOR(128, 6) LK_BLOCK_FOR(128, 7) LK_BLOCK_FOR(128, 8)

static block_fn specialised(int64_t hd, int64_t group) {
    static const block_fn by64[8] = { block_64_1, block_64_2, block_64_3, block_64_4, block_64_5, block_64_6, block_64_7, block_64_8 };
    static const block_fn by128[8] = { block_128_1, block_128_2, block_128_3, block_128_4, block_128_5, block_128_6, block_128_7, block_128_8 };
    if (group < 1 || group > 8) return NULL;
    return hd == 64 ? by64[group - 1] : hd == 128 ? by128[group - 1] : NULL;
}

AVX512 void lk_attention_decode_avx512(const float *q, const float *k, const float *v, const int32_t *slots,
                                       int64_t kv_heads, int64_t group, int64_t hd, int64_t j0, int64_t j1, float scale,
                                       float *m, float *l, float *o) {
    const int64_t stride = kv_heads * hd, heads = kv_heads * group;
    for (int64_t h = 0; h < heads; h++) { m[h] = -INFINITY; l[h] = 0.0f; }
    memset(o, 0, (size_t)(heads * hd) * sizeof(float));
    const block_fn fixed = specialised(hd, group);
    for (int64_t jb = j0; jb < j1; jb += BLOCK) {
        const int n = (int)(j1 - jb < BLOCK ? j1 - jb : BLOCK);
        const int64_t after = j1 - jb - n;
        const int n_next = (int)(after < BLOCK ? after : BLOCK);
        for (int64_t kvh = 0; kvh < kv_heads; kvh++) {
            const float *qh = q + kvh * group * hd, *kh = k + kvh * hd, *vh = v + kvh * hd;
            float *mh = m + kvh * group, *lh = l + kvh * group, *oh = o + kvh * group * hd;
            if (fixed) fixed(qh, kh, vh, stride, slots + jb, n_next, n, scale, mh, lh, oh);
            else attend_block(qh, (int)group, kh, vh, stride, slots + jb, n_next, (int)hd, n, scale, mh, lh, oh);
        }
    }
}
#endif
