// Prompt batches on the approximate path: activations rounded to 8-bit blocks (exactly as the int8 decode
// kernels round them), multiplied with the weights' integer codes by AVX-512 VNNI.
//
// Why a layout of its own: the decode kernels hold 64 elements of one row in a register, so every block of
// every (row, token) pair costs float work (convert, scale, accumulate) next to its one vpdpbusd, which is
// no cheaper than float32 FMAs. Here lane r of a register is weight row r of a tile of sixteen, and a
// register holds four consecutive codes of each row: eight vpdpbusd cover a 32-element block of sixteen rows
// against one token (the token's four codes broadcast to all lanes), and the float step (convert, times
// d_x, plus the offset, times sixteen rows' d_w) is paid once per eight vpdpbusd. Two tiles (32 rows) and
// four tokens make one step: each broadcast serves two vpdpbusd and each code vector four, which keeps the
// two load ports from being the limit (one tile and eight tokens were 1.4x slower, load-bound).
//
// Weights stay as stored: each thread repacks its 32 rows a chunk of blocks at a time into this layout
// (sixteen-lane gathers, a few instructions per block) and reuses the chunk, from L1, for every token.
#include "llamakit_kernels.h"
#include "kernels_internal.h"
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

#define VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,fma,f16c")))
#define TILE_FN static inline __attribute__((always_inline)) VNNI

enum { TILE = 16, HALVES = 2, ROWS = TILE * HALVES, GROUPS = 8, TOKENS = 4, CHUNK_BLOCKS = 16 };

// 32 rows repacked: per block and half (rows 0-15, 16-31), GROUPS code vectors (lane r: row r's codes 4g ...
// 4g + 3 as unsigned bytes); per block and half, the sixteen rows' scales and their minimums (Q4_1, Q4_K) or
// second scales (Q6_K).
typedef struct { __m512i *codes; float *scales, *mins; } packed_tile;

// Bytes of one thread's packed tile for `blocks` blocks of 32, and the tile laid out in them (64-aligned).
static size_t packed_tile_bytes(int64_t blocks) { return (size_t)blocks * HALVES * (GROUPS * 64 + 2 * TILE * sizeof(float)); }
static packed_tile packed_tile_in(uint8_t *scratch, int64_t blocks) {
    const size_t codes = (size_t)blocks * HALVES * GROUPS * 64, scales = (size_t)blocks * HALVES * TILE * sizeof(float);
    return (packed_tile){ (__m512i *)(void *)scratch, (float *)(void *)(scratch + codes), (float *)(void *)(scratch + codes + scales) };
}

// Sixteen dwords, one per row, at byte offset `at` of each row's block (index: the rows' byte offsets).
TILE_FN __m512i rows_dword(__m512i index, const uint8_t *at) { return _mm512_i32gather_epi32(index, (const void *)at, 1); }

// The low 16 bits of each lane as fp16 → float32.
TILE_FN __m512 fp16_lanes(__m512i v) { return _mm512_cvtph_ps(_mm512_cvtepi32_epi16(v)); }

// Codes are stored unsigned: Q4_0's q (value d (q - 8)), Q4_1's q (d q + m), Q8_0's q + 128 (d (q + 128 - 128)).
// A block's sixteen bytes of nibbles hold elements j (low) and j + 16 (high): the dword at 4j gives groups j
// (low nibbles) and j + 4 (high nibbles), whose codes line up with the activations at 4j and 16 + 4j.
TILE_FN void repack_tile(const int type, const uint8_t *rows, const __m512i index[HALVES], int64_t b0, int64_t b1,
                         packed_tile t) {
    const __m512i nibble = _mm512_set1_epi8(0x0F);
    const size_t block_bytes = (size_t)lk_type_block_bytes(type);
    for (int64_t b = b0; b < b1; b++) {
        const uint8_t *at = rows + (size_t)b * block_bytes;
        for (int h = 0; h < HALVES; h++) {
            __m512i *codes = t.codes + (HALVES * b + h) * GROUPS;
            const __m512i head = rows_dword(index[h], at);
            _mm512_store_ps(t.scales + (HALVES * b + h) * TILE, fp16_lanes(head));
            if (type == LK_TYPE_Q8_0) {
                for (int g = 0; g < GROUPS; g++)
                    codes[g] = _mm512_xor_si512(rows_dword(index[h], at + 2 + 4 * g), _mm512_set1_epi8((char)0x80));
            } else {
                if (type == LK_TYPE_Q4_1)
                    _mm512_store_ps(t.mins + (HALVES * b + h) * TILE, fp16_lanes(_mm512_srli_epi32(head, 16)));
                const uint8_t *qs = at + (type == LK_TYPE_Q4_1 ? 4 : 2);
                for (int j = 0; j < 4; j++) {
                    const __m512i v = rows_dword(index[h], qs + 4 * j);
                    codes[j] = _mm512_and_si512(v, nibble);
                    codes[j + 4] = _mm512_and_si512(_mm512_srli_epi16(v, 4), nibble);
                }
            }
        }
    }
}

