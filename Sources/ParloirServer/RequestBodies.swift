import Foundation
import Hummingbird
import ParloirCore

/// Reading request bodies with a size limit, and JSON bodies into their types, as errors
/// Parloir's clients understand: whatever is wrong with a body is a 400 that names the field.
enum RequestBodies {
    /// Largest JSON body a route reads.
    static let jsonLimit = 1 << 20

    static func data(_ request: Request, limit: Int) async throws -> Data {
        var collected = Data()
        for try await buffer in request.body {
            if collected.count + buffer.readableBytes > limit { throw ParloirError.tooLarge(limit: limit) }
            collected.append(contentsOf: buffer.readableBytesView)
        }
        return collected
    }

    static func text(_ request: Request, limit: Int) async throws -> String {
        let data = try await data(request, limit: limit)
        guard let text = String(data: data, encoding: .utf8) else {
            throw ParloirError.badRequest("the body is not UTF-8 text", code: "malformed_body")
        }
        return text
    }

    /// A JSON body that must be there, as `T`.
    static func json<T: Decodable>(_ type: T.Type, _ request: Request, limit: Int = jsonLimit) async throws -> T {
        let data = try await data(request, limit: limit)
        guard !data.isEmpty else { throw ParloirError.badRequest("the body is empty: send a JSON object", code: "empty_body") }
        return try decode(T.self, from: data)
    }

    /// `data` as `T`, or a 400 `malformed_json` saying which field is wrong and how.
    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom(dateTime)
        do {
            return try decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            throw ParloirError.badRequest(error.fieldMessage ?? "the body is not valid JSON", code: "malformed_json")
        }
    }

    /// The case of `T` that a field's value names, or a 400 listing the values it may take.
    static func choice<T: RawRepresentable & CaseIterable>(_ value: String, field: String) throws -> T where T.RawValue == String {
        guard let choice = T(rawValue: value) else {
            throw ParloirError.badRequest("\"\(field)\" must be one of \(T.allCases.map(\.rawValue).joined(separator: ", "))", code: "malformed_json")
        }
        return choice
    }

    /// An RFC 3339 date-time (`2026-01-31T09:00:00Z`, with or without fractions of a second).
    static func dateTime(_ decoder: any Decoder) throws -> Date {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self).uppercased()
        let whole = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = whole.date(from: text) ?? fractional.date(from: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a date-time such as 2026-01-31T09:00:00Z")
        }
        return date
    }
}
