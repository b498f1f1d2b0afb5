extension OpenCLKernels {
    /// Edge of the output tile of `matmul_*` (activation rows × weight rows), and its depth.
    static let tileRows = 64
    static let tileDepth = 32
    /// Work-group shape of `matmul_*`: 16 × 16 items, each computing a 4 × 4 block of the 64 × 64 tile.
    static let tileThreads = 16
    /// Activation rows per work item of `matmul_rows_*` (`ROW_BLOCK` in the source).
    static let rowBlock = 8

    /// `y[r, n] = Σ_k x[r, k] · W[n, k]` on stored weights, one pair of kernels per weight type.
    ///
    /// `matvec_T` (decode, few activation rows): a work-group of `lanes × slots` items takes `slots` weight
    /// rows; the `lanes` items of a slot stride over the row's 8-value granules, decoding each and
    /// multiplying with x, then sum their partials in local memory. Global size: (lanes, weight rows rounded
    /// up to `slots`, activation rows).
    ///
    /// `matmul_T` (prefill): a classic shared-memory tile. Per step of 32 along k, the group stages 64
    /// activation rows and 64 decoded weight rows in local memory (one granule per item), then each item
    /// accumulates its 4 × 4 outputs. Weight rows are decoded once per 64 activation rows.
    ///
    /// `matmul_rows_T` (prefill on CPU devices): one item per weight row and 8 activation rows, decoding
    /// each granule once and reusing it from registers.
    ///
    /// Sums accumulate in float32 with `mad` (fused where the hardware fuses): the exact path.
    static let matmul = #"""
    #define TILE 64
    #define TILE_K 32

    #define DEFINE_MATMUL(T)                                                                              \
    kernel void matvec_##T(global const uchar *w, ulong row_bytes, int n_out, int k,                     \
                           global const float *x, int ldx, global float *y, int ldy, local float *partial) { \
        const int lane = get_local_id(0), lanes = get_local_size(0);                                     \
        const int slot = get_local_id(1);                                                                \
        const int n = get_global_id(1);                                                                  \
        const int r = get_global_id(2);                                                                  \
        float8 acc = (float8)(0.0f);                                                                     \
        float s = 0.0f;                                                                                  \
        if (n < n_out) {                                                                                 \
            global const uchar *row = w + (size_t)n * row_bytes;                                         \
            global const float *xr = x + (size_t)r * ldx;                                                \
            const int full = k >> 3;                                                                     \
            for (int g = lane; g < full; g += lanes)                                                     \
                acc = mad(decode_##T(row, g << 3, k), vload8(g, xr), acc);                               \
            /* A float row's last partial granule: decoded values past k are 0, x is not read there. */  \
            if (lane == 0 && (k & 7) != 0) {                                                             \
                const float8 v = decode_##T(row, full << 3, k);                                          \
                const float *tail = (const float *)&v;                                                   \
                for (int i = 0; (full << 3) + i < k; i++) s = mad(tail[i], xr[(full << 3) + i], s);      \
            }                                                                                            \
            const float4 pair = acc.lo + acc.hi;                                                         \
            s += (pair.x + pair.y) + (pair.z + pair.w);                                                  \
        }                                                                                                \
        local float *p = partial + slot * lanes;                                                         \
        p[lane] = s;                                                                                     \
        barrier(CLK_LOCAL_MEM_FENCE);                                                                    \
        for (int stride = lanes >> 1; stride > 0; stride >>= 1) {                                        \
            if (lane < stride) p[lane] += p[lane + stride];                                              \
            barrier(CLK_LOCAL_MEM_FENCE);                                                                \
        }                                                                                                \
        if (lane == 0 && n < n_out) y[(size_t)r * ldy + n] = p[0];                                       \
    }                                                                                                    \
                                                                                                         \
    kernel __attribute__((reqd_work_group_size(16, 16, 1)))                                              \
    void matmul_##T(global const uchar *w, ulong row_bytes, int n_out, int k,                            \
                    global const float *x, int ldx, int m, global float *y, int ldy) {                  \
        local float xs[TILE][TILE_K + 1];                                                                \
        local float ws[TILE][TILE_K + 1];                                                                \
        const int tx = get_local_id(0), ty = get_local_id(1);                                            \
        const int t = ty * 16 + tx;                                                                      \
        const int n0 = get_group_id(0) * TILE, m0 = get_group_id(1) * TILE;                              \
        /* Staging: item t fills row t / 4, granule t % 4 of both tiles. */                              \
        const int sr = t >> 2, sc = (t & 3) << 3;                                                        \
        const int xrow = m0 + sr, wrow = n0 + sr;                                                        \
        global const float *xsrc = x + (size_t)(xrow < m ? xrow : 0) * ldx;                              \
        global const uchar *wsrc = w + (size_t)(wrow < n_out ? wrow : 0) * row_bytes;                    \
        float acc[4][4];                                                                                 \
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) acc[i][j] = 0.0f;                        \
        for (int k0 = 0; k0 < k; k0 += TILE_K) {                                                         \
            const int e = k0 + sc;                                                                       \
            const float8 wv = (wrow < n_out && e < k) ? decode_##T(wsrc, e, k) : (float8)(0.0f);         \
            const float8 xv = (xrow < m && e < k) ? decode_f32((global const uchar *)xsrc, e, k)         \
                                                  : (float8)(0.0f);                                      \
            const float *wp = (const float *)&wv, *xp = (const float *)&xv;                              \
            for (int i = 0; i < 8; i++) {                                                                \
                ws[sr][sc + i] = wp[i];                                                                  \
                xs[sr][sc + i] = xp[i];                                                                  \
            }                                                                                            \
            barrier(CLK_LOCAL_MEM_FENCE);                                                                \
            for (int kk = 0; kk < TILE_K; kk++) {                                                        \
                float a[4], b[4];                                                                        \
                for (int i = 0; i < 4; i++) { a[i] = xs[ty + 16 * i][kk]; b[i] = ws[tx + 16 * i][kk]; }  \
                for (int i = 0; i < 4; i++)                                                              \
                    for (int j = 0; j < 4; j++) acc[i][j] = mad(a[i], b[j], acc[i][j]);                  \
            }                                                                                            \
            barrier(CLK_LOCAL_MEM_FENCE);                                                                \
        }                                                                                                \
        for (int i = 0; i < 4; i++) {                                                                    \
            const int r = m0 + ty + 16 * i;                                                              \
            if (r >= m) break;                                                                           \
            for (int j = 0; j < 4; j++) {                                                                \
                const int n = n0 + tx + 16 * j;                                                          \
                if (n < n_out) y[(size_t)r * ldy + n] = acc[i][j];                                       \
            }                                                                                            \
        }                                                                                                \
    }

    /* CPU devices: one item per weight row and 8 activation rows, no local memory or barriers. Each decoded
       granule is reused from registers for 8 rows (x rows stay in cache), which is what a CPU core does best. */
    #define ROW_BLOCK 8
    #define DEFINE_MATMUL_ROWS(T)                                                                         \
    kernel void matmul_rows_##T(global const uchar *w, ulong row_bytes, int n_out, int k,                \
                                global const float *x, int ldx, int m, global float *y, int ldy) {      \
        const int n = get_global_id(0);                                                                  \
        const int r0 = get_global_id(1) * ROW_BLOCK;                                                     \
        if (n >= n_out || r0 >= m) return;                                                               \
        global const uchar *row = w + (size_t)n * row_bytes;                                             \
        /* Rows past m alias the last row: read but never written. */                                   \
        global const float *xr[ROW_BLOCK];                                                               \
        for (int i = 0; i < ROW_BLOCK; i++) xr[i] = x + (size_t)min(r0 + i, m - 1) * ldx;                \
        float8 acc[ROW_BLOCK];                                                                           \
        for (int i = 0; i < ROW_BLOCK; i++) acc[i] = (float8)(0.0f);                                     \
        const int full = k >> 3;                                                                         \
        for (int g = 0; g < full; g++) {                                                                 \
            const float8 v = decode_##T(row, g << 3, k);                                                 \
            for (int i = 0; i < ROW_BLOCK; i++) acc[i] = mad(v, vload8(g, xr[i]), acc[i]);               \
        }                                                                                                \
        float tail[ROW_BLOCK];                                                                           \
        for (int i = 0; i < ROW_BLOCK; i++) tail[i] = 0.0f;                                              \
        if ((k & 7) != 0) {                                                                              \
            const float8 v = decode_##T(row, full << 3, k);                                              \
            const float *p = (const float *)&v;                                                          \
            for (int i = 0; i < ROW_BLOCK; i++)                                                          \
                for (int j = 0; (full << 3) + j < k; j++) tail[i] = mad(p[j], xr[i][(full << 3) + j], tail[i]); \
        }                                                                                                \
        for (int i = 0; i < ROW_BLOCK && r0 + i < m; i++) {                                              \
            const float4 pair = acc[i].lo + acc[i].hi;                                                   \
            y[(size_t)(r0 + i) * ldy + n] = (pair.x + pair.y) + (pair.z + pair.w) + tail[i];            \
        }                                                                                                \
    }

    #define DEFINE_ALL_MATMUL(T) DEFINE_MATMUL(T) DEFINE_MATMUL_ROWS(T)

    DEFINE_ALL_MATMUL(f32)
    DEFINE_ALL_MATMUL(f16)
    DEFINE_ALL_MATMUL(bf16)
    DEFINE_ALL_MATMUL(q4_0)
    DEFINE_ALL_MATMUL(q4_1)
    DEFINE_ALL_MATMUL(q8_0)
    DEFINE_ALL_MATMUL(q4_K)
    DEFINE_ALL_MATMUL(q6_K)
    """#
}
