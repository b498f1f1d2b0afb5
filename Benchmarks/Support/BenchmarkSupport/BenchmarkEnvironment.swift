import Foundation
import LlamaKitCPU

/// Settings shared by the suites.
public enum BenchmarkEnvironment {
    /// Threads for the CPU backend: `LLAMAKIT_BENCH_THREADS`, else every core.
    public static var threads: Int {
        ProcessInfo.processInfo.environment["LLAMAKIT_BENCH_THREADS"].flatMap(Int.init) ?? ProcessInfo.processInfo.activeProcessorCount
    }

    /// Matmul activations (decode and prompt): `LLAMAKIT_BENCH_ACTIVATIONS` (`float32` or `int8`), else float32 (the exact path).
    public static var activations: CPUBackend.ActivationPrecision {
        ProcessInfo.processInfo.environment["LLAMAKIT_BENCH_ACTIVATIONS"].flatMap(CPUBackend.ActivationPrecision.init(rawValue:)) ?? .float32
    }

    /// The repository root (the folder above Benchmarks/), found from this file or the working directory.
    public static var repositoryRoot: URL {
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()  // Benchmarks/Support/BenchmarkSupport
        let fromSource = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        if FileManager.default.fileExists(atPath: fromSource.appendingPathComponent("Package.swift").path) { return fromSource }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).deletingLastPathComponent()
    }

    /// The fetched SmolLM2-135M-Instruct (`make fetch`).
    public static var smolLM2: String { repositoryRoot.appendingPathComponent(".models/SmolLM2-135M-Instruct.Q4_1.gguf").path }

    /// Seconds since `start`.
    public static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }
}
