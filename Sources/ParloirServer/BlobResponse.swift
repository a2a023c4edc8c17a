import Hummingbird
import NIOCore
import ParloirCore

/// Audio answered straight from the blob store, chunk by chunk: a response never holds a whole take.
enum BlobResponse {
    static func make(_ blobs: any BlobStore, sha256: String, contentType: String, recordingID: String) async throws -> Response {
        guard let size = try await blobs.size(of: sha256) else {
            throw ParloirError.internalError("the audio of \(recordingID) is missing from the blob store")
        }
        let body = ResponseBody(contentLength: size) { writer in
            let box = WriterBox(writer)
            try await blobs.read(sha256) { chunk in try await box.write(chunk) }
            writer = box.writer
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: contentType], body: body)
    }
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
