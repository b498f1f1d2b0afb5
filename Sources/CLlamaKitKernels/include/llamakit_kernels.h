// CPU kernels for LlamaKit's CPU backend.
//
// Every kernel computes in float32 on the stored weights (the exact path): quantized blocks are expanded
// to float32 values exactly as ggml/gguf-py define them and multiplied with float32 activations.
// Parallel kernels take a thread pool and split their work across its threads themselves.
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// ggml type numbers (must match LlamaKit.TensorType).
enum {
    LK_TYPE_F32 = 0, LK_TYPE_F16 = 1, LK_TYPE_Q4_0 = 2, LK_TYPE_Q4_1 = 3,
    LK_TYPE_Q8_0 = 8, LK_TYPE_Q4_K = 12, LK_TYPE_Q6_K = 14, LK_TYPE_BF16 = 30,
};

/// Instruction-set levels of the x86-64 kernels (each includes the ones below it). Every op takes the level
/// to use; levels above what the CPU offers are lowered to it, so callers may ask for any.
enum {
    LK_ISA_PORTABLE = 0,     // plain C (any CPU, arm64 included)
    LK_ISA_AVX2 = 1,         // AVX2 + FMA + F16C
    LK_ISA_AVX512 = 2,       // AVX-512 F/BW/VL/DQ
    LK_ISA_AVX512_VNNI = 3,  // plus VNNI (8-bit dot products) and GFNI: Ice Lake, Sapphire Rapids, Zen 4 and later
};
/// The best level the running CPU offers.
int lk_cpu_isa(void);
/// A short name for a level ("portable", "avx2", "avx512", "avx512-vnni").
const char *lk_isa_name(int isa);

/// A persistent pool of worker threads that stay hot between ops (spin briefly, then sleep).
typedef struct lk_pool lk_pool;
lk_pool *lk_pool_create(int n_threads);
void lk_pool_destroy(lk_pool *pool);
int lk_pool_threads(const lk_pool *pool);
/// Runs fn(ctx, ith, nth) on every thread of the pool (the caller is thread 0) and waits for all.
typedef void (*lk_task_fn)(void *ctx, int ith, int nth);
void lk_pool_run(lk_pool *pool, lk_task_fn fn, void *ctx);

/// Returns 1 if the type is supported by these kernels.
int lk_type_supported(int type);
/// Elements per block and bytes per block for a supported type.
int lk_type_block_size(int type);
int lk_type_block_bytes(int type);

/// Converts one row of `k` elements of `type` to float32.
void lk_dequantize_row(int type, const void *src, float *dst, int64_t k);

/// One weight matrix of a decode job and where its output goes.
typedef struct {
    int type;            // ggml type number
    const void *w;       // `rows` rows of `row_bytes` bytes
    size_t row_bytes;
    int64_t rows;
    float *y;            // `rows` floats
} lk_projection;

/// Decode: y_i = W_i · x for `count` (1 to 4) projections of the same x (k floats), as one job on the pool
/// with rows handed out in chunks. `gated` (count == 2, equal rows): p[0].y = silu(W_0 · x) * (W_1 · x), with
/// p[1].y as scratch. `int8_activations`: round x to 8-bit blocks for the types that have such kernels
/// (Q4_0, Q4_1, Q8_0; Q4_K with AVX-512 VNNI; approximate, see Docs/Accuracy.md); other types stay exact.
/// Returns 0 (nothing written) for a bad count or shape, or if scratch could not be allocated; else 1.
int lk_matvec(lk_pool *pool, int isa, const lk_projection *p, int count, const float *x, int64_t k, int gated,
              int int8_activations);

/// A row-major single-threaded sgemm: c[m x n] = a[m x k] · b[n x k]ᵀ (as cblas_sgemm with NoTrans, Trans,
/// alpha 1, beta 0). The CPU backend passes OpenBLAS's; the kernels themselves link no BLAS.
typedef void (*lk_sgemm_fn)(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc);

/// Prompt batches: y = x · Wᵀ with each pool thread expanding tiles of its own weight rows and calling
/// `sgemm` on them (the BLAS must run single-threaded: the pool supplies the parallelism). Returns 0 if
/// scratch could not be allocated or a size exceeds what sgemm takes (nothing is written), else 1.
int lk_matmul_blas(lk_pool *pool, lk_sgemm_fn sgemm, int type, const void *w, size_t row_bytes, int64_t n_out,
                   const float *x, int64_t m, int64_t k, float *y, int64_t ldy);