// Q4_K: super-blocks of 256 elements, eight sub-blocks of 32 with 6-bit scales sc_j and minimums m_j; value
// = (d sc_j) q - dmin m_j, so each sub-block is a block of this kernel with scale d sc_j and minimum
// -dmin m_j (the Q4_1 form). The scales are unpacked sixteen rows at a time as gguf-py unpacks them (see
// lk_q4_K_scales). Bytes qs[32c ... 32c + 31] hold sub-block 2c in their low nibbles and 2c + 1 in their high
// ones.
TILE_FN void repack_q4_K(const uint8_t *rows, const __m512i index[HALVES], int64_t b0, int64_t b1, packed_tile t) {
    const size_t super_block_bytes = (size_t)lk_type_block_bytes(LK_TYPE_Q4_K);
    const __m512i nibble = _mm512_set1_epi8(0x0F), low6 = _mm512_set1_epi8(0x3F), top2 = _mm512_set1_epi8(0x30);
    for (int64_t sb = b0 / 8; sb < b1 / 8; sb++) {
        const uint8_t *at = rows + (size_t)sb * super_block_bytes;
        for (int h = 0; h < HALVES; h++) {
            const __m512i head = rows_dword(index[h], at);
            const __m512 d = fp16_lanes(head), dmin = fp16_lanes(_mm512_srli_epi32(head, 16));
            // Per lane, the same four bytes-at-once expressions as lk_q4_K_scales: sub-blocks 0-3 and 4-7.
            const __m512i a = rows_dword(index[h], at + 4), b = rows_dword(index[h], at + 8), c = rows_dword(index[h], at + 12);
            const __m512i sc[2] = { _mm512_and_si512(a, low6),
                                    _mm512_or_si512(_mm512_and_si512(c, nibble), _mm512_and_si512(_mm512_srli_epi32(a, 2), top2)) };
            const __m512i mn[2] = { _mm512_and_si512(b, low6),
                                    _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(c, 4), nibble),
                                                    _mm512_and_si512(_mm512_srli_epi32(b, 2), top2)) };
            for (int j = 0; j < 8; j++) {
                const int shift = 8 * (j % 4);
                const __m512 scale = _mm512_cvtepi32_ps(_mm512_and_si512(_mm512_srli_epi32(sc[j / 4], shift), _mm512_set1_epi32(0xFF)));
                const __m512 minimum = _mm512_cvtepi32_ps(_mm512_and_si512(_mm512_srli_epi32(mn[j / 4], shift), _mm512_set1_epi32(0xFF)));
                const int64_t block = 8 * sb + j;
                _mm512_store_ps(t.scales + (HALVES * block + h) * TILE, _mm512_mul_ps(d, scale));
                _mm512_store_ps(t.mins + (HALVES * block + h) * TILE, _mm512_sub_ps(_mm512_setzero_ps(), _mm512_mul_ps(dmin, minimum)));
            }
            const uint8_t *qs = at + 16;
            for (int pair = 0; pair < 4; pair++) {
                for (int g = 0; g < GROUPS; g++) {
                    const __m512i v = rows_dword(index[h], qs + 32 * pair + 4 * g);
                    t.codes[(HALVES * (8 * sb + 2 * pair) + h) * GROUPS + g] = _mm512_and_si512(v, nibble);
                    t.codes[(HALVES * (8 * sb + 2 * pair + 1) + h) * GROUPS + g] = _mm512_and_si512(_mm512_srli_epi16(v, 4), nibble);
                }
            }
        }
    }
}

