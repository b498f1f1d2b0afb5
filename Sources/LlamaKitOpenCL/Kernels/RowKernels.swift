extension OpenCLKernels {
    /// Per-row and elementwise ops: embedding lookup, RMSNorm, RoPE, SwiGLU, the residual add.
    ///
    /// `group_sum` is a local-memory tree reduction over a work-group whose size is a power of two (the host
    /// picks such sizes); it works on every OpenCL 1.2 device, subgroups or not.
    static let rows = #"""
    inline float group_sum(local float *scratch, float value) {
        const int lid = get_local_id(0), size = get_local_size(0);
        scratch[lid] = value;
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int stride = size >> 1; stride > 0; stride >>= 1) {
            if (lid < stride) scratch[lid] += scratch[lid + stride];
            barrier(CLK_LOCAL_MEM_FENCE);
        }
        const float result = scratch[0];
        barrier(CLK_LOCAL_MEM_FENCE);  // scratch may be reused right after
        return result;
    }

    inline float group_max(local float *scratch, float value) {
        const int lid = get_local_id(0), size = get_local_size(0);
        scratch[lid] = value;
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int stride = size >> 1; stride > 0; stride >>= 1) {
            if (lid < stride) scratch[lid] = fmax(scratch[lid], scratch[lid + stride]);
            barrier(CLK_LOCAL_MEM_FENCE);
        }
        const float result = scratch[0];
        barrier(CLK_LOCAL_MEM_FENCE);
        return result;
    }

    // out[i, :] = table[ids[i], :] as float32; global size (granules per row, ids).
    #define DEFINE_GET_ROWS(T)                                                                            \
    kernel void get_rows_##T(global const uchar *table, ulong row_bytes, int k, global const int *ids,   \
                             global float *out, int ldo) {                                              \
        const int g = get_global_id(0), i = get_global_id(1);                                            \
        const int e = g << 3;                                                                            \
        if (e >= k) return;                                                                              \
        const float8 v = decode_##T(table + (size_t)ids[i] * row_bytes, e, k);                           \
        global float *o = out + (size_t)i * ldo + e;                                                     \
        if (e + 8 <= k) {                                                                                \
            vstore8(v, 0, o);                                                                            \
        } else {                                                                                         \
            const float *p = (const float *)&v;                                                          \
            for (int j = 0; e + j < k; j++) o[j] = p[j];                                                 \
        }                                                                                                \
    }

    DEFINE_GET_ROWS(f32)
    DEFINE_GET_ROWS(f16)
    DEFINE_GET_ROWS(bf16)
    DEFINE_GET_ROWS(q4_0)
    DEFINE_GET_ROWS(q4_1)
    DEFINE_GET_ROWS(q8_0)
    DEFINE_GET_ROWS(q4_K)
    DEFINE_GET_ROWS(q6_K)

    // One work-group per row. out may be x (in place): every item reads its values before the reduction
    // barrier and writes only the values it read.
    kernel void rms_norm(global const float *x, global const float *weight, float epsilon, global float *out,
                         int n, local float *scratch) {
        const int r = get_group_id(0), lid = get_local_id(0), size = get_local_size(0);
        global const float *xr = x + (size_t)r * n;
        float s = 0.0f;
        for (int i = lid; i < n; i += size) s = mad(xr[i], xr[i], s);
        const float total = group_sum(scratch, s);
        const float scale = 1.0f / sqrt(total / (float)n + epsilon);
        global float *o = out + (size_t)r * n;
        for (int i = lid; i < n; i += size) o[i] = (xr[i] * scale) * weight[i];
    }

    // In place; global size (headDim / 2, heads, rows). Row r has position positions[r]: a batch mixes rows
    // of several sequences, each at its own position.
    kernel void rope(global float *x, int ldx, int head_dim, global const int *positions,
                     global const float *inverse_frequencies, int interleaved) {
        const int i = get_global_id(0), h = get_global_id(1), r = get_global_id(2);
        const int half_ = head_dim >> 1;
        if (i >= half_) return;
        const float theta = (float)positions[r] * inverse_frequencies[i];
        const float c = cos(theta), s = sin(theta);
        global float *v = x + (size_t)r * ldx + h * head_dim;
        const int a = interleaved ? 2 * i : i;
        const int b = interleaved ? 2 * i + 1 : i + half_;
        const float x0 = v[a], x1 = v[b];
        v[a] = x0 * c - x1 * s;
        v[b] = x0 * s + x1 * c;
    }

    // destination[slots[i], :] = source[i, :]; global size (granules of 4 columns, rows). Source and
    // destination are different buffers and slots are distinct, so no item reads what another writes.
    // vload4/vstore4 need only float alignment, so any row width works; the last granule may be partial.
    kernel void store_rows(global const float *source, global float *destination, int n,
                           global const int *slots) {
        const int g = get_global_id(0), i = get_global_id(1);
        const int e = g << 2;
        if (e >= n) return;
        global const float *s = source + (size_t)i * n + e;
        global float *d = destination + (size_t)slots[i] * n + e;
        if (e + 4 <= n) {
            vstore4(vload4(0, s), 0, d);
        } else {
            for (int j = 0; e + j < n; j++) d[j] = s[j];
        }
    }

    // out = silu(gate) * up; out may be gate.
    kernel void swiglu(global const float *gate, global const float *up, global float *out, int n) {
        const int i = get_global_id(0);
        if (i >= n) return;
        const float g = gate[i];
        out[i] = (g / (1.0f + exp(-g))) * up[i];
    }

    kernel void add(global const float *x, global float *accumulator, int n) {
        const int i = get_global_id(0);
        if (i < n) accumulator[i] += x[i];
    }
    """#
}
