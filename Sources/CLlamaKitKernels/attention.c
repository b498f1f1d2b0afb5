// Causal grouped-query attention over a float32 KV cache.
//
// Each query row reads its sequence's positions through a slot list (the cache rows that hold positions
// 0, 1, 2, ...), so one call serves rows of several sequences whose positions sit in scattered cache blocks;
// a single sequence stored from row 0 is the identity list.
//
// The query heads that share a KV head are processed together, so each cached key and value row is read once
// per group rather than once per query head. Decode (one query row) splits the cached positions across the
// threads, each keeping a partial softmax (its maximum, its sum and its unnormalised output) that the caller
// merges afterwards: at long contexts every thread streams its own part of the cache. Prompt rows are split
// by (row, KV head) instead.
//
// The loops are plain C written so the compiler vectorises them; they are compiled once per instruction-set
// level (the always-inline bodies take the target of the wrapper they are inlined into).
#include "llamakit_kernels.h"
#include "kernels_internal.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__clang__)
#define REASSOCIATE _Pragma("clang fp reassociate(on)")
#else
#define REASSOCIATE
#endif
#define BODY static inline __attribute__((always_inline))

// exp(x) for x <= 0 (scores minus their maximum), branch-free so that loops over it vectorise: x = n ln2 + f
// with |f| <= ln2/2, exp(f) by a degree-6 polynomial, times 2^n from the exponent bits. Relative error about
// 2e-7 (a few float32 ulps); results below 2^-126 flush to zero.
BODY float exp_nonpositive(float x) {
    x = x < -87.0f ? -87.0f : x;
    const float n = __builtin_rintf(x * 1.44269504088896341f);
    const float f = (x - n * 0.693145751953125f) - n * 1.42860682030941723212e-6f;
    float p = 1.0f / 720.0f;
    p = p * f + 1.0f / 120.0f;
    p = p * f + 1.0f / 24.0f;
    p = p * f + 1.0f / 6.0f;
    p = p * f + 0.5f;
    p = p * f + 1.0f;
    p = p * f + 1.0f;
    const int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, 4);
    return p * scale;
}

