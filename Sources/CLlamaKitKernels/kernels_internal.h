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

typedef void (*lk_rows_q8_fn)(const uint8_t *w, size_t row_bytes, int64_t n0, int64_t n1, const lk_q8_activations *a,
                              int64_t k, float *y);

/// The whole-range decode kernel for `type` at instruction-set level `isa`, or NULL (then the per-row kernels serve).
lk_rows_fn lk_decode_rows_kernel(int isa, int type);

/// One stored row · x, and a float32 dot product, at the best level up to `isa`.
float lk_dot_row(int isa, int type, const void *w, const float *x, int64_t k);
float lk_dot_f32(int isa, const float *a, const float *b, int64_t n);

/// The int8-activation decode kernel for `type` at level `isa`, or NULL (the type then stays exact).
lk_rows_q8_fn lk_decode_rows_q8_kernel(int isa, int type);

/// Decode attention of one query row over cached positions [j0, j1) with AVX-512 (attention_avx512.c): per head
/// h the running maximum m[h], sum l[h] and unnormalised output o[h * hd ...] of its softmax.
int lk_attention_decode_avx512_supported(int64_t hd, int64_t group);
void lk_attention_decode_avx512(const float *q, const float *k, const float *v, int64_t kv_heads, int64_t group,
                                int64_t hd, int64_t j0, int64_t j1, float scale, float *m, float *l, float *o);

#if defined(__x86_64__)
/// Bytes ahead of each row stream the decode kernels prefetch (measured on Ice Lake server: 8-16 KiB reach the
/// bandwidth of a tuned read loop; a few hundred bytes gain little, 24 KiB was slower).
enum { LK_PREFETCH_AHEAD = 12 * 1024 };

/// One prefetch per 64-byte line of a row stream, for a kernel step that reads STEP bytes of the row at offset
/// o: steps smaller than a line prefetch only when they start a new line, larger ones every line they span.
/// (One linear stream ahead of a whole group of rows, tried instead, read 5-10 % slower.)
#define LK_PREFETCH_LINES(row, o, STEP)                                                                   \
    do {                                                                                                  \
        for (size_t line_ = 0; line_ < ((size_t)(STEP) + 63) / 64; line_++) {                             \
            if ((STEP) >= 64 || ((o) & 63) < (size_t)(STEP))                                              \
                _mm_prefetch((const char *)((row) + (o) + 64 * line_ + LK_PREFETCH_AHEAD), _MM_HINT_T0);  \
        }                                                                                                 \
    } while (0)

/// The decode kernels take their rows four at a time, two from each half of their range: rows n, n+1 and the
/// same two `half` rows later. Four streams in two distant regions keep more DRAM requests in flight than four
/// adjacent rows (measured: a q4_0-shaped read pattern went from ~21 to ~26 GB/s on 2 cores). Returns the
/// number of such groups in [n0, n1); rows from n0 + 2 * half on are left for single-row code.
static inline int64_t lk_row_groups(int64_t n0, int64_t n1, int64_t *half) {
    *half = (n1 - n0) / 4 * 2;
    return *half / 2;
}
/// Row i (0 to 3) of group g.
static inline int64_t lk_group_row(int64_t n0, int64_t half, int64_t g, int i) { return n0 + 2 * g + (i & 1) + (i >> 1) * half; }

#define LK_DECLARE_Q8_ROWS(name) \
    void name(const uint8_t *w, size_t row_bytes, int64_t n0, int64_t n1, const lk_q8_activations *a, int64_t k, float *y);
LK_DECLARE_Q8_ROWS(lk_matvec_q4_1_q8_vnni)
LK_DECLARE_Q8_ROWS(lk_matvec_q4_0_q8_vnni)
LK_DECLARE_Q8_ROWS(lk_matvec_q8_0_q8_vnni)
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