/// Prompt batches on the exact path with AVX-512 (`isa` and the running CPU both at LK_ISA_AVX512 or above):
/// y = x · Wᵀ in float32, the weights expanded as lk_dequantize_row expands them, in tiles of six weight rows by
/// 64 tokens. Returns 1 when done; 0 (nothing written) below AVX-512, for a shape that does not fit the type, or
/// when scratch could not be allocated: the caller then takes another exact path.
int lk_matmul_tiled(lk_pool *pool, int isa, int type, const void *w, size_t row_bytes, int64_t n_out,
                    const float *x, int64_t m, int64_t k, float *y, int64_t ldy);

/// Small batches on the exact path (a decode step of several sequences, a short prompt): y = x · Wᵀ in float32
/// for m activation rows (x: m rows of k floats; row i's outputs at y + i·ldy), reading every weight once for all
/// of them: each chunk of weight rows is expanded as lk_dequantize_row expands it and multiplied with every row
/// of x. Every level (AVX-512 register tiles; below it plain loops) and every supported type. Worth it from two
/// rows until the tiles (lk_matmul_tiled) win. Returns 1 when done; 0 (nothing written) for a shape that does not
/// fit the type or when scratch could not be allocated: the caller then takes another exact path.
int lk_matmul_rows(lk_pool *pool, int isa, int type, const void *w, size_t row_bytes, int64_t n_out,
                   const float *x, int64_t m, int64_t k, float *y, int64_t ldy);

/// Prompt batches on the approximate path: y = x · Wᵀ with x's rows rounded to 8-bit blocks as the int8
/// decode kernels round them (see Docs/Accuracy.md), for Q4_0, Q4_1, Q8_0 and Q4_K weights with AVX-512 VNNI
/// (`isa` and the running CPU both at LK_ISA_AVX512_VNNI or above). Returns 1 when done; 0 (nothing written)
/// when the type, level or shape has no such kernel or scratch could not be allocated: the caller then takes
/// an exact path.
int lk_matmul_q8(lk_pool *pool, int isa, int type, const void *w, size_t row_bytes, int64_t n_out,
                 const float *x, int64_t m, int64_t k, float *y, int64_t ldy);

/// out[i, :] = table[ids[i], :] as float32.
void lk_get_rows(int type, const void *table, size_t row_bytes, int64_t k,
                 const int32_t *ids, int64_t n, float *out);

/// RMSNorm over `rows` rows of `n` floats.
void lk_rms_norm(lk_pool *pool, const float *x, const float *weight, float eps, float *out, int64_t rows, int64_t n);

/// Rotary embedding in place. x has `rows` rows of heads*head_dim floats; row r has position positions[r].
/// interleaved != 0: pairs (2i, 2i+1); else pairs (i, i + head_dim/2).
void lk_rope(lk_pool *pool, float *x, int64_t rows, int64_t heads, int64_t head_dim, const int32_t *positions,
             const float *inv_freq, int interleaved);

/// Causal GQA attention through slot lists. q: rows x (heads*hd); k_cache, v_cache: cache rows of
/// kv_heads*hd floats; out: rows x (heads*hd). Query row r attends, in order, to the cache rows
/// slots[row_start[r] + j] for j in [0, row_len[r]) (its sequence's positions 0 .. its own), so rows of several
/// sequences whose positions sit in scattered cache blocks share one call. The caller has checked every index.
/// Returns 0 if scratch memory could not be allocated or heads / kv_heads is not a whole number of at most 64
/// (nothing is written), else 1.
int lk_attention(lk_pool *pool, int isa, const float *q, const float *k_cache, const float *v_cache, float *out,
                 int64_t rows, const int32_t *slots, const int32_t *row_start, const int32_t *row_len,
                 int64_t heads, int64_t kv_heads, int64_t hd, float scale);

/// out = silu(gate) * up over n floats.
void lk_swiglu(lk_pool *pool, const float *gate, const float *up, float *out, int64_t n);

/// acc += x over n floats.
void lk_add(float *acc, const float *x, int64_t n);

/// Whether the running CPU has AVX2, FMA and F16C (lk_cpu_isa() >= LK_ISA_AVX2).
int lk_cpu_has_avx2_fma(void);

#ifdef __cplusplus
}
#endif
