// Block formats (ggml's layouts) expanded to float32, and the dot products built on them.
//
// The block expanders are written once as plain C and instantiated twice: a portable build and an
// AVX2+FMA build chosen at run time (clang vectorises them; `fp reassociate` lets it vectorise the sums).
#include "llamakit_kernels.h"
#include "kernels_internal.h"
#include <pthread.h>
#include <string.h>

#if defined(__clang__)
#define LK_REASSOCIATE _Pragma("clang fp reassociate(on)")
#else
#define LK_REASSOCIATE
#endif

#define LK_INLINE static inline __attribute__((always_inline))

LK_INLINE float fp16_to_fp32(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1Fu;
    const uint32_t mant = h & 0x3FFu;
    uint32_t bits;
    if (exp == 0) {
        // Zero or subnormal: mant * 2^-24, exact in float32.
        float f = (float)mant * 5.9604644775390625e-8f;
        return sign ? -f : f;
    } else if (exp == 31) {
        bits = sign | 0x7F800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 112u) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

LK_INLINE float bf16_to_fp32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

LK_INLINE uint16_t load_u16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

// --- Block expanders: one block of `type` to float32 -------------------------------------------------

// Q4_0: f16 d, 16 bytes; element j = d * ((qs[j] & 15) - 8), element j+16 = d * ((qs[j] >> 4) - 8).
LK_INLINE void expand_q4_0(const uint8_t *b, float *y) {
    const float d = fp16_to_fp32(load_u16(b));
    const uint8_t *qs = b + 2;
    for (int j = 0; j < 16; j++) {
        y[j] = d * (float)((int)(qs[j] & 15) - 8);
        y[j + 16] = d * (float)((int)(qs[j] >> 4) - 8);
    }
}

// Q4_1: f16 d, f16 m, 16 bytes; element = d * q + m.
LK_INLINE void expand_q4_1(const uint8_t *b, float *y) {
    const float d = fp16_to_fp32(load_u16(b));
    const float m = fp16_to_fp32(load_u16(b + 2));
    const uint8_t *qs = b + 4;
    for (int j = 0; j < 16; j++) {
        y[j] = d * (float)(qs[j] & 15) + m;
        y[j + 16] = d * (float)(qs[j] >> 4) + m;
    }
}

// Q8_0: f16 d, 32 int8; element = d * q.
LK_INLINE void expand_q8_0(const uint8_t *b, float *y) {
    const float d = fp16_to_fp32(load_u16(b));
    const int8_t *qs = (const int8_t *)(b + 2);
    for (int j = 0; j < 32; j++) y[j] = d * (float)qs[j];
}

// Q4_K: f16 d, f16 dmin, 12 bytes of packed 6-bit (scale, min) pairs for 8 sub-blocks, 128 bytes of nibbles.
LK_INLINE void q4k_scale_min(int j, const uint8_t *s, uint8_t *sc, uint8_t *mn) {
    if (j < 4) {
        *sc = s[j] & 63;
        *mn = s[j + 4] & 63;
    } else {
        *sc = (uint8_t)((s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4));
        *mn = (uint8_t)((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
    }
}

LK_INLINE void expand_q4_K(const uint8_t *b, float *y) {
    const float d = fp16_to_fp32(load_u16(b));
    const float dmin = fp16_to_fp32(load_u16(b + 2));
    const uint8_t *scales = b + 4;
    const uint8_t *q = b + 16;
    for (int chunk = 0; chunk < 4; chunk++) {
        uint8_t sc, mn;
        q4k_scale_min(2 * chunk, scales, &sc, &mn);
        const float d1 = d * sc, m1 = dmin * mn;
        q4k_scale_min(2 * chunk + 1, scales, &sc, &mn);
        const float d2 = d * sc, m2 = dmin * mn;
        for (int l = 0; l < 32; l++) y[l] = d1 * (float)(q[l] & 15) - m1;
        for (int l = 0; l < 32; l++) y[32 + l] = d2 * (float)(q[l] >> 4) - m2;
        y += 64;
        q += 32;
    }
}

// Q6_K: 128 bytes low nibbles, 64 bytes high 2-bit pairs, 16 int8 scales, f16 d.
LK_INLINE void expand_q6_K(const uint8_t *b, float *y) {
    const uint8_t *ql = b;
    const uint8_t *qh = b + 128;
    const int8_t *sc = (const int8_t *)(b + 192);
    const float d = fp16_to_fp32(load_u16(b + 208));
    for (int half = 0; half < 2; half++) {
        for (int l = 0; l < 32; l++) {
            const int is = l / 16;
            const int q1 = (int)((ql[l] & 15) | (((qh[l] >> 0) & 3) << 4)) - 32;
            const int q2 = (int)((ql[l + 32] & 15) | (((qh[l] >> 2) & 3) << 4)) - 32;
            const int q3 = (int)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            const int q4 = (int)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            y[l] = d * (float)sc[is] * (float)q1;
            y[l + 32] = d * (float)sc[is + 2] * (float)q2;
            y[l + 64] = d * (float)sc[is + 4] * (float)q3;
            y[l + 96] = d * (float)sc[is + 6] * (float)q4;
        }
        y += 128;
        ql += 64;
        qh += 32;
        sc += 8;
    }
}

LK_INLINE void expand_block(int type, const uint8_t *b, float *y) {
    switch (type) {
    case LK_TYPE_Q4_0: expand_q4_0(b, y); break;
    case LK_TYPE_Q4_1: expand_q4_1(b, y); break;
    case LK_TYPE_Q8_0: expand_q8_0(b, y); break;
    case LK_TYPE_Q4_K: expand_q4_K(b, y); break;
    case LK_TYPE_Q6_K: expand_q6_K(b, y); break;
    default: break;
    }
}

int lk_type_supported(int type) {
    switch (type) {
    case LK_TYPE_F32: case LK_TYPE_F16: case LK_TYPE_BF16: case LK_TYPE_Q4_0: case LK_TYPE_Q4_1:
    case LK_TYPE_Q8_0: case LK_TYPE_Q4_K: case LK_TYPE_Q6_K: return 1;
    default: return 0;
    }
}

int lk_type_block_size(int type) {
    switch (type) {
    case LK_TYPE_F32: case LK_TYPE_F16: case LK_TYPE_BF16: return 1;
    case LK_TYPE_Q4_0: case LK_TYPE_Q4_1: case LK_TYPE_Q8_0: return 32;
    case LK_TYPE_Q4_K: case LK_TYPE_Q6_K: return 256;
    default: return 0;
    }
}

int lk_type_block_bytes(int type) {
    switch (type) {
    case LK_TYPE_F32: return 4;
    case LK_TYPE_F16: case LK_TYPE_BF16: return 2;
    case LK_TYPE_Q4_0: return 18;
    case LK_TYPE_Q4_1: return 20;
    case LK_TYPE_Q8_0: return 34;
    case LK_TYPE_Q4_K: return 144;
    case LK_TYPE_Q6_K: return 210;
    default: return 0;
    }
}

// --- Row expansion and dot products, instantiated per ISA ------------------------------------------

#define LK_DEFINE_ROW_KERNELS(SUFFIX, ATTR)                                                           \
    ATTR static void dequantize_row_##SUFFIX(int type, const uint8_t *src, float *dst, int64_t k) {  \
        switch (type) {                                                                              \
        case LK_TYPE_F32: memcpy(dst, src, (size_t)k * 4); return;                                   \
        case LK_TYPE_F16:                                                                            \
            for (int64_t i = 0; i < k; i++) dst[i] = fp16_to_fp32(load_u16(src + 2 * i));            \
            return;                                                                                  \
        case LK_TYPE_BF16:                                                                           \
            for (int64_t i = 0; i < k; i++) dst[i] = bf16_to_fp32(load_u16(src + 2 * i));            \
            return;                                                                                  \
        default: {                                                                                   \
            const int bs = lk_type_block_size(type), bb = lk_type_block_bytes(type);                 \
            for (int64_t i = 0; i < k / bs; i++) expand_block(type, src + i * bb, dst + i * bs);     \
        }                                                                                            \
        }                                                                                            \
    }                                                                                                \
    ATTR static float dot_f32_##SUFFIX(const float *a, const float *b, int64_t n) {                  \
        LK_REASSOCIATE                                                                               \
        float s = 0.0f;                                                                              \
        for (int64_t i = 0; i < n; i++) s += a[i] * b[i];                                            \
        return s;                                                                                    \
    }                                                                                                \
    /* Dot of one stored row with float32 x: expand a block at a time into a small buffer. */        \
    ATTR static float dot_row_##SUFFIX(int type, const uint8_t *w, const float *x, int64_t k) {      \
        LK_REASSOCIATE                                                                               \
        if (type == LK_TYPE_F32) return dot_f32_##SUFFIX((const float *)(const void *)w, x, k);      \
        float buf[256];                                                                              \
        float s = 0.0f;                                                                              \
        if (type == LK_TYPE_F16 || type == LK_TYPE_BF16) {                                           \
            for (int64_t i0 = 0; i0 < k; i0 += 256) {                                                \
                const int64_t n = (k - i0) < 256 ? (k - i0) : 256;                                   \
                dequantize_row_##SUFFIX(type, w + 2 * i0, buf, n);                                   \
                for (int64_t i = 0; i < n; i++) s += buf[i] * x[i0 + i];                             \
            }                                                                                        \
            return s;                                                                                \
        }                                                                                            \
        const int bs = lk_type_block_size(type), bb = lk_type_block_bytes(type);                     \
        for (int64_t blk = 0; blk < k / bs; blk++) {                                                 \
            expand_block(type, w + blk * bb, buf);                                                   \
            const float *xb = x + blk * bs;                                                          \
            for (int i = 0; i < bs; i++) s += buf[i] * xb[i];                                        \
        }                                                                                            \
        return s;                                                                                    \
    }

