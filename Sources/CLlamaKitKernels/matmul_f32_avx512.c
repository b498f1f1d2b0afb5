// Prompt batches on the exact path with AVX-512: y = x · Wᵀ in float32 on the stored weights, in tiles of our
// own instead of a BLAS sgemm.
//
// Why not sgemm: handed a float32 tile of weights, OpenBLAS packs it again, and packs the activations again for
// every tile (on 8B shapes its two copy routines took 29 % of an exact 64-token prefill, its multiply kernel only
// 45 %). Here the activations are packed once per matmul, and the weights are expanded (exactly as
// lk_dequantize_row expands them) straight into the buffer the multiply reads.
//
// The multiply: a register tile of six weight rows × 64 tokens (24 accumulators). Per element k, four
// vectors of the packed activations (x[t][k] for 64 tokens t) and six broadcast weights make 24 FMAs, so the
// loads (10 per 24 FMAs) leave the two FMA ports the limit. The sums of a block of MC weight rows × all tokens
// live in a per-thread buffer (L2) while the k-chunks go by, and are written to y, transposed, at the end.
#include "llamakit_kernels.h"
#include "kernels_internal.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma,f16c")))

enum {
    RB = 6,          // weight rows per register tile
    TV = 4,          // token vectors (of 16) per register tile
    TOKENS = 16 * TV,
    KC = 256,        // elements per k-chunk (a multiple of every block size)
    MC = 96,         // weight rows per block: their expanded chunk (96 KiB) and sums stay in L2
};

typedef struct {
    int type; const uint8_t *w; size_t row_bytes; int64_t n_out;
    const float *x; int64_t m, k; float *y; int64_t ldy;
    int64_t tiles;              // token tiles of 64 (the last one padded with zero tokens)
    float *packed;              // per tile: k × 64 floats, token-minor
    uint8_t *scratch; size_t scratch_bytes;
    _Alignas(64) atomic_llong next_block;
} tiled_ctx;

// --- The multiply -----------------------------------------------------------------------------------------

// Packs the activations: packed[t][j][i] = x[64t + i][j], zero past the last token. The work is split into
// (tile, 64 columns) pieces, so every thread packs even when there is one tile, and each piece's destination
// (16 KiB) stays in L1 while 64 token rows write into it (one whole token row at a time wrote 3.7 MB of
// packed 14336-column activations 64 times over, through L3).
enum { PACK_COLUMNS = 64 };
static void pack_task(void *arg, int ith, int nth) {
    tiled_ctx *c = arg;
    const int64_t pieces_per_tile = (c->k + PACK_COLUMNS - 1) / PACK_COLUMNS;
    int64_t u0, u1;
    lk_split_range(c->tiles * pieces_per_tile, 1, ith, nth, &u0, &u1);
    for (int64_t u = u0; u < u1; u++) {
        const int64_t t = u / pieces_per_tile, j0 = u % pieces_per_tile * PACK_COLUMNS;
        const int64_t j1 = j0 + PACK_COLUMNS < c->k ? j0 + PACK_COLUMNS : c->k;
        float *p = c->packed + (size_t)t * (size_t)c->k * TOKENS;
        const int64_t first = t * TOKENS, count = c->m - first < TOKENS ? c->m - first : TOKENS;
        for (int64_t i = 0; i < count; i++) {
            const float *row = c->x + (first + i) * c->k;
            for (int64_t j = j0; j < j1; j++) p[j * TOKENS + i] = row[j];
        }
        for (int64_t j = j0; j < j1; j++)
            for (int64_t i = count; i < TOKENS; i++) p[j * TOKENS + i] = 0.0f;
    }
}

// sums[r][0..64) += Σ_j w[r][j] · packed[j][0..64) for six rows r over kc elements; w rows KC apart, sums
// rows `lds` apart. V vectors of tokens (the last tile may need fewer).
static inline __attribute__((always_inline)) AVX512 void tile(const float *w, const float *packed, int64_t kc,
                                                              float *sums, int64_t lds, const int V) {
    // Each chunk sums from zero and is then added to the running sums: one chain through all of k would
    // gather rounding error in proportion to k (SmolLM2's logits moved from 6.9e-5 to 1.5e-4 of transformers).
    __m512 acc[RB][TV];
    for (int r = 0; r < RB; r++)
        for (int v = 0; v < V; v++) acc[r][v] = _mm512_setzero_ps();
    // Unrolled four times: 6-8 % faster on 64 tokens (interleaved runs, 4096 × 4096 Q4_0).
#pragma clang loop unroll_count(4)
    for (int64_t j = 0; j < kc; j++) {
        __m512 xv[TV];
        for (int v = 0; v < V; v++) xv[v] = _mm512_load_ps(packed + j * TOKENS + 16 * v);
        for (int r = 0; r < RB; r++) {
            const __m512 wv = _mm512_set1_ps(w[r * KC + j]);
            for (int v = 0; v < V; v++) acc[r][v] = _mm512_fmadd_ps(wv, xv[v], acc[r][v]);
        }
    }
    for (int r = 0; r < RB; r++)
        for (int v = 0; v < V; v++)
            _mm512_storeu_ps(sums + r * lds + 16 * v, _mm512_add_ps(_mm512_loadu_ps(sums + r * lds + 16 * v), acc[r][v]));
}

