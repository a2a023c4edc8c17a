import Crypto
import Foundation

/// AWS Signature Version 4 in its header form (`Authorization: AWS4-HMAC-SHA256 …`).
///
/// The signer is a pure function of its inputs, the date included, so the published AWS
/// examples pin it byte for byte.
struct SignatureV4: Sendable {
    /// A header as sent: name in any case, value as given.
    typealias Header = (name: String, value: String)

    let accessKeyID: String
    let secretAccessKey: String
    let region: String
    let service: String

    /// SHA-256 of the empty body, the payload hash of every request without one.
    static let emptyPayloadSHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// `headers` (which must hold `Host`) plus `x-amz-date`, `x-amz-content-sha256` and `Authorization`.
    ///
    /// `path` is the object's path before encoding (`/bucket/key`); `query` holds names and values
    /// before encoding. Every header given is signed, so a proxy cannot alter one unnoticed.
    func sign(
        method: String,
        path: String,
        query: [Header] = [],
        headers: [Header],
        payloadSHA256: String,
        date: Date
    ) -> [Header] {
        let (amzDate, dateStamp) = Self.timestamps(date)
        let allHeaders = headers + [("x-amz-content-sha256", payloadSHA256), ("x-amz-date", amzDate)]
        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(allHeaders)
        let canonicalRequest = [
            method,
            Self.canonicalURI(path),
            Self.canonicalQuery(query),
            canonicalHeaders,
            signedHeaders,
            payloadSHA256,
        ].joined(separator: "\n")
        let scope = "\(dateStamp)/\(region)/\(service)/aws4_request"
        let stringToSign = [
            "AWS4-HMAC-SHA256",
            amzDate,
            scope,
            Self.hex(SHA256.hash(data: Data(canonicalRequest.utf8))),
        ].joined(separator: "\n")
        let signature = Self.hex(
            HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: signingKey(dateStamp: dateStamp))
        )
        let authorization =
            "AWS4-HMAC-SHA256 Credential=\(accessKeyID)/\(scope),SignedHeaders=\(signedHeaders),Signature=\(signature)"
        return allHeaders + [("Authorization", authorization)]
    }

    /// The key of one day, region and service: an HMAC chain seeded with the secret.
    func signingKey(dateStamp: String) -> SymmetricKey {
        var key = SymmetricKey(data: Data("AWS4\(secretAccessKey)".utf8))
        for part in [dateStamp, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return key
    }

    /// Percent-encodes every byte but `A-Z a-z 0-9 - _ . ~` (and `/` when `keepSlash`), as AWS requires;
    /// Foundation's URL encoders leave other characters alone and would break the signature.
    static func uriEncode(_ text: String, keepSlash: Bool) -> String {
        var encoded = ""
        encoded.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                UInt8(ascii: "."), UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepSlash:
                encoded.append("/")
            default:
                encoded += String(format: "%%%02X", byte)
            }
        }
        return encoded
    }

    /// The path as it goes on the wire and into the signature: S3 encodes each segment once.
    static func canonicalURI(_ path: String) -> String {
        path.isEmpty ? "/" : uriEncode(path, keepSlash: true)
    }

    /// The query string as it goes on the wire and into the signature: encoded, sorted by name then value.
    static func canonicalQuery(_ query: [Header]) -> String {
        let encoded: [(name: String, value: String)] = query.map { (uriEncode($0.name, keepSlash: false), uriEncode($0.value, keepSlash: false)) }
        let sorted = encoded.sorted { (a, b) -> Bool in a.name == b.name ? a.value < b.value : a.name < b.name }
        return sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
    }

    private static func canonicalHeaders(_ headers: [Header]) -> (canonical: String, signed: String) {
        var values: [String: [String]] = [:]
        for header in headers {
            let value = header.value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            values[header.name.lowercased(), default: []].append(value)
        }
        let names = values.keys.sorted()
        let canonical = names.map { "\($0):\(values[$0]!.joined(separator: ","))\n" }.joined()
        return (canonical, names.joined(separator: ";"))
    }

    private static func timestamps(_ date: Date) -> (amzDate: String, dateStamp: String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let dateStamp = String(format: "%04d%02d%02d", parts.year!, parts.month!, parts.day!)
        return (dateStamp + String(format: "T%02d%02d%02dZ", parts.hour!, parts.minute!, parts.second!), dateStamp)
    }

    static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
