import AudioQC
import Foundation
import HTTPTypes
import NIOCore
import Hummingbird
import Logging
import ParloirCore

/// Turns every failure into `{"error": {"code", "message"}}` with its HTTP status: Parloir's
/// own errors (the domain's typed ones through `DomainErrors`), Hummingbird's (unknown route, body too large) and unexpected ones (500, logged).
struct JSONErrorMiddleware: RouterMiddleware {
    typealias Context = ParloirContext

    func handle(_ request: Request, context: ParloirContext, next: (Request, ParloirContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            if let mapped = DomainErrors.http(error) { return JSONResponse.error(mapped) }
            if let error = error as? any HTTPResponseError {
                let status = Int(error.status.code)
                return JSONResponse.error(ParloirError(status: status, code: Self.code(for: status), message: Self.message(for: error)))
            }
            context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return JSONResponse.error(.internalError())
        }
    }

    static func code(for status: Int) -> String {
        switch status {
        case 400: return "bad_request"
        case 401: return "unauthorized"
        case 403: return "forbidden"
        case 404: return "not_found"
        case 405: return "method_not_allowed"
        case 409: return "conflict"
        case 413: return "payload_too_large"
        case 415: return "unsupported_media_type"
        default: return status >= 500 ? "internal" : "error"
        }
    }

    static func message(for error: any HTTPResponseError) -> String {
        if let error = error as? HTTPError, let body = error.body, !body.isEmpty { return body }
        switch error.status.code {
        case 404: return "no such route"
        case 413: return "the body is larger than this route accepts"
        default: return error.status.reasonPhrase
        }
    }
}

/// JSON bodies for responses, snake_case keys and ISO 8601 dates.
enum JSONResponse {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    /// A response with `value` as its JSON body.
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        make(body: try encoder.encode(value), status: status)
    }

    /// A response with an ordered JSON body.
    static func make(_ json: OrderedJSON, status: HTTPResponse.Status = .ok) -> Response {
        make(body: Data(json.serialized().utf8), status: status)
    }

    /// A response with an already encoded JSON body.
    static func make(body: Data, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func error(_ error: ParloirError) -> Response {
        var object: [String: String] = ["code": error.code, "message": error.message]
        for (key, value) in error.details { object[key] = value }
        object["message_fr"] = FrenchMessages.text(for: error)
        if let id = RequestID.current { object["request_id"] = id }
        let body = (try? encoder.encode(["error": object])) ?? Data()
        var response = make(body: body, status: HTTPResponse.Status(code: error.status))
        if let seconds = error.retryAfter { response.headers[.retryAfter] = String(seconds) }
        return response
    }
}
