// Declarations shared by the kernel files (not part of the public header).
#pragma once
#include <stddef.h>
#include <stdint.h>

/// fp16 bit pattern → float32 for all 65,536 patterns (built once, thread-safe); block scales are read through it.
const float *lk_fp16_table(void);

/// Splits [0, n) into nth nearly equal ranges, each but the last a multiple of `unit`; returns thread ith's.
static inline void lk_split_range(int64_t n, int64_t unit, int ith, int nth, int64_t *begin, int64_t *end) {
    int64_t per = (n + nth - 1) / nth;
    per = (per + unit - 1) / unit * unit;
    *begin = per * ith < n ? per * ith : n;
    *end = *begin + per < n ? *begin + per : n;
}

/// The entry point of an x86-only prompt-batch kernel, on other CPUs: it does nothing and returns 0, so the
/// caller takes another path. (Needs llamakit_kernels.h for lk_pool.)
#define LK_NO_BATCH_KERNEL(NAME)                                                                              \
    int NAME(lk_pool *pool, int isa, int type, const void *w, size_t row_bytes, int64_t n_out, const float *x, \
             int64_t m, int64_t k, float *y, int64_t ldy) {                                                   \
        (void)pool; (void)isa; (void)type; (void)w; (void)row_bytes; (void)n_out; (void)x; (void)m; (void)k;  \
        (void)y; (void)ldy;                                                                                   \
        return 0;                                                                                             \
    }

/// Decode kernels: y[n] = dot(W[n, :], x) for rows n in [n0, n1), float32 on the stored weights.
typedef void (*lk_rows_fn)(const uint8_t *w, size_t row_bytes, int64_t n0, int64_t n1, const float *x,
                           int64_t k, float *y);
/// Activations rounded to 8-bit blocks of 32 (the approximate path), with the sums kernels fold offsets into.
typedef struct {
    const int8_t *q;               // k codes in element order
    const float *d;                // per block: scale (max|x| / 127)
    const float *s;                // per block: d * sum(q)
    const float *patterns;         // per pair of blocks: 16 lanes of d, then 16 lanes of s / 8 (lanes 0-7 first block)
} lk_q8_activations;

/// Bytes of scratch lk_quantize_activations needs for k values (k a multiple of 32).
size_t lk_q8_scratch_bytes(int64_t k);
/// Rounds x (k floats) to int8 blocks of 32 (q = round(x / d), d = max|x| / 127) into `scratch`; every int8
/// kernel, decode and batch, takes its activations from here, so all round alike.
void lk_quantize_activations(int isa, const float *x, int64_t k, void *scratch, lk_q8_activations *a);

/// What the int8 kernels take back per block, times d_x Σ q_x, for codes they multiply unsigned: Q4_0's
/// nibbles stand for q - 8, and Q8_0's signed codes go in as q + 128 (vpdpbusd takes one operand unsigned).
enum { LK_Q4_0_OFFSET = -8, LK_Q8_0_OFFSET = -128 };

typedef void (*lk_rows_q8_fn)(const uint8_t *w, size_t row_bytes, int64_t n0, int64_t n1, const lk_q8_activations *a,
                              int64_t k, float *y);

/// The whole-range decode kernel for `type` at instruction-set level `isa`, or NULL (then the per-row kernels serve).
lk_rows_fn lk_decode_rows_kernel(int isa, int type);

/// One stored row · x, and a float32 dot product, at the best level up to `isa`.
float lk_dot_row(int isa, int type, const void *w, const float *x, int64_t k);
float lk_dot_f32(int isa, const float *a, const float *b, int64_t n);

/// The int8-activation decode kernel for `type` at level `isa`, or NULL (the type then stays exact).
lk_rows_q8_fn lk_decode_rows_q8_kernel(int isa, int type);

