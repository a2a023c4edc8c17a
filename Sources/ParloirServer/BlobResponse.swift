import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ParloirCore

/// Audio answered straight from the blob store, chunk by chunk: a response never holds a whole take.
///
/// With a `Range` header (one range of bytes, RFC 9110 §14) the answer is 206 with that part
/// only: a browser's audio element seeks in what it plays only when the server says it can
/// (`Accept-Ranges: bytes`). The blob is still read from its start (takes are small) and only
/// the asked part is sent. Several ranges, or a header that cannot be read, get the whole file,
/// as the RFC lets a server do; a range past the end is 416.
enum BlobResponse {
    static func make(_ blobs: any BlobStore, sha256: String, contentType: String, recordingID: String,
                     range: String? = nil) async throws -> Response {
        guard let size = try await blobs.size(of: sha256) else {
            throw ParloirError.internalError("the audio of \(recordingID) is missing from the blob store")
        }
        var headers: HTTPFields = [.contentType: contentType, .acceptRanges: "bytes"]
        guard let range, let asked = ByteRange(range, size: size) else {
            return Response(status: .ok, headers: headers, body: body(blobs, sha256: sha256, bytes: 0..<size))
        }
        guard let bytes = asked.bytes else {
            var refusal = JSONResponse.error(ParloirError(
                status: 416, code: "range_not_satisfiable", message: "the audio has \(size) bytes; the range asked lies past them",
                details: ["message_fr": "Cette partie de l'enregistrement n'existe pas. Rechargez la page."]))
            refusal.headers[.contentRange] = "bytes */\(size)"
            return refusal
        }
        headers[.contentRange] = "bytes \(bytes.lowerBound)-\(bytes.upperBound - 1)/\(size)"
        return Response(status: .partialContent, headers: headers, body: body(blobs, sha256: sha256, bytes: bytes))
    }

    /// The blob's `bytes`, streamed: the chunks before them skipped, the part of each chunk
    /// within them written.
    private static func body(_ blobs: any BlobStore, sha256: String, bytes: Range<Int>) -> ResponseBody {
        ResponseBody(contentLength: bytes.count) { writer in
            let box = WriterBox(writer)
            let offset = Offset()
            try await blobs.read(sha256) { chunk in
                let start = offset.value
                offset.value += chunk.count
                let lower = max(bytes.lowerBound, start), upper = min(bytes.upperBound, start + chunk.count)
                guard lower < upper else { return }
                if lower == start && upper == start + chunk.count {
                    try await box.write(chunk)
                } else {
                    try await box.write(Array(chunk[(lower - start)..<(upper - start)]))
                }
            }
            writer = box.writer
            try await writer.finish(nil)
        }
    }

    /// How far a streaming read has come (the sink is called one chunk at a time).
    private final class Offset: @unchecked Sendable {
        var value = 0
    }
}

/// One `Range: bytes=…` of a file of `size` bytes: `first-last`, `first-` or `-suffix`.
struct ByteRange: Equatable {
    /// The bytes asked, clipped to the file; nil when none of them exists (416).
    let bytes: Range<Int>?

    /// Nil when the header is not one range of bytes, which is then ignored (the whole file is sent).
    init?(_ header: String, size: Int) {
        let value = header.trimmingCharacters(in: .whitespaces)
        guard value.lowercased().hasPrefix("bytes="), !value.contains(",") else { return nil }
        let spec = value.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let first = parts[0].trimmingCharacters(in: .whitespaces), last = parts[1].trimmingCharacters(in: .whitespaces)
        guard first.allSatisfy(\.isASCIIDigitValue), last.allSatisfy(\.isASCIIDigitValue) else { return nil }
        if first.isEmpty {
            // The last `suffix` bytes.
            guard let suffix = Int(last) else { return nil }
            bytes = suffix > 0 && size > 0 ? max(0, size - suffix)..<size : nil
            return
        }
        guard let start = Int(first) else { return nil }
        var end = size - 1
        if !last.isEmpty {
            guard let asked = Int(last), asked >= start else { return nil }
            end = min(asked, size - 1)
        }
        bytes = start < size ? start..<(end + 1) : nil
    }
}

private extension Character {
    var isASCIIDigitValue: Bool { isASCII && isWholeNumber }
}

/// The response writer handed to a streaming producer (the blob store's sink, an archive), which
/// calls it one chunk at a time.
final class WriterBox: @unchecked Sendable {
    var writer: any ResponseBodyWriter

    init(_ writer: any ResponseBodyWriter) { self.writer = writer }

    func write(_ chunk: [UInt8]) async throws {
        try await writer.write(ByteBuffer(bytes: chunk))
    }
}
