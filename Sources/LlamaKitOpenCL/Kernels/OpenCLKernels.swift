import LlamaKit

/// The OpenCL C 1.2 program of the backend, assembled from one string per kernel family.
///
/// Everything computes in float32 on the stored weights (the exact path); no extension is required.
enum OpenCLKernels {
    /// The whole program, in dependency order (decoders first).
    static var source: String {
        [blockDecoding, rows, matmul, attention].joined(separator: "\n")
    }

    /// Weight types the kernels decode, and the suffix of their `matvec_`, `matmul_` and `get_rows_` kernels.
    static let typeSuffixes: [TensorType: String] = [
        .f32: "f32", .f16: "f16", .bf16: "bf16", .q4_0: "q4_0", .q4_1: "q4_1", .q8_0: "q8_0", .q4_K: "q4_K", .q6_K: "q6_K",
    ]

    /// Every kernel in the program (created once after the build).
    static var kernelNames: [String] {
        typeSuffixes.values.sorted().flatMap { ["matvec_\($0)", "matmul_\($0)", "matmul_rows_\($0)", "get_rows_\($0)"] }
            + ["rms_norm", "rope", "store_rows", "swiglu", "add", "attention", "attention_rows"]
    }
}
