import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Talks to a running Parloir service with a bearer token, for the admin command line.
public struct AdminClient: Sendable {
    public let server: URL
    public let token: String

    public init(server: URL, token: String) {
        self.server = server
        self.token = token
    }

    /// Reads the token from `path` (the service writes it to `DATA_DIR/admin.token`).
    public init(server: URL, tokenFile path: String) throws(ClientError) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ClientError(message: "cannot read the token file \(path) (start the service once, or give --token-file)", status: nil)
        }
        self.init(server: server, token: text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Sends a request; returns the body of a 2xx answer, or throws the service's error message.
    public func send(_ method: String, _ path: String, body: Data? = nil, contentType: String? = nil) async throws(ClientError) -> Data {
        try await exchange(method, path, body: body, contentType: contentType).body
    }

    /// Sends a request; returns the body of a 2xx answer with its status and content type.
    public func exchange(_ method: String, _ path: String, body: Data? = nil, contentType: String? = nil) async throws(ClientError) -> (body: Data, status: Int, contentType: String?) {
        guard let url = URL(string: path, relativeTo: server) else { throw ClientError(message: "bad path \(path)", status: nil) }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        request.httpBody = body
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw ClientError(message: "cannot reach \(server.absoluteString): \(error.localizedDescription)", status: nil)
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            struct Envelope: Decodable { struct Inner: Decodable { let code: String; let message: String }; let error: Inner }
            if let envelope = try? JSONDecoder().decode(Envelope.self, from: data) {
                throw ClientError(message: "\(envelope.error.message) (\(envelope.error.code), HTTP \(status))", status: status,
                                  code: envelope.error.code)
            }
            throw ClientError(message: "HTTP \(status)", status: status)
        }
        return (data, status, (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Content-Type"))
    }
}

/// A request the service refused or could not receive.
public struct ClientError: Error, Sendable, CustomStringConvertible {
    public let message: String
    /// HTTP status, when the service answered.
    public let status: Int?
    /// The service's error code (`lease_lost`, `member_disabled`), when it gave one.
    public let code: String?
    public var description: String { message }

    public init(message: String, status: Int?, code: String? = nil) {
        self.message = message
        self.status = status
        self.code = code
    }
}
