/// A failure a client must be told about: an HTTP status, a stable machine-readable `code`, and
/// a sentence for people. Growable: new cases are new static factories.
public struct ParloirError: Error, Sendable, Equatable, CustomStringConvertible {
    /// HTTP status the failure maps to.
    public let status: Int
    /// Stable code clients may switch on.
    public let code: String
    /// What went wrong, in a sentence.
    public let message: String
    /// Extra members for the error object (for example the quota `cell`, or `message_fr`).
    public let details: [String: String]
    /// Seconds after which the client may try again (`Retry-After`), for failures that pass.
    public let retryAfter: Int?

    public init(status: Int, code: String, message: String, details: [String: String] = [:], retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.retryAfter = retryAfter
    }

    public var description: String { "\(code): \(message)" }

    public static func badRequest(_ message: String, code: String = "bad_request") -> ParloirError {
        ParloirError(status: 400, code: code, message: message)
    }
    public static func unauthorized(_ message: String = "a valid bearer token is required") -> ParloirError {
        ParloirError(status: 401, code: "unauthorized", message: message)
    }
    public static func forbidden(_ message: String) -> ParloirError {
        ParloirError(status: 403, code: "forbidden", message: message)
    }
    public static func notFound(_ what: String) -> ParloirError {
        ParloirError(status: 404, code: "not_found", message: "\(what) does not exist")
    }
    public static func conflict(_ code: String, _ message: String, details: [String: String] = [:]) -> ParloirError {
        ParloirError(status: 409, code: code, message: message, details: details)
    }
    public static func tooLarge(limit: Int) -> ParloirError {
        ParloirError(status: 413, code: "payload_too_large", message: "the body is larger than the limit of \(limit) bytes")
    }
    public static func unsupportedMediaType(_ type: String?, accepted: [String]) -> ParloirError {
        ParloirError(status: 415, code: "unsupported_media_type",
                     message: "content type \(type ?? "(none)") is not accepted here; use one of \(accepted.joined(separator: ", "))")
    }
    /// The service is at capacity: nothing was kept, and the client may retry after `retryAfter` seconds.
    public static func busy(_ message: String, messageFR: String, retryAfter: Int) -> ParloirError {
        ParloirError(status: 503, code: "busy", message: message, details: ["message_fr": messageFR], retryAfter: retryAfter)
    }
    public static func internalError(_ message: String = "the server failed; nothing was stored") -> ParloirError {
        ParloirError(status: 500, code: "internal", message: message)
    }
}