// Q6_K: super-blocks of 256 elements, sixteen groups of 16 with int8 scales sc_e; value = (d sc_e)(q - 32),
// q six bits: four in ql, two in qh (the layout lk_q6_K_codes reads). Each 32-element block B of a
// super-block is a block of this kernel with two scales, d sc_2B for its first 16 elements (in `scales`) and
// d sc_2B+1 for the rest (in `mins`), rounded as lk_q6_K_factors rounds them. Codes go in unsigned (0-63);
// the -32 is taken back in the sums' starting values (token_group.c). In half n (128 elements) of a
// super-block, block 4n + j's code group g is bytes ql[64n + 4g ...] (j = 0, 2) or ql[64n + 32 + 4g ...]
// (j = 1, 3), low nibbles for j < 2 and high ones above, with bits 2j, 2j + 1 of qh[32n + 4g ...] on top.
TILE_FN void repack_q6_K(const uint8_t *rows, const __m512i index[HALVES], int64_t b0, int64_t b1, packed_tile t) {
    const size_t super_block_bytes = (size_t)lk_type_block_bytes(LK_TYPE_Q6_K);
    const __m512i nibble = _mm512_set1_epi8(0x0F), top = _mm512_set1_epi8(0x30);
    for (int64_t sb = b0 / 8; sb < b1 / 8; sb++) {
        const uint8_t *at = rows + (size_t)sb * super_block_bytes;
        for (int h = 0; h < HALVES; h++) {
            // d is the super-block's last two bytes: read as the top of the dword at 206, not past the block.
            const __m512 d = fp16_lanes(_mm512_srli_epi32(rows_dword(index[h], at + 206), 16));
            for (int q4 = 0; q4 < 4; q4++) {
                const __m512i sc = rows_dword(index[h], at + 192 + 4 * q4);  // scales 4 q4 ... 4 q4 + 3
                for (int e = 0; e < 4; e++) {
                    const int group = 4 * q4 + e, block = (int)(8 * sb) + group / 2;
                    const __m512 scale = _mm512_cvtepi32_ps(_mm512_srai_epi32(_mm512_slli_epi32(sc, 24 - 8 * e), 24));
                    _mm512_store_ps((group % 2 ? t.mins : t.scales) + (HALVES * block + h) * TILE, _mm512_mul_ps(d, scale));
                }
            }
            for (int n = 0; n < 2; n++) {
                for (int g = 0; g < GROUPS; g++) {
                    const __m512i a = rows_dword(index[h], at + 64 * n + 4 * g);
                    const __m512i b = rows_dword(index[h], at + 64 * n + 32 + 4 * g);
                    const __m512i qh = rows_dword(index[h], at + 128 + 32 * n + 4 * g);
                    // Per dword the shifts move bits across byte borders too; the masks keep each byte's own.
                    const __m512i high[4] = { _mm512_and_si512(_mm512_slli_epi32(qh, 4), top), _mm512_and_si512(_mm512_slli_epi32(qh, 2), top),
                                              _mm512_and_si512(qh, top), _mm512_and_si512(_mm512_srli_epi32(qh, 2), top) };
                    const __m512i low[4] = { a, b, _mm512_srli_epi32(a, 4), _mm512_srli_epi32(b, 4) };
                    for (int j = 0; j < 4; j++)
                        t.codes[(HALVES * (8 * sb + 4 * n + j) + h) * GROUPS + g] = _mm512_ternarylogic_epi32(low[j], high[j], nibble, 0xEC);
                }
            }
        }
    }
}

static inline int32_t i32_at(const int8_t *p) { int32_t v; memcpy(&v, p, 4); return v; }

// The activations of T tokens (4, or 2, 1 for the last of a batch), interleaved so that one pointer
// reaches every token's operands: per block b and code group g, the T tokens' four codes side by side
// (q[(8b + g) T + i]); per block their d_x (d[b T + i]) and their offset term (o[b T + i]: the quantizer's
// s = d_x Σ q_x times -8 for Q4_0, -128 for Q8_0, 1 for Q4_1 and Q4_K, whose minimums multiply it); and for
// Q6_K per block half (16 elements) -32 Σ q_x, where its integer sums start (c[(2b + half) T + i]).
typedef struct { int32_t *q; float *d, *o; int32_t *c; int64_t first; int T; } token_group;