static AVX512 void tile_v(const float *w, const float *packed, int64_t kc, float *sums, int64_t lds, int v) {
    switch (v) {
    case 4: tile(w, packed, kc, sums, lds, 4); break;
    case 3: tile(w, packed, kc, sums, lds, 3); break;
    case 2: tile(w, packed, kc, sums, lds, 2); break;
    default: tile(w, packed, kc, sums, lds, 1); break;
    }
}

// Blocks of MC weight rows are claimed from a shared counter, so a thread that finishes early takes more.
static AVX512 void multiply_task(void *arg, int ith, int nth) {
    (void)nth;
    tiled_ctx *c = arg;
    float *expanded = (float *)(void *)(c->scratch + (size_t)ith * c->scratch_bytes);  // MC × KC
    float *sums = expanded + MC * KC;                                                   // MC × tiles · 64
    const int64_t lds = c->tiles * TOKENS, blocks = (c->n_out + MC - 1) / MC;
    const int bs = lk_type_block_size(c->type), bb = lk_type_block_bytes(c->type);
    for (;;) {
        const int64_t block = atomic_fetch_add_explicit(&c->next_block, 1, memory_order_relaxed);
        if (block >= blocks) return;
        const int64_t r0 = block * MC, rows = c->n_out - r0 < MC ? c->n_out - r0 : MC;
        const int64_t groups = (rows + RB - 1) / RB;
        memset(sums, 0, (size_t)(groups * RB) * (size_t)lds * sizeof(float));
        // Rows past the last are zero, so the last group computes zeros there (and they are not stored).
        if (rows < groups * RB) memset(expanded + rows * KC, 0, (size_t)(groups * RB - rows) * KC * sizeof(float));
        for (int64_t j0 = 0; j0 < c->k; j0 += KC) {
            const int64_t kc = c->k - j0 < KC ? c->k - j0 : KC;
            for (int64_t r = 0; r < rows; r++)
                lk_expand_avx512(c->type, c->w + (size_t)(r0 + r) * c->row_bytes + (size_t)(j0 / bs) * (size_t)bb, expanded + r * KC, kc);
            for (int64_t t = 0; t < c->tiles; t++) {
                const int64_t left = c->m - t * TOKENS, v = left >= TOKENS ? TV : (left + 15) / 16;
                const float *p = c->packed + ((size_t)t * (size_t)c->k + (size_t)j0) * TOKENS;
                for (int64_t g = 0; g < groups; g++) {
                    // While the first tile runs, the next chunk's weights come in, a group's rows at a time:
                    // each row is a stream of its own, which the hardware prefetchers do not follow far.
                    if (t == 0 && j0 + KC < c->k) {
                        const size_t from = (size_t)((j0 + KC) / bs) * (size_t)bb, bytes = (size_t)(KC / bs) * (size_t)bb;
                        for (int64_t r = g * RB; r < g * RB + RB && r < rows; r++)
                            for (size_t o = 0; o < bytes; o += 64)
                                _mm_prefetch((const char *)(c->w + (size_t)(r0 + r) * c->row_bytes + from + o), _MM_HINT_T1);
                    }
                    tile_v(expanded + g * RB * KC, p, kc, sums + g * RB * lds + t * TOKENS, lds, (int)v);
                }
            }
        }
        for (int64_t i = 0; i < c->m; i++)
            for (int64_t r = 0; r < rows; r++) c->y[i * c->ldy + r0 + r] = sums[r * lds + i];
    }
}

int lk_matmul_tiled(lk_pool *pool, int isa, int type, const void *w, size_t row_bytes, int64_t n_out,
                    const float *x, int64_t m, int64_t k, float *y, int64_t ldy) {
    isa = isa < lk_cpu_isa() ? isa : lk_cpu_isa();
    const int bs = lk_type_block_size(type);
    if (isa < LK_ISA_AVX512 || bs <= 0 || m <= 0 || n_out <= 0 || k <= 0 || k % bs ||
        row_bytes != (size_t)(k / bs) * (size_t)lk_type_block_bytes(type)) return 0;
    const int nth = lk_pool_threads(pool);
    tiled_ctx c;
    memset(&c, 0, sizeof c);
    c.type = type; c.w = w; c.row_bytes = row_bytes; c.n_out = n_out;
    c.x = x; c.m = m; c.k = k; c.y = y; c.ldy = ldy;
    c.tiles = (m + TOKENS - 1) / TOKENS;
    atomic_init(&c.next_block, 0);
    c.scratch_bytes = ((size_t)MC * KC + (size_t)MC * (size_t)c.tiles * TOKENS) * sizeof(float);
    c.scratch_bytes = (c.scratch_bytes + 63) / 64 * 64;
    c.packed = aligned_alloc(64, (size_t)c.tiles * (size_t)k * TOKENS * sizeof(float));
    c.scratch = aligned_alloc(64, (size_t)nth * c.scratch_bytes);
    int done = 0;
    if (c.packed && c.scratch) {
        lk_pool_run(pool, pack_task, &c);
        lk_pool_run(pool, multiply_task, &c);
        done = 1;
    }
    free(c.packed);
    free(c.scratch);
    return done;
}

#else

LK_NO_BATCH_KERNEL(lk_matmul_tiled)

#endif
