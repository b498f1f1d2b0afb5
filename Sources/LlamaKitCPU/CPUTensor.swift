import LlamaKit

/// A tensor in host memory: either a view of mmapped weights (never copied) or an owned allocation.
final class CPUTensor: BackendTensor, @unchecked Sendable {
    let type: TensorType
    let rows: Int
    let columns: Int
    let rowBytes: Int
    let pointer: UnsafeMutableRawPointer
    /// Keeps `pointer` valid: the mapped file or the allocation.
    private let owner: AnyObject?

    init(type: TensorType, rows: Int, columns: Int, rowBytes: Int, pointer: UnsafeMutableRawPointer, owner: AnyObject?) {
        self.type = type
        self.rows = rows
        self.columns = columns
        self.rowBytes = rowBytes
        self.pointer = pointer
        self.owner = owner
    }

    var floats: UnsafeMutablePointer<Float> { pointer.assumingMemoryBound(to: Float.self) }
}