LK_DEFINE_ROW_KERNELS(generic, )
#if defined(__x86_64__)
LK_DEFINE_ROW_KERNELS(avx2, __attribute__((target("avx2,fma,f16c"))))
#endif

void lk_dequantize_row(int type, const void *src, float *dst, int64_t k) {
#if defined(__x86_64__)
    if (lk_cpu_has_avx2_fma()) { dequantize_row_avx2(type, src, dst, k); return; }
#endif
    dequantize_row_generic(type, src, dst, k);
}

#if defined(__x86_64__)
float lk_dot_q4_1_avx2(const uint8_t *w, const float *x, int64_t k);
float lk_dot_q4_0_avx2(const uint8_t *w, const float *x, int64_t k);
float lk_dot_q8_0_avx2(const uint8_t *w, const float *x, int64_t k);
float lk_dot_f16_avx2(const uint8_t *w, const float *x, int64_t k);
float lk_dot_bf16_avx2(const uint8_t *w, const float *x, int64_t k);
#endif

float lk_dot_row(int isa, int type, const void *w, const float *x, int64_t k) {
#if defined(__x86_64__)
    if (isa >= LK_ISA_AVX2) {
        switch (type) {
        case LK_TYPE_Q4_1: return lk_dot_q4_1_avx2(w, x, k);
        case LK_TYPE_Q4_0: return lk_dot_q4_0_avx2(w, x, k);
        case LK_TYPE_Q8_0: return lk_dot_q8_0_avx2(w, x, k);
        case LK_TYPE_F16: return lk_dot_f16_avx2(w, x, k);
        case LK_TYPE_BF16: return lk_dot_bf16_avx2(w, x, k);
        default: return dot_row_avx2(type, w, x, k);
        }
    }
#endif
    (void)isa;  // elsewhere there is one level
    return dot_row_generic(type, w, x, k);
}

float lk_dot_f32(int isa, const float *a, const float *b, int64_t n) {
#if defined(__x86_64__)
    if (isa >= LK_ISA_AVX2) return dot_f32_avx2(a, b, n);
#endif
    (void)isa;
    return dot_f32_generic(a, b, n);
}

// --- fp16 table ------------------------------------------------------------------------------------

static float fp16_table[65536];
static pthread_once_t fp16_table_once = PTHREAD_ONCE_INIT;
static void fill_fp16_table(void) {
    for (uint32_t h = 0; h < 65536; h++) fp16_table[h] = fp16_to_fp32((uint16_t)h);
}
const float *lk_fp16_table(void) {
    pthread_once(&fp16_table_once, fill_fp16_table);
    return fp16_table;
}