// y[t][rows of mask] for a group's T tokens against 32 packed rows, blocks [b0, b1) (the sums so far are in
// y unless b0 is 0): per block and token, d_w ⊙ (d_x Σ q_w q_x + o) (Q4_0, Q8_0), d_w ⊙ d_x Σ q_w q_x + m_w o
// (Q4_1, Q4_K), or per half of the block d_w,half ⊙ d_x (c + Σ q_w q_x) (Q6_K).
TILE_FN void tile_tokens(const int type, packed_tile t, int64_t b0, int64_t b1, const token_group *x, const int T,
                         float *y, int64_t ldy, const __mmask16 mask[HALVES]) {
    __m512 acc[HALVES][TOKENS];
    for (int h = 0; h < HALVES; h++)
        for (int i = 0; i < T; i++)
            acc[h][i] = b0 ? _mm512_maskz_loadu_ps(mask[h], y + i * ldy + TILE * h) : _mm512_setzero_ps();
    // Q6_K's blocks have a scale per half, so their sums are taken per half (parts of four code groups).
    const int parts = type == LK_TYPE_Q6_K ? 2 : 1, per_part = GROUPS / parts;
    for (int64_t b = b0; b < b1; b++) for (int part = 0; part < parts; part++) {
        // Tokens innermost: each sum is a chain of eight (Q6_K: four) vpdpbusd, and 2T chains side by side
        // keep both units busy (one chain alone waits out each instruction's latency).
        __m512i sum[HALVES][TOKENS];
        for (int h = 0; h < HALVES; h++)
            for (int i = 0; i < T; i++)
                sum[h][i] = type == LK_TYPE_Q6_K ? _mm512_set1_epi32(x->c[(2 * b + part) * T + i]) : _mm512_setzero_si512();
        const int32_t *q = x->q + GROUPS * T * b;
        const __m512i *codes = t.codes + HALVES * GROUPS * b;
        for (int g = per_part * part; g < per_part * (part + 1); g++) {
            const __m512i low = _mm512_load_si512((const void *)(codes + g));
            const __m512i high = _mm512_load_si512((const void *)(codes + GROUPS + g));
            for (int i = 0; i < T; i++) {
                const __m512i xq = _mm512_set1_epi32(q[T * g + i]);
                sum[0][i] = _mm512_dpbusd_epi32(sum[0][i], low, xq);
                sum[1][i] = _mm512_dpbusd_epi32(sum[1][i], high, xq);
            }
        }
        const float *d = x->d + T * b, *o = x->o + T * b;
        for (int h = 0; h < HALVES; h++) {
            const __m512 dw = _mm512_load_ps((part ? t.mins : t.scales) + (HALVES * b + h) * TILE);
            for (int i = 0; i < T; i++) {
                const __m512 dot = _mm512_cvtepi32_ps(sum[h][i]);
                if (type == LK_TYPE_Q6_K) {
                    acc[h][i] = _mm512_fmadd_ps(_mm512_mul_ps(dot, _mm512_set1_ps(d[i])), dw, acc[h][i]);
                } else if (type == LK_TYPE_Q4_1 || type == LK_TYPE_Q4_K) {
                    acc[h][i] = _mm512_fmadd_ps(_mm512_mul_ps(dot, _mm512_set1_ps(d[i])), dw, acc[h][i]);
                    acc[h][i] = _mm512_fmadd_ps(_mm512_load_ps(t.mins + (HALVES * b + h) * TILE), _mm512_set1_ps(o[i]), acc[h][i]);
                } else {
                    acc[h][i] = _mm512_fmadd_ps(_mm512_fmadd_ps(dot, _mm512_set1_ps(d[i]), _mm512_set1_ps(o[i])), dw, acc[h][i]);
                }
            }
        }
    }
    for (int h = 0; h < HALVES; h++)
        for (int i = 0; i < T; i++) _mm512_mask_storeu_ps(y + i * ldy + TILE * h, mask[h], acc[h][i]);
}