BODY float dot(const float *a, const float *b, int64_t n) {
    REASSOCIATE
    float s = 0.0f;
    for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

// Partial attention of `group` query heads (q: group rows of hd floats) over positions [j0, j1) of one KV head,
// position j at cache row slots[j]: m[g] = max score, s[g] = sum of exp(score - m[g]), o[g] = sum of
// exp(score - m[g]) * value. `scores` holds group * (j1 - j0) floats.
BODY void attend_range(const float *q, int64_t group, const float *k, const float *v, int64_t stride,
                       const int32_t *slots, int64_t hd, int64_t j0, int64_t j1, float scale, float *scores,
                       float *m, float *s, float *o) {
    REASSOCIATE
    const int64_t n = j1 - j0;
    for (int64_t j = 0; j < n; j++) {
        const float *key = k + (int64_t)slots[j0 + j] * stride;
        for (int64_t g = 0; g < group; g++) scores[g * n + j] = dot(q + g * hd, key, hd) * scale;
    }
    for (int64_t g = 0; g < group; g++) {
        float *row = scores + g * n;
        float maxv = -INFINITY;
        for (int64_t j = 0; j < n; j++) maxv = row[j] > maxv ? row[j] : maxv;
        float sum = 0.0f;
        for (int64_t j = 0; j < n; j++) {
            row[j] = exp_nonpositive(row[j] - maxv);
            sum += row[j];
        }
        m[g] = maxv;
        s[g] = sum;
        memset(o + g * hd, 0, (size_t)hd * sizeof(float));
    }
    for (int64_t j = 0; j < n; j++) {
        const float *value = v + (int64_t)slots[j0 + j] * stride;
        for (int64_t g = 0; g < group; g++) {
            const float p = scores[g * n + j];
            float *out = o + g * hd;
            for (int64_t d = 0; d < hd; d++) out[d] += p * value[d];
        }
    }
}

typedef void (*attend_fn)(const float *q, int64_t group, const float *k, const float *v, int64_t stride,
                          const int32_t *slots, int64_t hd, int64_t j0, int64_t j1, float scale, float *scores,
                          float *m, float *s, float *o);

static void attend_portable(const float *q, int64_t group, const float *k, const float *v, int64_t stride,
                            const int32_t *slots, int64_t hd, int64_t j0, int64_t j1, float scale, float *scores,
                            float *m, float *s, float *o) {
    attend_range(q, group, k, v, stride, slots, hd, j0, j1, scale, scores, m, s, o);
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma,f16c")))
static void attend_avx2(const float *q, int64_t group, const float *k, const float *v, int64_t stride,
                        const int32_t *slots, int64_t hd, int64_t j0, int64_t j1, float scale, float *scores,
                        float *m, float *s, float *o) {
    attend_range(q, group, k, v, stride, slots, hd, j0, j1, scale, scores, m, s, o);
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma,f16c")))
static void attend_avx512(const float *q, int64_t group, const float *k, const float *v, int64_t stride,
                          const int32_t *slots, int64_t hd, int64_t j0, int64_t j1, float scale, float *scores,
                          float *m, float *s, float *o) {
    attend_range(q, group, k, v, stride, slots, hd, j0, j1, scale, scores, m, s, o);
}
#endif

static attend_fn attend_for(int isa) {
#if defined(__x86_64__)
    if (isa >= LK_ISA_AVX512) return attend_avx512;
    if (isa >= LK_ISA_AVX2) return attend_avx2;
#endif
    (void)isa;
    return attend_portable;
}

typedef struct {
    const float *q, *k, *v; float *out;
    int64_t rows, heads, kv_heads, hd; float scale;
    const int32_t *slots, *row_start, *row_len;
    attend_fn attend;
    float *partials;    // decode: per thread, per head: m, s, then hd floats of output
    float *scratch;     // per thread: scores (and, for decode, one group's output)
    size_t per_thread;  // floats of scratch per thread
    int wide;           // decode with the AVX-512 kernel (attention_avx512.c)
} attn_ctx;

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Decode: thread ith takes its share of the cached positions for every head.
static void attn_decode_task(void *p, int ith, int nth) {
    const attn_ctx *c = p;
    const int64_t n = c->row_len[0], group = c->heads / c->kv_heads, stride = c->kv_heads * c->hd;
    const int32_t *slots = c->slots + c->row_start[0];
    int64_t j0, j1;
    lk_split_range(n, 1, ith, nth, &j0, &j1);
    float *mine = c->partials + (size_t)ith * (size_t)c->heads * (size_t)(c->hd + 2);
    if (j0 >= j1) {
        for (int64_t h = 0; h < c->heads; h++) mine[h * (c->hd + 2) + 1] = 0.0f;  // no positions: weight 0
        return;
    }
    float *scores = c->scratch + (size_t)ith * c->per_thread, *o = scores + group * (j1 - j0);
    float m[64], s[64];
#if defined(__x86_64__)
    if (c->wide) {
        // Every head at once, reading the cache in order: scratch holds m, l and the outputs of all heads.
        float *mh = scores, *lh = mh + c->heads, *oh = lh + c->heads;
        lk_attention_decode_avx512(c->q, c->k, c->v, slots, c->kv_heads, group, c->hd, j0, j1, c->scale, mh, lh, oh);
        for (int64_t h = 0; h < c->heads; h++) {
            float *dst = mine + h * (c->hd + 2);
            dst[0] = mh[h];
            dst[1] = lh[h];
            memcpy(dst + 2, oh + h * c->hd, (size_t)c->hd * sizeof(float));
        }
        return;
    }
#endif
    for (int64_t kvh = 0; kvh < c->kv_heads; kvh++) {
        c->attend(c->q + kvh * group * c->hd, group, c->k + kvh * c->hd, c->v + kvh * c->hd, stride, slots, c->hd,
                  j0, j1, c->scale, scores, m, s, o);
        for (int64_t g = 0; g < group; g++) {
            float *dst = mine + (kvh * group + g) * (c->hd + 2);
            dst[0] = m[g];
            dst[1] = s[g];
            memcpy(dst + 2, o + g * c->hd, (size_t)c->hd * sizeof(float));
        }
    }
}

// Several rows (a prompt chunk, or decode rows of several sequences): one task per (row, KV head), spread over
// the threads.
static void attn_rows_task(void *p, int ith, int nth) {
    const attn_ctx *c = p;
    const int64_t group = c->heads / c->kv_heads, stride = c->kv_heads * c->hd;
    const int64_t tasks = c->rows * c->kv_heads;
    float *scores = c->scratch + (size_t)ith * c->per_thread;
    float m[64], s[64];
    // Later rows attend to more positions: dealing tasks out in turn keeps the threads' shares even.
    for (int64_t t = ith; t < tasks; t += nth) {
        const int64_t r = t / c->kv_heads, kvh = t % c->kv_heads;
        float *out = c->out + (r * c->heads + kvh * group) * c->hd;
        c->attend(c->q + (r * c->heads + kvh * group) * c->hd, group, c->k + kvh * c->hd, c->v + kvh * c->hd,
                  stride, c->slots + c->row_start[r], c->hd, 0, c->row_len[r], c->scale, scores, m, s, out);
        for (int64_t g = 0; g < group; g++) {
            const float inv = 1.0f / s[g];
            for (int64_t d = 0; d < c->hd; d++) out[g * c->hd + d] *= inv;
        }
    }
}

int lk_attention(lk_pool *pool, int isa, const float *q, const float *k_cache, const float *v_cache, float *out,
                 int64_t rows, const int32_t *slots, const int32_t *row_start, const int32_t *row_len,
                 int64_t heads, int64_t kv_heads, int64_t hd, float scale) {
    if (kv_heads <= 0 || heads % kv_heads != 0 || heads / kv_heads > 64 || hd <= 0) return 0;
    if (rows <= 0) return 1;
    isa = isa < lk_cpu_isa() ? isa : lk_cpu_isa();
    const int64_t group = heads / kv_heads;
    const int nth = lk_pool_threads(pool);
    attn_ctx c = { q, k_cache, v_cache, out, rows, heads, kv_heads, hd, scale, slots, row_start, row_len,
                   attend_for(isa), NULL, NULL, 0, 0 };
    if (rows > 1) {
        int64_t longest = 1;
        for (int64_t r = 0; r < rows; r++) longest = row_len[r] > longest ? row_len[r] : longest;
        c.per_thread = (size_t)(group * longest);
        c.scratch = malloc((size_t)nth * c.per_thread * sizeof(float));
        if (!c.scratch) return 0;
        lk_pool_run(pool, attn_rows_task, &c);
        free(c.scratch);
        return 1;
    }
    // Very short contexts are not worth splitting: a thread's share would be a handful of positions.
    const int64_t length = row_len[0];
    const int split = nth > 1 && length >= 16 * nth;
    const int parts = split ? nth : 1;
    c.per_thread = (size_t)(group * (ceil_div(length, parts) + hd));
    c.wide = isa >= LK_ISA_AVX512 && lk_attention_decode_avx512_supported(hd, group);
    if (c.wide && c.per_thread < (size_t)(heads * (hd + 2))) c.per_thread = (size_t)(heads * (hd + 2));
    c.partials = malloc(((size_t)parts * (size_t)heads * (size_t)(hd + 2) + (size_t)parts * c.per_thread) * sizeof(float));
    if (!c.partials) return 0;
    c.scratch = c.partials + (size_t)parts * (size_t)heads * (size_t)(hd + 2);
    if (split) lk_pool_run(pool, attn_decode_task, &c);
    else attn_decode_task(&c, 0, 1);
    // Merge the partial softmaxes: out = sum_t e^(m_t - M) o_t / sum_t e^(m_t - M) s_t.
    for (int64_t h = 0; h < heads; h++) {
        float maxv = -INFINITY;
        for (int t = 0; t < parts; t++) {
            const float *part = c.partials + ((size_t)t * heads + h) * (hd + 2);
            if (part[1] > 0.0f && part[0] > maxv) maxv = part[0];
        }
        float total = 0.0f;
        float *o = out + h * hd;
        memset(o, 0, (size_t)hd * sizeof(float));
        for (int t = 0; t < parts; t++) {
            const float *part = c.partials + ((size_t)t * heads + h) * (hd + 2);
            if (part[1] <= 0.0f) continue;
            const float w = expf(part[0] - maxv);
            total += w * part[1];
            for (int64_t d = 0; d < hd; d++) o[d] += w * part[2 + d];
        }
        const float inv = 1.0f / total;
        for (int64_t d = 0; d < hd; d++) o[d] *= inv;
    }
    free(c.partials);
    return 1;
}