/// Decode attention of one query row over its positions [j0, j1), held at cache rows slots[j0 .. j1), with AVX-512
/// (attention_avx512.c): per head h the running maximum m[h], sum l[h] and unnormalised output o[h * hd ...] of
/// its softmax.
int lk_attention_decode_avx512_supported(int64_t hd, int64_t group);
void lk_attention_decode_avx512(const float *q, const float *k, const float *v, const int32_t *slots,
                                int64_t kv_heads, int64_t group, int64_t hd, int64_t j0, int64_t j1, float scale,
                                float *m, float *l, float *o);

/// The order in which a decode kernel takes the rows [n0, n1): passes of `regions` × `adjacent` rows that
/// share each load of x, `adjacent` neighbouring rows from each of `regions` distant parts of the range. Each
/// region is read front to back, so a core keeps `regions` streams through memory, each in pages of its own
/// (the L2 streamer follows one forward stream per 4 KiB page).
/// - Long ranges take eight regions of one row (LK_FAR_*). On an 8B-shaped layer, interleaved runs on 2 cores:
///   7-10 % faster than two regions of two rows, for Q4_0, Q4_1, Q8_0, F16 and BF16, exact and int8 (twelve
///   regions were 10 % slower in the 4-bit int8 kernel and no faster elsewhere).
/// - Short ranges (SmolLM2's matrices come in chunks of 16-140 KiB) take two regions of two rows (LK_NEAR_*):
///   on SmolLM2's shapes eight regions were 10 % slower in the Q4_1 int8 kernel (no faster exact). Two regions
///   of two had beaten four adjacent rows by 7 % on the 8B layer.
enum { LK_FAR_REGIONS = 8, LK_FAR_ADJACENT = 1, LK_NEAR_REGIONS = 2, LK_NEAR_ADJACENT = 2 };
/// Ranges of at least this many bytes of weights take the far plan.
enum { LK_FAR_MIN_BYTES = 256 * 1024 };
static inline int lk_takes_far_plan(int64_t n0, int64_t n1, size_t row_bytes) {
    return (size_t)(n1 - n0) * row_bytes >= LK_FAR_MIN_BYTES;
}
/// The entry point of a decode kernel compiled in both row plans (NAME##_far, NAME##_near): it picks one by the
/// bytes of the range. X_T is what the kernel takes as activations.
#define LK_PLAN_ENTRY(NAME, X_T)                                                                                  \
    void NAME(const uint8_t *w, size_t row_bytes, int64_t n0, int64_t n1, X_T x, int64_t k, float *y) {         \
        if (lk_takes_far_plan(n0, n1, row_bytes)) NAME##_far(w, row_bytes, n0, n1, x, k, y);                    \
        else NAME##_near(w, row_bytes, n0, n1, x, k, y);                                                        \
    }