typedef struct {
    int isa, type; const uint8_t *w; size_t row_bytes; int64_t n_out;
    const float *x; int64_t m, k; float *y; int64_t ldy;
    token_group *groups; int64_t group_count;
    uint8_t *quantizer_scratch; size_t quantizer_bytes;
    uint8_t *tile_scratch; size_t tile_bytes;
} q8_matmul_ctx;

// Rounds each group's tokens (lk_quantize_activations, as the decode kernels do) and interleaves them.
static void quantize_task(void *arg, int ith, int nth) {
    const q8_matmul_ctx *c = arg;
    const float factor = c->type == LK_TYPE_Q4_0 ? LK_Q4_0_OFFSET : c->type == LK_TYPE_Q8_0 ? LK_Q8_0_OFFSET : 1.0f;
    const int64_t blocks = c->k / 32;
    int64_t g0, g1;
    lk_split_range(c->group_count, 1, ith, nth, &g0, &g1);
    void *scratch = c->quantizer_scratch + (size_t)ith * c->quantizer_bytes;
    for (int64_t gi = g0; gi < g1; gi++) {
        const token_group *x = c->groups + gi;
        for (int i = 0; i < x->T; i++) {
            lk_q8_activations a;
            lk_quantize_activations(c->isa, c->x + (x->first + i) * c->k, c->k, scratch, &a);
            for (int64_t b = 0; b < blocks; b++) {
                for (int g = 0; g < GROUPS; g++) x->q[(GROUPS * b + g) * x->T + i] = i32_at(a.q + 32 * b + 4 * g);
                x->d[b * x->T + i] = a.d[b];
                x->o[b * x->T + i] = factor * a.s[b];
                for (int half = 0; half < 2; half++) {
                    int32_t s = 0;
                    for (int j = 0; j < 16; j++) s += a.q[32 * b + 16 * half + j];
                    x->c[(2 * b + half) * x->T + i] = -32 * s;
                }
            }
        }
    }
}

// 32 rows of `type`, a chunk of blocks at a time: repack the chunk, then run every group of tokens against it
// while its codes are in L1 (a whole 32-row pass over 4096 columns, 128 KiB, is not).
TILE_FN void rows_of_type(const int type, const q8_matmul_ctx *c, packed_tile t, const uint8_t *rows,
                          const __m512i index[HALVES], int64_t n0, const __mmask16 mask[HALVES]) {
    const int64_t blocks = c->k / 32;
    for (int64_t b0 = 0; b0 < blocks; b0 += CHUNK_BLOCKS) {
        const int64_t b1 = b0 + CHUNK_BLOCKS < blocks ? b0 + CHUNK_BLOCKS : blocks;
        if (type == LK_TYPE_Q4_K) repack_q4_K(rows, index, b0, b1, t);
        else if (type == LK_TYPE_Q6_K) repack_q6_K(rows, index, b0, b1, t);
        else repack_tile(type, rows, index, b0, b1, t);
        for (int64_t gi = 0; gi < c->group_count; gi++) {
            const token_group *x = c->groups + gi;
            float *y = c->y + x->first * c->ldy + n0;
            switch (x->T) {
            case 4: tile_tokens(type, t, b0, b1, x, 4, y, c->ldy, mask); break;
            case 2: tile_tokens(type, t, b0, b1, x, 2, y, c->ldy, mask); break;
            default: tile_tokens(type, t, b0, b1, x, 1, y, c->ldy, mask); break;
            }
        }
    }
}

