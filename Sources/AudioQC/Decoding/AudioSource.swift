import Foundation

/// Where a recording's bytes come from: a file on disk, or bytes already in memory (an upload).
public enum AudioSource: Sendable {
    case file(String)
    case bytes(Data)

    /// A short name for messages and reports.
    public var displayName: String {
        switch self {
        case .file(let path): return path
        case .bytes(let data): return "<\(data.count) bytes>"
        }
    }
}

/// Why a recording could not be decoded.
public struct DecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A sentence a person understands, with libsndfile's own words where it gave some.
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