/// A decode kernel in both row plans and its entry point: PASSES(NAME, ..., REGIONS, ADJACENT, AHEAD, REST) is
/// the kernel family's pass driver, given its own arguments in `...`; the far plan leaves its last rows to the
/// near one. X_T is what the kernel takes as activations.
#define LK_KERNEL_IN_TWO_PLANS(PASSES, NAME, X_T, ...)                                                        \
    PASSES(NAME##_near, __VA_ARGS__, LK_NEAR_REGIONS, LK_NEAR_ADJACENT, LK_NEAR_PREFETCH, NULL)                \
    PASSES(NAME##_far, __VA_ARGS__, LK_FAR_REGIONS, LK_FAR_ADJACENT, LK_FAR_PREFETCH, NAME##_near)             \
    LK_PLAN_ENTRY(NAME, X_T)
/// Rows per pass of either plan (the far plan's is the larger); work is handed out in multiples of it.
enum { LK_ROWS_PER_PASS_MAX = LK_FAR_REGIONS * LK_FAR_ADJACENT };

typedef struct { int64_t groups, region, rest; } lk_row_plan;   // passes, rows per region, first row left over
/// Regions whose starts lie a multiple of 4 KiB apart would compete for the same L1 sets (and their loads
/// 4K-alias): with 2304-byte rows (Q4_0, 4096 columns) that is every region of a multiple of 16 rows, which
/// the pool's chunks usually are. So with four regions or more the region is shortened by up to three passes
/// to spread the starts over a 4 KiB page, and the rows left over go to the short-range plan. (Measured with
/// one thread on 32768 × 4096 Q4_0: 32760 rows, whose regions are 4095 rows, read 30 % faster than 32768.)
static inline lk_row_plan lk_plan_rows(int64_t n0, int64_t n1, size_t row_bytes, int regions, int adjacent) {
    const int64_t even = (n1 - n0) / (regions * adjacent) * adjacent;
    int64_t region = even;
    if (regions >= 4) {
        unsigned best = 0;  // the smallest distance between two region starts, modulo 4 KiB
        for (int64_t r = even; r > 0 && r >= even - 3 * adjacent; r -= adjacent) {
            unsigned gap = 4096;
            for (int i = 1; i < regions; i++) {
                const unsigned d = (unsigned)(((uint64_t)r * row_bytes * (uint64_t)i) % 4096);
                const unsigned circular = d < 4096 - d ? d : 4096 - d;
                gap = circular < gap ? circular : gap;
            }
            if (gap > best) { best = gap; region = r; }
        }
    }
    return (lk_row_plan){ region / adjacent, region, n0 + regions * region };
}
/// Row i (0 to regions × adjacent - 1) of pass g.
static inline int64_t lk_plan_row(const lk_row_plan *plan, int64_t n0, int adjacent, int64_t g, int i) {
    return n0 + adjacent * g + i % adjacent + (i / adjacent) * plan->region;
}
/// The `count` row pointers of pass g into w.
static inline void lk_plan_pass(const lk_row_plan *plan, const uint8_t *w, size_t row_bytes, int64_t n0, int adjacent,
                                int64_t g, int count, const uint8_t **rows) {
    for (int i = 0; i < count; i++) rows[i] = w + (size_t)lk_plan_row(plan, n0, adjacent, g, i) * row_bytes;
}

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

/// Bytes ahead of each row stream the decode kernels prefetch, for the near and far row plans (measured on Ice
/// Lake server: four streams read fastest 8-16 KiB ahead, eight streams 6 KiB ahead, 2-5 % ahead of 4, 8 and
/// 12 KiB; both fill about as much of the 48 KiB L1).
enum { LK_NEAR_PREFETCH = 12 * 1024, LK_FAR_PREFETCH = 6 * 1024 };

/// One prefetch per 64-byte line of a row stream, AHEAD bytes ahead, for a kernel step that reads STEP bytes of
/// the row at offset o: steps smaller than a line prefetch only when they start a new line, larger ones every
/// line they span.
/// (One linear stream ahead of a whole group of rows, tried instead, read 5-10 % slower.)
#define LK_PREFETCH_LINES(row, o, STEP, AHEAD)                                                            \
    do {                                                                                                  \
        for (size_t line_ = 0; line_ < ((size_t)(STEP) + 63) / 64; line_++) {                             \
            if ((STEP) >= 64 || ((o) & 63) < (size_t)(STEP))                                              \
                _mm_prefetch((const char *)((row) + (o) + 64 * line_ + (AHEAD)), _MM_HINT_T0);            \
        }                                                                                                 \
    } while (0)

/// The lines LK_PREFETCH_LINES would take for a step of CHUNKS chunks (K-quant super-blocks), spread over the
/// chunks (one line every CHUNKS / lines chunks) instead of issued all at once before the step: a pass of eight
/// rows otherwise asks for 24-32 lines in one burst and then computes for hundreds of cycles. The test is one
/// comparison on the chunk index (a loop of tests per chunk cost the L2-resident exact Q4_K kernel 15 %).
/// (8B-shaped 57344 × 4096 rows from DRAM, 2 threads, Zen 5, alternating runs: int8 Q4_K 30 → 36-38 GB/s,
/// int8 Q6_K 25-27 → 31-33; with the exact kernels' chunk loop unrolled by four, exact Q4_K 26-28 → 35-36
/// and exact Q6_K 31-32 → 33-34.) Steps of one chunk prefetch nothing here (they take LK_PREFETCH_LINES); a
/// multi-chunk step needs at least as many chunks as lines.
#define LK_PREFETCH_SPREAD(row, o, STEP, AHEAD, c, CHUNKS)                                                \
    do {                                                                                                  \
        enum { lines_ = ((STEP) + 63) / 64, every_ = (CHUNKS) >= lines_ ? (CHUNKS) / lines_ : 1 };          \
        _Static_assert((CHUNKS) == 1 || (CHUNKS) >= lines_, "a chunk per line at least");                 \
        if ((CHUNKS) > 1 && (c) % every_ == 0 && (c) / every_ < lines_)                                   \
            _mm_prefetch((const char *)((row) + (o) + 64 * ((c) / every_) + (AHEAD)), _MM_HINT_T0);       \
    } while (0)

// The eight 6-bit scales and mins of a Q4_K block (bytes s[0..11]) times d and dmin, for the exact and int8
// kernels, unpacked as gguf-py does, four sub-blocks per 32-bit word: sub-blocks 0-3 take the low 6 bits of s[0..3] (scales) and s[4..7]
// (mins); 4-7 take a nibble of s[8..11] and the top 2 bits of s[0..3] or s[4..7]. About 20 instructions for
// all sixteen, where unpacking them one at a time took over 80 (the kernel got ~4 % faster: most of its work
// is the per-element lookups below).
__attribute__((target("avx2")))
static inline void lk_q4_K_scales(const uint8_t *s, float d, float dmin, float *scale, float *offset) {
    uint32_t a, b, c;
    memcpy(&a, s, 4);
    memcpy(&b, s + 4, 4);
    memcpy(&c, s + 8, 4);
    const uint64_t sc = (uint64_t)(a & 0x3F3F3F3Fu) | (uint64_t)((c & 0x0F0F0F0Fu) | ((a >> 2) & 0x30303030u)) << 32;
    const uint64_t mn = (uint64_t)(b & 0x3F3F3F3Fu) | (uint64_t)(((c >> 4) & 0x0F0F0F0Fu) | ((b >> 2) & 0x30303030u)) << 32;
    const __m256 scf = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_cvtsi64_si128((long long)sc)));
    const __m256 mnf = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_cvtsi64_si128((long long)mn)));
    _mm256_storeu_ps(scale, _mm256_mul_ps(_mm256_set1_ps(d), scf));
    _mm256_storeu_ps(offset, _mm256_mul_ps(_mm256_set1_ps(dmin), mnf));
}

