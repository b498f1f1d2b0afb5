import Foundation
import LlamaKit
import LlamaKitCPU
import LlamaKitOpenCL
import LlamaKitTestSupport

/// Paths, the shared OpenCL backend and the shared models of the OpenCL tests.
///
/// Without an OpenCL platform every test fails with the loader's message: these tests must run (PoCL in CI),
/// never skip.
enum OpenCLTestSupport {
    static let packageRoot = Fixtures.packageRoot
    static let fixtures = Fixtures.directory
    static var modelPath: String { Fixtures.modelPath }
    typealias MissingModel = Fixtures.MissingFile

    /// The device the tests use: `$LLAMAKIT_OPENCL_DEVICE`, else the backend's default choice.
    static var deviceIndex: Int? {
        ProcessInfo.processInfo.environment["LLAMAKIT_OPENCL_DEVICE"].flatMap(Int.init)
    }

    /// One backend for the whole run (building the kernels takes seconds on PoCL).
    static let sharedBackend: Result<OpenCLBackend, Error> = Result {
        try OpenCLBackend(device: deviceIndex, options: .init(cpuThreads: 2))
    }

    static func backend() throws -> OpenCLBackend { try sharedBackend.get() }

    /// SmolLM2 on the shared OpenCL backend.
    static let sharedModel: Result<LanguageModel, Error> = Result {
        guard FileManager.default.fileExists(atPath: modelPath) else { throw MissingModel(path: modelPath) }
        return try LanguageModel.load(path: modelPath, backend: try sharedBackend.get())
    }

    static func model() throws -> LanguageModel { try sharedModel.get() }

    static func json(_ relativePath: String) throws -> Any { try Fixtures.json(relativePath) }

    static func npy(_ relativePath: String) throws -> NumPyFile.Array { try Fixtures.npy(relativePath) }

    /// Deterministic values in [-scale, scale) (xorshift), so failures reproduce.
    static func randomFloats(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0 ..< count).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return (Float(state >> 40) / Float(1 << 24) * 2 - 1) * scale
        }
    }

    static func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
        guard a.count == b.count else { return .infinity }
        return zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }
}
