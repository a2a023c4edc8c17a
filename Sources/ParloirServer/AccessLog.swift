import AudioQC
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ParloirCore

/// Where the access log goes: one JSON line per request.
public enum AccessLogDestination: Sendable, Equatable {
    case standardOutput
    case file(String)
    case off
}

/// Writes access log lines whole (one `write` each, so lines from concurrent requests never
/// interleave) to standard output or a file opened for appending (mode 0600).
final class AccessLogWriter: Sendable {
    private let descriptor: Int32?

    init(_ destination: AccessLogDestination) throws {
        switch destination {
        case .standardOutput: descriptor = STDOUT_FILENO
        case .off: descriptor = nil
        case .file(let path):
            let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw ParloirError.internalError("cannot open the access log \(path): \(String(cString: strerror(errno)))") }
            descriptor = fd
        }
    }

    var isOn: Bool { descriptor != nil }

    func write(_ line: String) {
        guard let descriptor else { return }
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }
}

/// The request id of the request being handled, for the error bodies made deep inside it.
enum RequestID {
    @TaskLocal static var current: String?

    static let header = HTTPField.Name("X-Request-Id")!

    /// The id a client sent, if it is a sane one (1 to 128 letters, digits, `.`, `_`, `:`, `-`),
    /// otherwise a new one.
    static func accept(_ sent: String?) -> String {
        if let sent, (1...128).contains(sent.utf8.count),
           sent.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 46 || $0 == 95 || $0 == 58 || $0 == 45 }) {
            return sent
        }
        return Identifiers.make("req")
    }
}

/// The outermost middleware: gives the request its id (`X-Request-Id`, echoed on the response
/// and put in every log line and error body of the request), resolves the client's address, and
/// writes one access log line when the response is written: time, id, method, route template,
/// status, duration, bytes in and out, member (a pseudonymous id, or `anonymous`) and client
/// address. Never a token, a body, audio or a transcript.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = ParloirContext
    let writer: AccessLogWriter
    let trustedProxies: [IPNetwork]

    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    func handle(_ request: Request, context: ParloirContext, next: (Request, ParloirContext) async throws -> Response) async throws -> Response {
        let started = Date()
        let clock = ContinuousClock.now
        let id = RequestID.accept(request.headers[RequestID.header])
        var context = context
        context.clientAddress = ClientAddress.resolve(peer: context.peer, forwardedFor: request.headers[values: Self.forwardedFor],
                                                      trusted: trustedProxies)
        context.logger[metadataKey: "request_id"] = .string(id)
        var request = request
        let bytesIn = ByteCounter()
        if writer.isOn {
            request.body = RequestBody(asyncSequence: request.body.map { buffer in
                bytesIn.add(buffer.readableBytes)
                return buffer
            })
        }
        let entry = Entry(started: started, clock: clock, id: id, method: request.method.rawValue, context: context, bytesIn: bytesIn)
        var response: Response
        do {
            response = try await RequestID.$current.withValue(id) { try await next(request, context) }
        } catch {
            entry.write(to: writer, status: 500, bytesOut: 0)
            throw error
        }
        response.headers[RequestID.header] = id
        guard writer.isOn else { return response }
        let status = Int(response.status.code)
        if let length = response.body.contentLength {
            entry.write(to: writer, status: status, bytesOut: length)
            return response
        }
        // A streamed body (audio, an archive): the line is written once its last byte is.
        let body = response.body
        let writer = self.writer
        response.body = ResponseBody { bodyWriter in
            let bytesOut = ByteCounter()
            do {
                try await body.write(CountingBodyWriter(base: bodyWriter, counter: bytesOut))
                entry.write(to: writer, status: status, bytesOut: bytesOut.value)
            } catch {
                entry.write(to: writer, status: status, bytesOut: bytesOut.value)
                throw error
            }
        }
        return response
    }

    /// What the line says of a request, known before its response.
    struct Entry: Sendable {
        let started: Date
        let clock: ContinuousClock.Instant
        let id: String
        let method: String
        let context: ParloirContext
        let bytesIn: ByteCounter

        func write(to writer: AccessLogWriter, status: Int, bytesOut: Int) {
            let elapsed = ContinuousClock.now - clock
            let milliseconds = elapsed.seconds * 1000
            writer.write(OrderedJSON.object([
                ("time", .string(AccessLogMiddleware.timestamp(started))),
                ("request_id", .string(id)),
                ("method", .string(method)),
                ("route", .string(context.endpointPath ?? "unmatched")),
                ("status", .int(status)),
                ("duration_ms", .double((milliseconds * 1000).rounded() / 1000)),
                ("bytes_in", .int(bytesIn.value)),
                ("bytes_out", .int(bytesOut)),
                ("member", .string(context.record.memberID ?? "anonymous")),
                ("client", .string(context.clientAddress)),
            ]).serialized())
        }
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

/// A byte count shared between a body and the line that reports it.
final class ByteCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func add(_ bytes: Int) { lock.withLock { count += bytes } }
    var value: Int { lock.withLock { count } }
}

/// Passes a response body through, counting its bytes.
struct CountingBodyWriter: ResponseBodyWriter {
    var base: any ResponseBodyWriter
    let counter: ByteCounter

    mutating func write(_ buffer: ByteBuffer) async throws {
        counter.add(buffer.readableBytes)
        try await base.write(buffer)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await base.finish(trailingHeaders)
    }
}