// The 256 six-bit codes of a Q6_K super-block b, minus `bias`, as bytes in element order, for the exact (bias
// 32: signed q - 32) and int8 (bias 0: unsigned, as vpdpbusd takes them) kernels. Per half of the super-block
// (128 elements), the 64 bytes of ql hold the low four bits of elements 0-63 (low nibbles) and 64-127 (high
// nibbles), and the 32 bytes of qh their top two bits: element group j (32 elements) takes bits 2j and 2j + 1
// of its qh byte. Six 512-bit operations give a half's 128 codes, where 16 at a time took ~50 narrow ones.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq"), always_inline))
static inline void lk_q6_K_codes(const uint8_t *b, uint8_t *codes, char bias) {
    const long long by4 = 0x0004000400040004LL, by2 = 0x0002000200020002LL;  // shift counts per 16-bit lane
    const __m512i up01 = _mm512_setr_epi64(by4, by4, by4, by4, by2, by2, by2, by2);   // groups 0, 1: bits 0-1, 2-3 → 4-5
    const __m512i down23 = _mm512_setr_epi64(0, 0, 0, 0, by2, by2, by2, by2);        // groups 2, 3: bits 4-5, 6-7 → 4-5
    const __m512i nibble = _mm512_set1_epi8(0x0F), top = _mm512_set1_epi8(0x30), offset = _mm512_set1_epi8(bias);
    for (int half = 0; half < 2; half++) {
        const __m512i ql = _mm512_loadu_si512((const void *)(b + 64 * half));
        const __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(b + 128 + 32 * half)));
        // The shifts run per 16-bit lane; the bits they bring in from the neighbouring byte are masked off.
        const __m512i h01 = _mm512_and_si512(_mm512_sllv_epi16(qh, up01), top);
        const __m512i h23 = _mm512_and_si512(_mm512_srlv_epi16(qh, down23), top);
        const __m512i q01 = _mm512_ternarylogic_epi32(ql, h01, nibble, 0xEC);                        // (ql & 15) | h
        const __m512i q23 = _mm512_ternarylogic_epi32(_mm512_srli_epi16(ql, 4), h23, nibble, 0xEC);  // (ql >> 4 & 15) | h
        _mm512_store_si512((void *)(codes + 128 * half), _mm512_sub_epi8(q01, offset));
        _mm512_store_si512((void *)(codes + 128 * half + 64), _mm512_sub_epi8(q23, offset));
    }
}

