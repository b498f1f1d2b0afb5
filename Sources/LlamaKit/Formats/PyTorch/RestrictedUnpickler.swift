/// A pickle reader that understands only what `torch.save(state_dict)` writes and never executes anything.
///
/// The virtual machine knows a handful of globals (`collections.OrderedDict`,
/// `torch._utils._rebuild_tensor_v2`, and the Float/Half/BFloat16 storage classes as tags); any other global
/// is rejected with ``PyTorchError/forbiddenGlobal(module:name:)`` the moment it appears. Calls (`REDUCE`)
/// are interpreted, not performed: an OrderedDict becomes an empty dictionary and a tensor rebuild becomes
/// a ``PickledTensor`` description.
struct RestrictedUnpickler {
    /// A tensor as the pickle describes it: which storage, where in it, and its shape.
    struct PickledTensor: Equatable {
        let storageKey: String
        let type: TensorType
        /// Offset into the storage, in elements.
        let offset: Int
        let shape: [Int]
        let stride: [Int]
    }

    indirect enum Value {
        case none
        case bool(Bool)
        case int(Int)
        case float(Double)
        case string(String)
        case bytes([UInt8])
        case tuple([Value])
        case list([Value])
        case dict([(Value, Value)])
        case global(module: String, name: String)
        case storage(key: String, type: TensorType)
        case tensor(PickledTensor)
    }

    static let allowedGlobals: Set<String> = [
        "collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
        "torch.FloatStorage", "torch.HalfStorage", "torch.BFloat16Storage",
    ]

    private let bytes: UnsafeRawBufferPointer
    private var offset = 0
    private var stack: [Value] = []
    private var marks: [Int] = []
    private var memo: [Int: Value] = [:]

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Runs the pickle and returns the object it builds.
    static func load(_ bytes: UnsafeRawBufferPointer) throws(PyTorchError) -> Value {
        var machine = RestrictedUnpickler(bytes)
        return try machine.run()
    }

    private func fail(_ reason: String) -> PyTorchError { .malformedPickle(reason: reason, offset: offset) }

    private mutating func byte() throws(PyTorchError) -> UInt8 {
        guard offset < bytes.count else { throw fail("unexpected end") }
        defer { offset += 1 }
        return bytes[offset]
    }

