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

/// y[r, n] = sum_k x[r, k] * W[n, k] for n in [0, n_out), r in [0, m).
/// W has n_out rows of `row_bytes` bytes; x rows are `k` floats apart; y rows are `ldy` floats apart.
/// Decode (m == 1) reads quantized blocks directly; m > 1 expands each weight row once and reuses it.
void lk_matmul(lk_pool *pool, int type, const void *w, size_t row_bytes, int64_t n_out,
               const float *x, int64_t m, int64_t k, float *y, int64_t ldy);

/// Decode with 8-bit activations (approximate, opt-in): x is rounded to blocks of 32 int8 values with one
/// float scale each, then multiplied with the weights' integer codes. Returns 0 (and does nothing) when the
/// type or CPU is not supported, so the caller can use the exact path instead.
int lk_matvec_q8_supported(int type);
int lk_matvec_q8(lk_pool *pool, int type, const void *w, size_t row_bytes, int64_t n_out,
                 const float *x, int64_t k, float *y);

/// Converts rows [row0, row1) of W to float32 into dst (row-major, k floats per row), in parallel.
void lk_dequantize_rows(lk_pool *pool, int type, const void *w, size_t row_bytes,
                        int64_t row0, int64_t row1, int64_t k, float *dst);

/// out[i, :] = table[ids[i], :] as float32.
void lk_get_rows(int type, const void *table, size_t row_bytes, int64_t k,
                 const int32_t *ids, int64_t n, float *out);

/// RMSNorm over `rows` rows of `n` floats.
void lk_rms_norm(lk_pool *pool, const float *x, const float *weight, float eps, float *out, int64_t rows, int64_t n);

/// Rotary embedding in place. x has `rows` rows of heads*head_dim floats; row r has position pos0 + r.
/// interleaved != 0: pairs (2i, 2i+1); else pairs (i, i + head_dim/2).
void lk_rope(lk_pool *pool, float *x, int64_t rows, int64_t heads, int64_t head_dim, int64_t pos0,
             const float *inv_freq, int interleaved);

/// Causal GQA attention. q: rows x (heads*hd); k_cache, v_cache: ctx x (kv_heads*hd) (float32);
/// out: rows x (heads*hd). Row r attends to cache rows [0, pos0 + r].
void lk_attention(lk_pool *pool, const float *q, const float *k_cache, const float *v_cache, float *out,
                  int64_t rows, int64_t pos0, int64_t heads, int64_t kv_heads, int64_t hd, float scale);

/// out = silu(gate) * up over n floats.
void lk_swiglu(lk_pool *pool, const float *gate, const float *up, float *out, int64_t n);

/// acc += x over n floats.
void lk_add(float *acc, const float *x, int64_t n);

/// Whether the running CPU has AVX2 and FMA (the fast paths use them when present).
int lk_cpu_has_avx2_fma(void);

#ifdef __cplusplus
}
#endif