// d·sc of a Q6_K super-block's sixteen groups of 16 (each product rounded as gguf-py rounds it).
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq"), always_inline))
static inline __m512 lk_q6_K_factors(const uint8_t *b, const float *table) {
    uint16_t d;
    memcpy(&d, b + 208, 2);
    return _mm512_mul_ps(_mm512_set1_ps(table[d]), _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(b + 192)))));
}

// --- Expanding weights to float32 with AVX-512, bit for bit as lk_dequantize_row does (gguf-py's rounding), for
// the batch kernels (matmul_f32_avx512.c, matmul_rows.c) ---------------------------------------------------------

#define LK_EXPAND_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma,f16c"), always_inline))

// Sixteen bytes of nibbles through a block's sixteen values: low nibbles to y[0..16), high ones to y[at..at + 16).
LK_EXPAND_AVX512 static inline void lk_expand_nibbles(const uint8_t *q, __m512 low_values, __m512 high_values, float *y, int at) {
    const __m512i codes = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)q));
    _mm512_storeu_ps(y, _mm512_permutexvar_ps(codes, low_values));  // vpermps reads the low four bits only
    _mm512_storeu_ps(y + at, _mm512_permutexvar_ps(_mm512_srli_epi32(codes, 4), high_values));
}

// `count` elements (whole blocks) of a row of `type` from the block at src to y. Each value is one product or
// FMA that is exact or rounds once, as in quant.c: d·(q - 8), d·q + m, d·q, (d·sc)·q - dmin·m, (d·sc)·(q - 32).
// Always inlined, so a caller that passes a constant type gets that type's loop alone.
LK_EXPAND_AVX512 static inline void lk_expand_avx512(int type, const uint8_t *src, float *y, int64_t count) {
    const float *table = lk_fp16_table();
    const __m512 codes_0_15 = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    uint16_t u16;
#define LK_U16_AT(p) (memcpy(&u16, (p), 2), u16)
    switch (type) {
    case LK_TYPE_Q4_0: case LK_TYPE_Q4_1:
        for (int64_t b = 0; b < count / 32; b++, y += 32) {
            const uint8_t *block = src + b * (type == LK_TYPE_Q4_0 ? 18 : 20);
            const __m512 d = _mm512_set1_ps(table[LK_U16_AT(block)]);
            const __m512 values = type == LK_TYPE_Q4_0 ? _mm512_mul_ps(d, _mm512_sub_ps(codes_0_15, _mm512_set1_ps(8)))
                                                       : _mm512_fmadd_ps(d, codes_0_15, _mm512_set1_ps(table[LK_U16_AT(block + 2)]));
            lk_expand_nibbles(block + (type == LK_TYPE_Q4_0 ? 2 : 4), values, values, y, 16);
        }
        break;
    case LK_TYPE_Q8_0:
        for (int64_t b = 0; b < count / 32; b++, y += 32) {
            const uint8_t *block = src + b * 34;
            const __m512 d = _mm512_set1_ps(table[LK_U16_AT(block)]);
            for (int h = 0; h < 2; h++)
                _mm512_storeu_ps(y + 16 * h, _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(
                                                              _mm_loadu_si128((const __m128i *)(block + 2 + 16 * h))))));
        }
        break;
    case LK_TYPE_Q4_K:
        for (int64_t b = 0; b < count / 256; b++, y += 256) {
            const uint8_t *block = src + b * 144;
            float scale[8], offset[8];
            lk_q4_K_scales(block + 4, table[LK_U16_AT(block)], table[LK_U16_AT(block + 2)], scale, offset);
            for (int c = 0; c < 4; c++) {
                const __m512 low = _mm512_fmsub_ps(_mm512_set1_ps(scale[2 * c]), codes_0_15, _mm512_set1_ps(offset[2 * c]));
                const __m512 high = _mm512_fmsub_ps(_mm512_set1_ps(scale[2 * c + 1]), codes_0_15, _mm512_set1_ps(offset[2 * c + 1]));
                // Bytes q[32c ... 32c + 31]: elements 64c + l (low nibbles) and 64c + 32 + l (high nibbles).
                for (int h = 0; h < 2; h++) lk_expand_nibbles(block + 16 + 32 * c + 16 * h, low, high, y + 64 * c + 16 * h, 32);
            }
        }
        break;
    case LK_TYPE_Q6_K:
        for (int64_t b = 0; b < count / 256; b++, y += 256) {
            const uint8_t *block = src + b * 210;
            _Alignas(64) int8_t codes[256];
            _Alignas(64) float factors[16];
            lk_q6_K_codes(block, (uint8_t *)codes, 32);
            _mm512_store_ps(factors, lk_q6_K_factors(block, table));
            for (int e = 0; e < 16; e++)
                _mm512_storeu_ps(y + 16 * e, _mm512_mul_ps(_mm512_set1_ps(factors[e]), _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(
                                                              _mm_load_si128((const __m128i *)(codes + 16 * e))))));
        }
        break;
    case LK_TYPE_F16: case LK_TYPE_BF16: {
        int64_t i = 0;
        for (; i + 16 <= count; i += 16) {
            const __m256i h = _mm256_loadu_si256((const __m256i *)(src + 2 * i));
            _mm512_storeu_ps(y + i, type == LK_TYPE_F16 ? _mm512_cvtph_ps(h)
                                                        : _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16)));
        }
        if (i < count) lk_dequantize_row(type, src + 2 * i, y + i, count - i);
        break;
    }
    default: lk_dequantize_row(type, src, y, count); break;
    }