static VNNI void matmul_task(void *arg, int ith, int nth) {
    const q8_matmul_ctx *c = arg;
    const int64_t passes = (c->n_out + ROWS - 1) / ROWS, blocks = c->k / 32;
    int64_t p0, p1;
    lk_split_range(passes, 1, ith, nth, &p0, &p1);
    const packed_tile t = packed_tile_in(c->tile_scratch + (size_t)ith * c->tile_bytes, blocks);
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (int64_t pass = p0; pass < p1; pass++) {
        const int64_t n0 = pass * ROWS, valid = c->n_out - n0 < ROWS ? c->n_out - n0 : ROWS;
        __m512i index[HALVES];
        __mmask16 mask[HALVES];
        for (int h = 0; h < HALVES; h++) {
            // Lanes past the last row read the last row again (their results are not stored).
            const __m512i row = _mm512_min_epi32(_mm512_add_epi32(lanes, _mm512_set1_epi32(TILE * h)), _mm512_set1_epi32((int)valid - 1));
            index[h] = _mm512_mullo_epi32(row, _mm512_set1_epi32((int)c->row_bytes));
            const int64_t in_half = valid - TILE * h < 0 ? 0 : valid - TILE * h > TILE ? TILE : valid - TILE * h;
            mask[h] = (__mmask16)((1u << in_half) - 1);
        }
        const uint8_t *rows = c->w + (size_t)n0 * c->row_bytes;
        switch (c->type) {
        case LK_TYPE_Q4_0: rows_of_type(LK_TYPE_Q4_0, c, t, rows, index, n0, mask); break;
        case LK_TYPE_Q4_1: rows_of_type(LK_TYPE_Q4_1, c, t, rows, index, n0, mask); break;
        case LK_TYPE_Q8_0: rows_of_type(LK_TYPE_Q8_0, c, t, rows, index, n0, mask); break;
        case LK_TYPE_Q4_K: rows_of_type(LK_TYPE_Q4_K, c, t, rows, index, n0, mask); break;
        case LK_TYPE_Q6_K: rows_of_type(LK_TYPE_Q6_K, c, t, rows, index, n0, mask); break;
        default: return;
        }
    }
}

int lk_matmul_q8(lk_pool *pool, int isa, int type, const void *w, size_t row_bytes, int64_t n_out,
                 const float *x, int64_t m, int64_t k, float *y, int64_t ldy) {
    isa = isa < lk_cpu_isa() ? isa : lk_cpu_isa();
    if (isa < LK_ISA_AVX512_VNNI ||
        (type != LK_TYPE_Q4_0 && type != LK_TYPE_Q4_1 && type != LK_TYPE_Q8_0 && type != LK_TYPE_Q4_K && type != LK_TYPE_Q6_K))
        return 0;
    // Gather offsets are 32-bit: 31 rows past a pass's first must fit.
    const int block = lk_type_block_size(type);
    if (m <= 0 || n_out <= 0 || k <= 0 || k % block || row_bytes != (size_t)(k / block * lk_type_block_bytes(type)) ||
        row_bytes > (1u << 26)) return 0;
    const int nth = lk_pool_threads(pool);
    const int64_t blocks = k / 32;
    q8_matmul_ctx c = { isa, type, w, row_bytes, n_out, x, m, k, y, ldy, NULL, 0, NULL,
                        (lk_q8_scratch_bytes(k) + 63) / 64 * 64, NULL, packed_tile_bytes(blocks) };
    // Groups of four tokens, then 2 and 1 for the rest; each group's codes, d, o and c side by side.
    token_group groups_on_stack[64];
    const int64_t group_count = m / TOKENS + 2;
    c.groups = group_count <= 64 ? groups_on_stack : malloc((size_t)group_count * sizeof(token_group));
    int32_t *activations = malloc((size_t)m * (size_t)blocks * (GROUPS + 4) * sizeof(int32_t));
    c.quantizer_scratch = malloc((size_t)nth * c.quantizer_bytes);
    c.tile_scratch = aligned_alloc(64, (size_t)nth * c.tile_bytes);
    int done = 0;
    if (c.groups && activations && c.quantizer_scratch && c.tile_scratch) {
        int32_t *next = activations;
        for (int64_t first = 0; first < m;) {
            const int T = m - first >= TOKENS ? TOKENS : m - first >= 2 ? 2 : 1;
            token_group *g = c.groups + c.group_count++;
            g->q = next;
            g->d = (float *)(void *)(next + (size_t)blocks * GROUPS * T);
            g->o = g->d + (size_t)blocks * T;
            g->c = (int32_t *)(void *)(g->o + (size_t)blocks * T);
            g->first = first;
            g->T = T;
            next += (size_t)blocks * (GROUPS + 4) * T;
            first += T;
        }
        lk_pool_run(pool, quantize_task, &c);
        lk_pool_run(pool, matmul_task, &c);
        done = 1;
    }
    if (c.groups != groups_on_stack) free(c.groups);
    free(activations);
    free(c.quantizer_scratch);
    free(c.tile_scratch);
    return done;
}

#else

LK_NO_BATCH_KERNEL(lk_matmul_q8)

#endif
