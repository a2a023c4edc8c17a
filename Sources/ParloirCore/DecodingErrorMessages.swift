import Foundation

extension DecodingError {
    /// What is wrong with a decoded body, in the words of its fields (`"profile.gender" must be a
    /// string`); nil when the text itself is malformed.
    public var fieldMessage: String? {
        switch self {
        case .keyNotFound(let key, let context):
            return "\(Self.field(context.codingPath + [key])) is required"
        case .valueNotFound(let type, let context) where !context.codingPath.isEmpty:
            return "\(Self.field(context.codingPath)) must be \(Self.kind(type)), not null"
        case .typeMismatch(let type, let context) where !context.codingPath.isEmpty:
            return "\(Self.field(context.codingPath)) must be \(Self.kind(type))"
        case .valueNotFound(let type, _), .typeMismatch(let type, _):
            return "the body must be \(Self.kind(type))"
        case .dataCorrupted(let context) where !context.codingPath.isEmpty:
            return "\(Self.field(context.codingPath)) is invalid: \(context.debugDescription)"
        case .dataCorrupted:
            return nil
        @unknown default:
            return nil
        }
    }

    /// `"profile.consent_at"`, `"tags[2]"`: a field as a client wrote it.
    private static func field(_ path: [any CodingKey]) -> String {
        var name = ""
        for key in path {
            if let index = key.intValue, key.stringValue.hasPrefix("Index ") {
                name += "[\(index)]"
            } else {
                name += (name.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return "\"\(name)\""
    }

    /// What a JSON value of `type` is called.
    private static func kind(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        case is Date.Type: return "a date-time"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "an array" }
            return "an object"
        }
    }
}