#undef LK_U16_AT
}

// The same with AVX2, for the batch kernels below AVX-512, bit for bit as lk_dequantize_row: codes are widened and
// converted eight at a time and go through the same one product or FMA per value. (lk_dequantize_row's plain C
// expanders, even vectorised, take 1.2 cycles per Q4_0 element and 5 per Q6_K element on Zen 3; these take a
// fraction of that.)
#define LK_EXPAND_AVX2 __attribute__((target("avx2,fma,f16c"), always_inline))

// Eight bytes (the low eight of v), as codes, to float32.
LK_EXPAND_AVX2 static inline __m256 lk_u8_ps(__m128i v) { return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v)); }
LK_EXPAND_AVX2 static inline __m256 lk_i8_ps(__m128i v) { return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v)); }

LK_EXPAND_AVX2 static inline void lk_expand_avx2(int type, const uint8_t *src, float *y, int64_t count) {
    const float *table = lk_fp16_table();
    uint16_t u16;
#define LK_U16_AT(p) (memcpy(&u16, (p), 2), u16)
    switch (type) {
    case LK_TYPE_Q4_0: case LK_TYPE_Q4_1:
        for (int64_t b = 0; b < count / 32; b++, y += 32) {
            const uint8_t *block = src + b * (type == LK_TYPE_Q4_0 ? 18 : 20);
            const __m256 d = _mm256_set1_ps(table[LK_U16_AT(block)]);
            // Q4_0: d·(q - 8), the subtraction exact; Q4_1: d·q + m, d·q exact.
            const __m256 m = type == LK_TYPE_Q4_0 ? _mm256_set1_ps(-8.0f) : _mm256_set1_ps(table[LK_U16_AT(block + 2)]);
            const __m128i q = _mm_loadu_si128((const __m128i *)(block + (type == LK_TYPE_Q4_0 ? 2 : 4)));
            const __m128i nibble = _mm_set1_epi8(0x0F);
            const __m128i halves[2] = { _mm_and_si128(q, nibble), _mm_and_si128(_mm_srli_epi16(q, 4), nibble) };
            for (int h = 0; h < 2; h++) {
                for (int e = 0; e < 2; e++) {
                    const __m256 v = lk_u8_ps(e ? _mm_unpackhi_epi64(halves[h], halves[h]) : halves[h]);
                    _mm256_storeu_ps(y + 16 * h + 8 * e, type == LK_TYPE_Q4_0 ? _mm256_mul_ps(d, _mm256_add_ps(v, m))
                                                                              : _mm256_fmadd_ps(d, v, m));
                }
            }
        }
        break;
    case LK_TYPE_Q8_0:
        for (int64_t b = 0; b < count / 32; b++, y += 32) {
            const uint8_t *block = src + b * 34;
            const __m256 d = _mm256_set1_ps(table[LK_U16_AT(block)]);
            for (int e = 0; e < 4; e++)
                _mm256_storeu_ps(y + 8 * e, _mm256_mul_ps(d, lk_i8_ps(_mm_loadl_epi64((const __m128i *)(block + 2 + 8 * e)))));
        }
        break;
    case LK_TYPE_Q4_K:
        for (int64_t b = 0; b < count / 256; b++, y += 256) {
            const uint8_t *block = src + b * 144;
            float scale[8], offset[8];
            lk_q4_K_scales(block + 4, table[LK_U16_AT(block)], table[LK_U16_AT(block + 2)], scale, offset);
            for (int c = 0; c < 4; c++) {
                // Bytes q[32c ... 32c + 31]: their low nibbles are elements 64c + l, their high ones 64c + 32 + l.
                const __m256i q = _mm256_loadu_si256((const __m256i *)(block + 16 + 32 * c));
                const __m256i nibble = _mm256_set1_epi8(0x0F);
                const __m256i halves[2] = { _mm256_and_si256(q, nibble), _mm256_and_si256(_mm256_srli_epi16(q, 4), nibble) };
                for (int h = 0; h < 2; h++) {
                    const __m256 sc = _mm256_set1_ps(scale[2 * c + h]), mn = _mm256_set1_ps(offset[2 * c + h]);
                    const __m128i parts[2] = { _mm256_castsi256_si128(halves[h]), _mm256_extracti128_si256(halves[h], 1) };
                    for (int e = 0; e < 4; e++)
                        _mm256_storeu_ps(y + 64 * c + 32 * h + 8 * e,
                                         _mm256_fmsub_ps(sc, lk_u8_ps(e & 1 ? _mm_unpackhi_epi64(parts[e / 2], parts[e / 2]) : parts[e / 2]), mn));
                }
            }
        }
        break;
    case LK_TYPE_Q6_K:
        for (int64_t b = 0; b < count / 256; b++, y += 256) {
            const uint8_t *block = src + b * 210;
            // d·sc per group of 16, as lk_q6_K_factors rounds them.
            const __m256 d = _mm256_set1_ps(table[LK_U16_AT(block + 208)]);
            _Alignas(32) float factors[16];
            _mm256_store_ps(factors, _mm256_mul_ps(d, lk_i8_ps(_mm_loadl_epi64((const __m128i *)(block + 192)))));
            _mm256_store_ps(factors + 8, _mm256_mul_ps(d, lk_i8_ps(_mm_loadl_epi64((const __m128i *)(block + 200)))));
            for (int half = 0; half < 2; half++) {
                // Elements 32j + l of the half (j = 0..3): low bits from ql[l] (j = 0, 2: low and high nibble) or
                // ql[32 + l] (j = 1, 3), top two bits from bits 2j, 2j + 1 of qh[l].
                const uint8_t *ql = block + 64 * half, *qh = block + 128 + 32 * half;
                const __m256i l0 = _mm256_loadu_si256((const __m256i *)ql), l1 = _mm256_loadu_si256((const __m256i *)(ql + 32));
                const __m256i h = _mm256_loadu_si256((const __m256i *)qh);
                const __m256i nibble = _mm256_set1_epi8(0x0F), top = _mm256_set1_epi8(0x30), bias = _mm256_set1_epi8(32);
                const __m256i codes[4] = {
                    _mm256_or_si256(_mm256_and_si256(l0, nibble), _mm256_and_si256(_mm256_slli_epi16(h, 4), top)),
                    _mm256_or_si256(_mm256_and_si256(l1, nibble), _mm256_and_si256(_mm256_slli_epi16(h, 2), top)),
                    _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), nibble), _mm256_and_si256(h, top)),
                    _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), nibble), _mm256_and_si256(_mm256_srli_epi16(h, 2), top)),
                };
                for (int j = 0; j < 4; j++) {
                    const __m256i q = _mm256_sub_epi8(codes[j], bias);
                    const __m128i parts[2] = { _mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1) };
                    for (int e = 0; e < 4; e++) {
                        const __m256 f = _mm256_set1_ps(factors[8 * half + 2 * j + e / 2]);
                        _mm256_storeu_ps(y + 128 * half + 32 * j + 8 * e,
                                         _mm256_mul_ps(f, lk_i8_ps(e & 1 ? _mm_unpackhi_epi64(parts[e / 2], parts[e / 2]) : parts[e / 2])));
                    }
                }
            }
        }
        break;
    case LK_TYPE_F16: case LK_TYPE_BF16: {
        int64_t i = 0;
        for (; i + 8 <= count; i += 8) {
            const __m128i h = _mm_loadu_si128((const __m128i *)(src + 2 * i));
            _mm256_storeu_ps(y + i, type == LK_TYPE_F16 ? _mm256_cvtph_ps(h)
                                                        : _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16)));
        }
        if (i < count) lk_dequantize_row(type, src + 2 * i, y + i, count - i);
        break;
    }
    default: lk_dequantize_row(type, src, y, count); break;
    }
