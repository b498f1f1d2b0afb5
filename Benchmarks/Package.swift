// swift-tools-version: 6.1
// LlamaKit's benchmarks, kept out of the main package so that building or testing LlamaKit never fetches
// package-benchmark. Run from this folder: `swift package benchmark` (all suites) or
// `swift package benchmark --target KernelBenchmarks`; `swift run -c release layer-projection` prints
// Docs/Projections.md's table. See Docs/Performance.md.
import PackageDescription

let benchmark = Target.Dependency.product(name: "Benchmark", package: "package-benchmark")
let llamaKit: [Target.Dependency] = [.product(name: "LlamaKit", package: "LlamaKit"), .product(name: "LlamaKitCPU", package: "LlamaKit")]

/// A package-benchmark suite in the folder of its name.
func suite(_ name: String, dependencies: [Target.Dependency]) -> Target {
    .executableTarget(name: name, dependencies: dependencies + [benchmark], path: name,
                      plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")])
}

let package = Package(
    name: "LlamaKitBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "LlamaKit", path: ".."),
        .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // STREAM-style bandwidth loops in C (the bound decode is compared with).
        .target(name: "CMemoryBandwidth", path: "Support/CMemoryBandwidth"),
        // Random weights, one-layer models of 8B/70B shape, bandwidth, shared settings.
        .target(name: "BenchmarkSupport", dependencies: ["CMemoryBandwidth"] + llamaKit, path: "Support/BenchmarkSupport"),
        suite("TokenizerBenchmarks", dependencies: [.product(name: "LlamaKit", package: "LlamaKit")]),
        suite("KernelBenchmarks", dependencies: ["BenchmarkSupport"] + llamaKit),
        suite("LayerBenchmarks", dependencies: ["BenchmarkSupport"] + llamaKit),
        suite("ModelBenchmarks", dependencies: ["BenchmarkSupport"] + llamaKit),
        // Not a benchmark suite (package-benchmark runs only executables directly in this folder): prints the
        // full-model projection table from the same measurements.
        .executableTarget(name: "layer-projection", dependencies: ["BenchmarkSupport"] + llamaKit, path: "Tools/LayerProjection"),
    ]
)
