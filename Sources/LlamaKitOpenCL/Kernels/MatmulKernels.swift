extension OpenCLKernels {
    /// Edge of the output tile of `matmul_*` (activation rows × weight rows), and its depth.
    static let tileRows = 64
    static let tileDepth = 32
    /// Work-group shape of `matmul_*`: 16 × 16 items, each computing a 4 × 4 block of the 64 × 64 tile.
    static let tileThreads = 16

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
        float s = 0.0f;                                                                                  \
        if (n < n_out) {                                                                                 \
            global const uchar *row = w + (size_t)n * row_bytes;                                         \
            global const float *xr = x + (size_t)r * ldx;                                                \
            const int granules = (k + 7) >> 3;                                                           \
            for (int g = lane; g < granules; g += lanes) {                                               \
                float v[8];                                                                              \
                const int e = g << 3;                                                                    \
                decode_##T(row, e, k, v);                                                                \
                if (e + 8 <= k) {                                                                        \
                    const float8 xv = vload8(0, xr + e);                                                 \
                    s = mad(v[0], xv.s0, s); s = mad(v[1], xv.s1, s);                                    \
                    s = mad(v[2], xv.s2, s); s = mad(v[3], xv.s3, s);                                    \
                    s = mad(v[4], xv.s4, s); s = mad(v[5], xv.s5, s);                                    \
                    s = mad(v[6], xv.s6, s); s = mad(v[7], xv.s7, s);                                    \
                } else {                                                                                 \
                    for (int i = 0; e + i < k; i++) s = mad(v[i], xr[e + i], s);                         \
                }                                                                                        \
            }                                                                                            \
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
            float v[8];                                                                                  \
            if (wrow < n_out && e < k) decode_##T(wsrc, e, k, v);                                        \
            else for (int i = 0; i < 8; i++) v[i] = 0.0f;                                                \
            for (int i = 0; i < 8; i++) {                                                                \
                ws[sr][sc + i] = v[i];                                                                   \
                xs[sr][sc + i] = (xrow < m && e + i < k) ? xsrc[e + i] : 0.0f;                           \
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

    DEFINE_MATMUL(f32)
    DEFINE_MATMUL(f16)
    DEFINE_MATMUL(bf16)
    DEFINE_MATMUL(q4_0)
    DEFINE_MATMUL(q4_1)
    DEFINE_MATMUL(q8_0)
    DEFINE_MATMUL(q4_K)
    DEFINE_MATMUL(q6_K)
    """#
}
