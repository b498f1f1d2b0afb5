// swift-tools-version: 6.0
// LlamaKit: run Llama-architecture language models from Swift with pluggable compute backends.
import PackageDescription

let package = Package(
    name: "LlamaKit",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "LlamaKit", targets: ["LlamaKit"]),
        .library(name: "LlamaKitCPU", targets: ["LlamaKitCPU"]),
        .library(name: "LlamaKitOpenCL", targets: ["LlamaKitOpenCL"]),
        .library(name: "LlamaKitBackends", targets: ["LlamaKitBackends"]),
        .executable(name: "llama-cli", targets: ["llama-cli"]),
        .executable(name: "llama-logits", targets: ["llama-logits"]),
        .executable(name: "llama-bench", targets: ["llama-bench"]),
        .executable(name: "llama-batched-bench", targets: ["llama-batched-bench"]),
        .executable(name: "llama-tokenize", targets: ["llama-tokenize"]),
        .executable(name: "llama-convert", targets: ["llama-convert"]),
        .executable(name: "llama-template", targets: ["llama-template"]),
        .executable(name: "opencl-check", targets: ["opencl-check"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        // Core: tensors, formats, tokenizer, chat templates, the model graph. Imports no BLAS or OpenCL.
        .target(name: "LlamaKit"),

        // OpenBLAS through pkg-config (Debian/Ubuntu: libopenblas-dev).
        .systemLibrary(
            name: "COpenBLAS",
            path: "Sources/COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]
        ),
        // Hand-written CPU kernels in C. SIMD paths use per-function target attributes chosen at run time,
        // so the package needs no -march flags (SwiftPM refuses unsafeFlags in dependencies).
        .target(name: "CLlamaKitKernels", path: "Sources/CLlamaKitKernels"),
        .target(name: "LlamaKitCPU", dependencies: ["LlamaKit", "CLlamaKitKernels", "COpenBLAS"]),

        // OpenCL 1.2 through the ICD loader (Debian/Ubuntu: ocl-icd-opencl-dev + opencl-headers; any driver,
        // e.g. pocl-opencl-icd for CPUs). The CPU backend serves ops or types a device cannot run.
        .systemLibrary(
            name: "COpenCL",
            path: "Sources/COpenCL",
            pkgConfig: "OpenCL",
            providers: [.apt(["ocl-icd-opencl-dev", "opencl-headers"])]
        ),
        .target(name: "LlamaKitOpenCL", dependencies: ["LlamaKit", "LlamaKitCPU", "COpenCL"]),
        // Backend selection by name for the examples ("cpu", "opencl").
        .target(name: "LlamaKitBackends", dependencies: ["LlamaKit", "LlamaKitCPU", "LlamaKitOpenCL"]),

        .executableTarget(
            name: "llama-cli",
            dependencies: ["LlamaKit", "LlamaKitCPU", "LlamaKitBackends", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/llama-cli"
        ),
        .executableTarget(
            name: "llama-logits",
            dependencies: ["LlamaKit", "LlamaKitCPU", "LlamaKitBackends", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/llama-logits"
        ),
        .executableTarget(
            name: "llama-bench",
            dependencies: ["LlamaKit", "LlamaKitCPU", "LlamaKitBackends", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/llama-bench"
        ),
        .executableTarget(
            name: "llama-batched-bench",
            dependencies: ["LlamaKit", "LlamaKitCPU", "LlamaKitBackends", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/llama-batched-bench"
        ),
        .executableTarget(
            name: "llama-tokenize",
            dependencies: ["LlamaKit", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/llama-tokenize"
        ),
        .executableTarget(
            name: "llama-convert",
            dependencies: ["LlamaKit", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/llama-convert"
        ),
        .executableTarget(
            name: "llama-template",
            dependencies: ["LlamaKit", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/llama-template"
        ),
        // OpenCL-vs-CPU parity on a machine without a Swift toolchain (Scripts/gpu-check.sh).
        .executableTarget(
            name: "opencl-check",
            dependencies: ["LlamaKit", "LlamaKitCPU", "LlamaKitOpenCL", "LlamaKitBackends",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/opencl-check"
        ),

        // Builders for test inputs (GGUF files made byte by byte), shared by the test targets.
        .target(name: "LlamaKitTestSupport", dependencies: ["LlamaKit"], path: "Tests/LlamaKitTestSupport"),
        .testTarget(name: "LlamaKitTests", dependencies: ["LlamaKit", "LlamaKitTestSupport"]),
        .testTarget(name: "LlamaKitCPUTests", dependencies: ["LlamaKit", "LlamaKitCPU", "LlamaKitTestSupport"]),
        .testTarget(name: "LlamaKitOpenCLTests", dependencies: ["LlamaKit", "LlamaKitCPU", "LlamaKitOpenCL", "LlamaKitBackends", "LlamaKitTestSupport"]),
    ]
)
