import Foundation

/// A comma-separated list of counts, as llama.cpp's benchmark tools take them (`-t 1,2`, `-npl 1,2,4,8`).
public struct CountList: Sendable, Equatable {
    public let values: [Int]

    public init(_ values: [Int]) { self.values = values }

    /// Parses `"1,2,4"`; `nil` for an empty list or anything that is not an integer.
    public init?(parsing text: String) {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { return nil }
        values = parts.compactMap { $0 }
    }

    /// The list as it is written on a command line.
    public var text: String { values.map(String.init).joined(separator: ",") }
}