    private mutating func take(_ count: Int) throws(PyTorchError) -> UnsafeRawBufferPointer {
        guard count >= 0, count <= bytes.count - offset else { throw fail("unexpected end reading \(count) bytes") }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset ..< offset + count])
    }

    private mutating func uint(_ width: Int) throws(PyTorchError) -> Int {
        let raw = try take(width)
        var value: UInt64 = 0
        for i in (0 ..< width).reversed() { value = value << 8 | UInt64(raw[i]) }
        guard value <= UInt64(Int.max) else { throw fail("length too large") }
        return Int(value)
    }

    private mutating func line() throws(PyTorchError) -> String {
        var text: [UInt8] = []
        while true {
            let b = try byte()
            if b == 0x0A { break }
            text.append(b)
            guard text.count < 256 else { throw fail("line too long") }
        }
        return String(decoding: text, as: UTF8.self)
    }

    private mutating func pop() throws(PyTorchError) -> Value {
        guard let value = stack.popLast(), stack.count >= (marks.last ?? 0) else { throw fail("stack underflow") }
        return value
    }

    private mutating func popMark() throws(PyTorchError) -> [Value] {
        guard let mark = marks.popLast(), mark <= stack.count else { throw fail("no mark") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private mutating func push(global module: String, _ name: String) throws(PyTorchError) {
        guard Self.allowedGlobals.contains(module + "." + name) else { throw .forbiddenGlobal(module: module, name: name) }
        stack.append(.global(module: module, name: name))
    }

    private static func storageType(_ value: Value) throws(PyTorchError) -> TensorType {
        guard case let .global(_, name) = value else { throw .unsupportedStorage("\(value)") }
        switch name {
        case "FloatStorage": return .f32
        case "HalfStorage": return .f16
        case "BFloat16Storage": return .bf16
        default: throw .unsupportedStorage(name)
        }
    }

    private mutating func run() throws(PyTorchError) -> Value {
        while true {
            let start = offset
            let op = try byte()
            switch op {
            case 0x80: _ = try byte()  // PROTO
            case 0x95: _ = try take(8)  // FRAME: framing is only a read-ahead hint
            case 0x2E:  // STOP
                guard stack.count == 1, marks.isEmpty else { throw fail("STOP with \(stack.count) values on the stack") }
                return stack[0]
            case 0x28: marks.append(stack.count)  // MARK
            case 0x4E: stack.append(.none)
            case 0x88: stack.append(.bool(true))
            case 0x89: stack.append(.bool(false))
            case 0x4B: stack.append(.int(try uint(1)))  // BININT1
            case 0x4D: stack.append(.int(try uint(2)))  // BININT2
            case 0x4A: stack.append(.int(Int(Int32(truncatingIfNeeded: try uint(4)))))  // BININT
            case 0x8A:  // LONG1: little-endian two's complement of n ≤ 8 bytes
                let n = Int(try byte())
                guard n <= 8 else { throw fail("LONG1 of \(n) bytes") }
                let raw = try take(n)
                var value: UInt64 = 0
                for i in (0 ..< n).reversed() { value = value << 8 | UInt64(raw[i]) }
                if n > 0, n < 8, raw[n - 1] & 0x80 != 0 { value |= ~UInt64(0) << UInt64(8 * n) }
                stack.append(.int(Int(Int64(bitPattern: value))))
            case 0x47:  // BINFLOAT, big-endian
                let raw = try take(8)
                var bits: UInt64 = 0
                for b in raw { bits = bits << 8 | UInt64(b) }
                stack.append(.float(Double(bitPattern: bits)))
            case 0x58: stack.append(.string(String(decoding: try take(try uint(4)), as: UTF8.self)))  // BINUNICODE
            case 0x8C: stack.append(.string(String(decoding: try take(try uint(1)), as: UTF8.self)))  // SHORT_BINUNICODE
            case 0x8D: stack.append(.string(String(decoding: try take(try uint(8)), as: UTF8.self)))  // BINUNICODE8
            case 0x42: stack.append(.bytes(Array(try take(try uint(4)))))  // BINBYTES
            case 0x43: stack.append(.bytes(Array(try take(try uint(1)))))  // SHORT_BINBYTES
            case 0x29: stack.append(.tuple([]))
            case 0x74: stack.append(.tuple(try popMark()))  // TUPLE
            case 0x85: let a = try pop(); stack.append(.tuple([a]))
            case 0x86: let b = try pop(), a = try pop(); stack.append(.tuple([a, b]))
            case 0x87: let c = try pop(), b = try pop(), a = try pop(); stack.append(.tuple([a, b, c]))
            case 0x5D: stack.append(.list([]))
            case 0x6C: stack.append(.list(try popMark()))  // LIST
            case 0x7D: stack.append(.dict([]))
            case 0x64:  // DICT
                let items = try popMark()
                guard items.count % 2 == 0 else { throw fail("odd DICT items") }
                stack.append(.dict(stride(from: 0, to: items.count, by: 2).map { (items[$0], items[$0 + 1]) }))
            case 0x61:  // APPEND
                let item = try pop()
                guard case let .list(list) = try pop() else { throw fail("APPEND to a non-list") }
                stack.append(.list(list + [item]))
            case 0x65:  // APPENDS
                let items = try popMark()
                guard case let .list(list) = try pop() else { throw fail("APPENDS to a non-list") }
                stack.append(.list(list + items))
            case 0x73:  // SETITEM
                let value = try pop(), key = try pop()
                guard case let .dict(items) = try pop() else { throw fail("SETITEM on a non-dict") }
                stack.append(.dict(items + [(key, value)]))
            case 0x75:  // SETITEMS
                let items = try popMark()
                guard items.count % 2 == 0, case let .dict(existing) = try pop() else { throw fail("bad SETITEMS") }
                stack.append(.dict(existing + stride(from: 0, to: items.count, by: 2).map { (items[$0], items[$0 + 1]) }))
            case 0x71: memo[try uint(1)] = try top()  // BINPUT
            case 0x72: memo[try uint(4)] = try top()  // LONG_BINPUT
            case 0x94: memo[memo.count] = try top()  // MEMOIZE
            case 0x68, 0x6A:  // BINGET, LONG_BINGET
                let key = try uint(op == 0x68 ? 1 : 4)
                guard let value = memo[key] else { throw fail("memo \(key) is empty") }
                stack.append(value)
            case 0x63:  // GLOBAL "module\nname\n"
                let module = try line()
                try push(global: module, try line())
            case 0x93:  // STACK_GLOBAL
                guard case let .string(name) = try pop(), case let .string(module) = try pop() else {
                    throw fail("STACK_GLOBAL needs two strings")
                }
                try push(global: module, name)
            case 0x51:  // BINPERSID: ('storage', StorageClass, key, location, numel)
                guard case let .tuple(id) = try pop(), id.count == 5, case .string("storage") = id[0],
                      case let .string(key) = id[2] else { throw fail("unexpected persistent id") }
                stack.append(.storage(key: key, type: try Self.storageType(id[1])))
            case 0x52:  // REDUCE
                let arguments = try pop(), callable = try pop()
                stack.append(try reduce(callable, arguments))
            case 0x62:  // BUILD: the state dict's `_metadata` attribute; attributes are irrelevant here
                _ = try pop()
                _ = try top()
            default:
                throw .unsupportedOpcode(opcode: op, offset: start)
            }
        }
    }

    private func top() throws(PyTorchError) -> Value {
        guard let value = stack.last else { throw fail("empty stack") }
        return value
    }

    /// Interprets the two allowed calls; the allow-list already rejected every other global.
    private func reduce(_ callable: Value, _ arguments: Value) throws(PyTorchError) -> Value {
        guard case let .global(module, name) = callable, case let .tuple(args) = arguments else {
            throw fail("REDUCE of a non-global")
        }
        switch module + "." + name {
        case "collections.OrderedDict":
            return .dict([])
        case "torch._utils._rebuild_tensor_v2":
            guard args.count >= 4, case let .storage(key, type) = args[0], case let .int(offset) = args[1],
                  case let .tuple(sizes) = args[2], case let .tuple(strides) = args[3] else {
                throw fail("unexpected _rebuild_tensor_v2 arguments")
            }
            func ints(_ values: [Value]) throws(PyTorchError) -> [Int] {
                var result: [Int] = []
                for v in values {
                    guard case let .int(n) = v else { throw fail("non-integer size or stride") }
                    result.append(n)
                }
                return result
            }
            return .tensor(PickledTensor(storageKey: key, type: type, offset: offset, shape: try ints(sizes), stride: try ints(strides)))
        default:
            throw .forbiddenGlobal(module: module, name: name)
        }
    }
}