#undef LK_U16_AT
}

#define LK_DECLARE_Q8_ROWS(name) \
    void name(const uint8_t *w, size_t row_bytes, int64_t n0, int64_t n1, const lk_q8_activations *a, int64_t k, float *y);
LK_DECLARE_Q8_ROWS(lk_matvec_q4_1_q8_vnni)
LK_DECLARE_Q8_ROWS(lk_matvec_q4_0_q8_vnni)
LK_DECLARE_Q8_ROWS(lk_matvec_q8_0_q8_vnni)
LK_DECLARE_Q8_ROWS(lk_matvec_q4_K_q8_vnni)
LK_DECLARE_Q8_ROWS(lk_matvec_q6_K_q8_vnni)
LK_DECLARE_Q8_ROWS(lk_matvec_q4_1_q8_avx2)
LK_DECLARE_Q8_ROWS(lk_matvec_q4_0_q8_avx2)
LK_DECLARE_Q8_ROWS(lk_matvec_q8_0_q8_avx2)
#define LK_DECLARE_ROWS(name) \
    void name(const uint8_t *w, size_t row_bytes, int64_t n0, int64_t n1, const float *x, int64_t k, float *y);
LK_DECLARE_ROWS(lk_matvec_q4_1_avx512)
LK_DECLARE_ROWS(lk_matvec_q4_0_avx512)
LK_DECLARE_ROWS(lk_matvec_q8_0_avx512)
LK_DECLARE_ROWS(lk_matvec_q4_K_avx512)
LK_DECLARE_ROWS(lk_matvec_q6_K_avx512)
LK_DECLARE_ROWS(lk_matvec_f32_avx512)
LK_DECLARE_ROWS(lk_matvec_f16_avx512)
LK_DECLARE_ROWS(lk_matvec_bf16_avx512)
#endif
