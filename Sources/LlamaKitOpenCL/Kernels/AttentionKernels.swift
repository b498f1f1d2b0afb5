extension OpenCLKernels {
    /// The largest head dimension `attention_rows` keeps in registers (`MAX_HEAD_DIM` in the source).
    static let maxRowAttentionHeadDim = 256

    /// Grouped-query attention of a batch's query rows over the device KV cache, float32 throughout.
    ///
    /// The cache is a pool of rows shared by several sequences, so each query row reads its keys and values
    /// through a slot list. Both kernels take the layout packed into one int buffer (one upload per forward
    /// pass): `row_start[rows]`, then `row_length[rows]`, then the slots. Query row `r` visits positions
    /// `j < row_length[r]` at cache rows `slots[row_start[r] + j]`, in order, so the summation order is that
    /// of a contiguous cache.
    ///
    /// `attention`: one work-group per (query head, query row). Keys are visited in tiles of one key per work
    /// item: each item scores its key, the group takes the tile's maximum, and the running softmax is rescaled
    /// by `exp(old max − new max)` (the max subtraction, done online so no score buffer of context length is
    /// needed). Each item owns output dimensions `d ≡ lid (mod group size)` and accumulates `Σ p_j · v_j[d]`
    /// for the tile. Local arguments: `q_local` and `acc` of `head_dim` floats, `probabilities` and `scratch`
    /// of one float per item, `tile_slots` of one int per item (the tile's cache rows, read once from global
    /// memory by the item that scores them).
    static let attention = #"""
    kernel void attention(global const float *q, global const float *keys, global const float *values,
                          global float *out, global const int *layout, int rows, int heads, int kv_heads, int head_dim,
                          int ldq, int ldkv, int ldo, float scale,
                          local float *q_local, local float *acc, local float *probabilities, local float *scratch,
                          local int *tile_slots) {
        const int h = get_group_id(0), r = get_group_id(1);
        const int lid = get_local_id(0), size = get_local_size(0);
        const int kv_offset = (h / (heads / kv_heads)) * head_dim;
        global const int *slots = layout + 2 * rows + layout[r];
        const int count = layout[rows + r];

        global const float *qr = q + (size_t)r * ldq + h * head_dim;
        for (int d = lid; d < head_dim; d += size) {
            q_local[d] = qr[d];
            acc[d] = 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);

        float running_max = -INFINITY;
        float running_sum = 0.0f;
        for (int j0 = 0; j0 < count; j0 += size) {
            const int j = j0 + lid;
            float score = -INFINITY;
            if (j < count) {
                const int slot = slots[j];
                tile_slots[lid] = slot;
                global const float *kr = keys + (size_t)slot * ldkv + kv_offset;
                float dot = 0.0f;
                for (int d = 0; d < head_dim; d++) dot = mad(q_local[d], kr[d], dot);
                score = dot * scale;
            }
            const float new_max = fmax(running_max, group_max(scratch, score));  // its barriers publish tile_slots
            const float p = j < count ? exp(score - new_max) : 0.0f;
            probabilities[lid] = p;
            const float tile_sum = group_sum(scratch, p);  // its barriers also publish probabilities
            const float rescale = exp(running_max - new_max);  // 0 on the first tile (running_max = -inf)
            running_sum = running_sum * rescale + tile_sum;
            const int tile = min(size, count - j0);
            for (int d = lid; d < head_dim; d += size) {
                global const float *vd = values + kv_offset + d;
                float a = acc[d] * rescale;
                for (int t = 0; t < tile; t++) a = mad(probabilities[t], vd[(size_t)tile_slots[t] * ldkv], a);
                acc[d] = a;
            }
            running_max = new_max;
            barrier(CLK_LOCAL_MEM_FENCE);  // probabilities and tile_slots are rewritten by the next tile
        }

        global float *o = out + (size_t)r * ldo + h * head_dim;
        const float inverse = 1.0f / running_sum;
        for (int d = lid; d < head_dim; d += size) o[d] = acc[d] * inverse;
    }

    // CPU devices: one item per (row, head), no barriers. Keys are visited one at a time with the same
    // online softmax (rescaling the accumulator when the maximum grows); q and the accumulator sit in
    // float4 registers, so head_dim must be a multiple of 4 and at most MAX_HEAD_DIM (the host checks).
    #define MAX_HEAD_DIM 256
    kernel void attention_rows(global const float *q, global const float *keys, global const float *values,
                               global float *out, global const int *layout, int rows, int heads, int kv_heads,
                               int head_dim, int ldq, int ldkv, int ldo, float scale) {
        const int t = get_global_id(0);
        if (t >= rows * heads) return;
        const int r = t / heads, h = t % heads;
        const int quads = head_dim >> 2;
        const int kv_offset = (h / (heads / kv_heads)) * head_dim;
        global const int *slots = layout + 2 * rows + layout[r];
        const int count = layout[rows + r];
        float4 qv[MAX_HEAD_DIM / 4], acc[MAX_HEAD_DIM / 4];
        global const float *qr = q + (size_t)r * ldq + h * head_dim;
        for (int i = 0; i < quads; i++) {
            qv[i] = vload4(i, qr);
            acc[i] = (float4)(0.0f);
        }
        float running_max = -INFINITY, running_sum = 0.0f;
        for (int j = 0; j < count; j++) {
            const size_t row = (size_t)slots[j] * ldkv + kv_offset;
            global const float *kr = keys + row;
            float4 dot4 = (float4)(0.0f);
            for (int i = 0; i < quads; i++) dot4 = mad(qv[i], vload4(i, kr), dot4);
            const float score = ((dot4.x + dot4.y) + (dot4.z + dot4.w)) * scale;
            if (score > running_max) {
                const float rescale = exp(running_max - score);  // 0 for the first key
                running_sum *= rescale;
                for (int i = 0; i < quads; i++) acc[i] *= rescale;
                running_max = score;
            }
            const float p = exp(score - running_max);
            running_sum += p;
            global const float *vr = values + row;
            for (int i = 0; i < quads; i++) acc[i] = mad((float4)(p), vload4(i, vr), acc[i]);
        }
        global float *o = out + (size_t)r * ldo + h * head_dim;
        const float inverse = 1.0f / running_sum;
        for (int i = 0; i < quads; i++) vstore4(acc[i] * inverse, i, o);
    }
    """#
}
