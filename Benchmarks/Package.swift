// swift-tools-version: 6.1
// LlamaKit's benchmarks, kept out of the main package so that building or testing LlamaKit never fetches
// package-benchmark. Run from this folder: `swift package benchmark` (see Docs/Tokenizers.md).
import PackageDescription

let package = Package(
    name: "LlamaKitBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "LlamaKit", path: ".."),
        .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "TokenizerBenchmarks",
            dependencies: [
                .product(name: "LlamaKit", package: "LlamaKit"),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: "TokenizerBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
    ]
)
