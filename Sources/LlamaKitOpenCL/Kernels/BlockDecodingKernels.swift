extension OpenCLKernels {
    /// Decoders for every stored weight type: eight consecutive values of a row to float32.
    ///
    /// Eight is the granule because it never straddles a scale: a 32-value block holds four granules, and in
    /// the K-quants eight consecutive values share one sub-block scale. Each decoder computes exactly what
    /// ggml/gguf-py define (the CPU backend's quant.c does the same): with contraction off, `d * q + m` is a
    /// rounded product and a rounded sum, so embedding rows come out bit-identical to the reference.
    /// f16 scales are read with `vload_half`, core OpenCL 1.2 that needs no `cl_khr_fp16`; every block size
    /// is even, so each half is 2-byte aligned.
    ///
    /// Signature of every decoder: `float8 decode_T(row, e, k)`: `row` is the row's first byte, `e` the first
    /// value (a multiple of 8), `k` the row length. Float rows may end mid-granule (values past `k` decode
    /// as 0); quantized rows are whole blocks. Vector types let CPU drivers (PoCL) emit SIMD code; GPUs
    /// scalarise them.
    static let blockDecoding = #"""
    #pragma OPENCL FP_CONTRACT OFF

    // Values past the end of a float row read as 0 (only float rows can end mid-granule).
    inline float8 tail_f32(global const float *p, int count) {
        float v[8];
        for (int i = 0; i < 8; i++) v[i] = i < count ? p[i] : 0.0f;
        return vload8(0, v);
    }

    inline float8 decode_f32(global const uchar *row, int e, int k) {
        global const float *p = (global const float *)row + e;
        return e + 8 <= k ? vload8(0, p) : tail_f32(p, k - e);
    }

    inline float8 decode_f16(global const uchar *row, int e, int k) {
        global const half *p = (global const half *)row + e;
        if (e + 8 <= k) return vload_half8(0, p);
        float v[8];
        for (int i = 0; i < 8; i++) v[i] = e + i < k ? vload_half(i, p) : 0.0f;
        return vload8(0, v);
    }

    // bf16 is the top half of a float32.
    inline float8 decode_bf16(global const uchar *row, int e, int k) {
        global const ushort *p = (global const ushort *)row + e;
        if (e + 8 <= k) return as_float8(convert_uint8(vload8(0, p)) << 16);
        float v[8];
        for (int i = 0; i < 8; i++) v[i] = e + i < k ? as_float((uint)p[i] << 16) : 0.0f;
        return vload8(0, v);
    }

    // Q4_0 (18 bytes per 32): f16 d, 16 bytes; value j = d * ((qs[j] & 15) - 8), value j + 16 uses the high nibble.
    inline float8 decode_q4_0(global const uchar *row, int e, int k) {
        global const uchar *b = row + (e >> 5) * 18;
        const float d = vload_half(0, (global const half *)b);
        const int j = e & 31;
        const uchar8 q = vload8(0, b + 2 + (j & 15)) >> (uchar)((j & 16) >> 2);
        return d * convert_float8(convert_int8(q & (uchar)15) - 8);
    }

    // Q4_1 (20 bytes per 32): f16 d, f16 m, 16 bytes; value = d * q + m.
    inline float8 decode_q4_1(global const uchar *row, int e, int k) {
        global const uchar *b = row + (e >> 5) * 20;
        const float d = vload_half(0, (global const half *)b);
        const float m = vload_half(1, (global const half *)b);
        const int j = e & 31;
        const uchar8 q = vload8(0, b + 4 + (j & 15)) >> (uchar)((j & 16) >> 2);
        return d * convert_float8(q & (uchar)15) + m;
    }

    // Q8_0 (34 bytes per 32): f16 d, 32 int8; value = d * q.
    inline float8 decode_q8_0(global const uchar *row, int e, int k) {
        global const uchar *b = row + (e >> 5) * 34;
        const float d = vload_half(0, (global const half *)b);
        return d * convert_float8(vload8(0, (global const char *)(b + 2) + (e & 31)));
    }

    // Q4_K (144 bytes per 256): f16 d, f16 dmin, 12 bytes packing eight 6-bit (scale, min) pairs, 128 bytes
    // of nibbles. Each 64 values share 32 bytes: the first 32 values are low nibbles, the next 32 high.
    inline void q4k_scale_min(int j, global const uchar *s, int *sc, int *mn) {
        if (j < 4) {
            *sc = s[j] & 63;
            *mn = s[j + 4] & 63;
        } else {
            *sc = (s[j + 4] & 15) | ((s[j - 4] >> 6) << 4);
            *mn = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
        }
    }

    inline float8 decode_q4_K(global const uchar *row, int e, int k) {
        global const uchar *b = row + (e >> 8) * 144;
        const float d = vload_half(0, (global const half *)b);
        const float dmin = vload_half(1, (global const half *)b);
        const int idx = e & 255;
        const int chunk = idx >> 6;
        const int high = (idx >> 5) & 1;
        int sc, mn;
        q4k_scale_min(2 * chunk + high, b + 4, &sc, &mn);
        const float scale = d * (float)sc;
        const float minimum = dmin * (float)mn;
        const uchar8 q = vload8(0, b + 16 + chunk * 32 + (idx & 31)) >> (uchar)(high * 4);
        return scale * convert_float8(q & (uchar)15) - minimum;
    }

    // Q6_K (210 bytes per 256): 128 bytes of low nibbles, 64 bytes of 2-bit high parts, 16 int8 scales, f16 d.
    // Each half of 128 values has its own 64 + 32 bytes and 8 scales; within a half, quarter q (32 values)
    // takes low bytes ql[l + 32 * (q & 1)] (low nibble for q < 2, high otherwise) and bits 2q of qh[l];
    // scale sc[l / 16 + 2q].
    inline float8 decode_q6_K(global const uchar *row, int e, int k) {
        global const uchar *b = row + (e >> 8) * 210;
        const int idx = e & 255;
        const int half_ = idx >> 7;
        const int quarter = (idx >> 5) & 3;
        const int l = idx & 31;
        global const char *sc = (global const char *)(b + 192) + 8 * half_;
        const float d = vload_half(0, (global const half *)(b + 208));
        const float scale = d * (float)sc[(l >> 4) + 2 * quarter];
        const uchar8 low = (vload8(0, b + 64 * half_ + 32 * (quarter & 1) + l) >> (uchar)(quarter >= 2 ? 4 : 0)) & (uchar)15;
        const uchar8 high = (vload8(0, b + 128 + 32 * half_ + l) >> (uchar)(2 * quarter)) & (uchar)3;
        return scale * convert_float8(convert_int8(low | (high << (uchar)4)) - 32);
    }
    """#
}
