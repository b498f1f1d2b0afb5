// swift-tools-version: 6.1
// LlamaKit's benchmarks, kept out of the main package so that building or testing LlamaKit never fetches
// package-benchmark. Run from this folder: `swift package benchmark` (all suites) or
// `swift package benchmark --target KernelBenchmarks`; `swift run -c release layer-projection` prints
// Docs/Projections.md's table. See Docs/Performance.md.
import PackageDescription

let benchmark = Target.Dependency.product(name: "Benchmark", package: "package-benchmark")
let plugin = Target.PluginUsage.plugin(name: "BenchmarkPlugin", package: "package-benchmark")

let package = Package(
    name: "LlamaKitBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "LlamaKit", path: ".."),
        .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // STREAM-style bandwidth loops in C (the bound decode is compared with).
        .target(name: "CMemoryBandwidth", path: "Support/CMemoryBandwidth"),
        // Random weights, one-layer models of 8B/70B shape, bandwidth, shared settings.
        .target(
            name: "BenchmarkSupport",
            dependencies: ["CMemoryBandwidth", .product(name: "LlamaKit", package: "LlamaKit"),
                           .product(name: "LlamaKitCPU", package: "LlamaKit")],
            path: "Support/BenchmarkSupport"
        ),
        .executableTarget(
            name: "TokenizerBenchmarks",
            dependencies: [.product(name: "LlamaKit", package: "LlamaKit"), benchmark],
            path: "TokenizerBenchmarks",
            plugins: [plugin]
        ),
        .executableTarget(
            name: "KernelBenchmarks",
            dependencies: ["BenchmarkSupport", .product(name: "LlamaKit", package: "LlamaKit"),
                           .product(name: "LlamaKitCPU", package: "LlamaKit"), benchmark],
            path: "KernelBenchmarks",
            plugins: [plugin]
        ),
        .executableTarget(
            name: "LayerBenchmarks",
            dependencies: ["BenchmarkSupport", .product(name: "LlamaKit", package: "LlamaKit"),
                           .product(name: "LlamaKitCPU", package: "LlamaKit"), benchmark],
            path: "LayerBenchmarks",
            plugins: [plugin]
        ),
        .executableTarget(
            name: "ModelBenchmarks",
            dependencies: ["BenchmarkSupport", .product(name: "LlamaKit", package: "LlamaKit"),
                           .product(name: "LlamaKitCPU", package: "LlamaKit"), benchmark],
            path: "ModelBenchmarks",
            plugins: [plugin]
        ),
        // Not a benchmark suite: prints the full-model projection table from the same measurements.
        .executableTarget(
            name: "layer-projection",
            dependencies: ["BenchmarkSupport", .product(name: "LlamaKit", package: "LlamaKit"),
                           .product(name: "LlamaKitCPU", package: "LlamaKit")],
            path: "LayerProjection"
        ),
    ]
)
