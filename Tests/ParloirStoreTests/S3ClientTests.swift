import Crypto
import Foundation
import NIOCore
import ParloirTestServers
import Testing

@testable import ParloirStore

/// The worked examples of AWS's S3 Signature Version 4 documentation, signed byte for byte.
struct S3SignatureTests {
    static let signer = SignatureV4(
        accessKeyID: "AKIAIOSFODNN7EXAMPLE",
        secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        region: "us-east-1",
        service: "s3"
    )
    /// 2013-05-24T00:00:00Z, the date of every S3 example.
    static let exampleDate = Date(timeIntervalSince1970: 1_369_353_600)

    static func authorization(_ headers: [SignatureV4.Header]) -> String? {
        headers.first { $0.name == "Authorization" }?.value
    }

    @Test func derivesTheDocumentedSigningKey() {
        let signer = SignatureV4(
            accessKeyID: "AKIDEXAMPLE",
            secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            region: "us-east-1",
            service: "iam"
        )
        let key = signer.signingKey(dateStamp: "20120215").withUnsafeBytes { SignatureV4.hex($0) }
        #expect(key == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d")
    }

    @Test func signsTheDocumentedRangedGetObject() {
        let headers = Self.signer.sign(
            method: "GET",
            path: "/test.txt",
            headers: [("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9")],
            payloadSHA256: SignatureV4.emptyPayloadSHA256,
            date: Self.exampleDate
        )
        #expect(
            Self.authorization(headers)
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        )
        #expect(headers.contains { $0.name == "x-amz-date" && $0.value == "20130524T000000Z" })
    }

    @Test func signsTheDocumentedPutObjectWithAnEncodedKey() {
        let headers = Self.signer.sign(
            method: "PUT",
            path: "/test$file.text",
            headers: [
                ("Host", "examplebucket.s3.amazonaws.com"),
                ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
                ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ],
            payloadSHA256: SignatureV4.hex(SHA256.hash(data: Data("Welcome to Amazon S3.".utf8))),
            date: Self.exampleDate
        )
        #expect(
            Self.authorization(headers)?.hasSuffix(
                "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
            ) == true
        )
        #expect(SignatureV4.canonicalURI("/test$file.text") == "/test%24file.text")
    }

    @Test func signsTheDocumentedListingWhateverTheQueryOrder() {
        let headers = Self.signer.sign(
            method: "GET",
            path: "/",
            query: [("prefix", "J"), ("max-keys", "2")],
            headers: [("Host", "examplebucket.s3.amazonaws.com")],
            payloadSHA256: SignatureV4.emptyPayloadSHA256,
            date: Self.exampleDate
        )
        #expect(
            Self.authorization(headers)?.hasSuffix(
                "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
            ) == true
        )
    }

    @Test func encodesEverythingButUnreservedCharacters() {
        #expect(SignatureV4.uriEncode("a b/c~d._-*é", keepSlash: false) == "a%20b%2Fc~d._-%2A%C3%A9")
        #expect(SignatureV4.canonicalURI("/bucket/dir/a b+c") == "/bucket/dir/a%20b%2Bc")
        #expect(SignatureV4.canonicalQuery([("b", "2"), ("a", "x/y=z"), ("a", "1")]) == "a=1&a=x%2Fy%3Dz&b=2")
    }
}

/// How `s3://` URLs and the `AWS_*` variables become a configuration.
struct S3ConfigurationTests {
    static let credentials = ["AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "secret"]

    @Test func readsBucketPrefixAndDefaults() throws {
        let configuration = try S3Configuration.fromEnvironment(url: "s3://audio-bucket/campaigns/fr/", environment: Self.credentials)
        #expect(configuration.bucket == "audio-bucket")
        #expect(configuration.prefix == "campaigns/fr")
        #expect(configuration.region == "us-east-1")
        #expect(configuration.endpoint.absoluteString == "https://s3.us-east-1.amazonaws.com")
        #expect(!configuration.description.contains("secret"))
    }

    @Test func takesRegionAndEndpointFromTheEnvironment() throws {
        var environment = Self.credentials
        environment["AWS_REGION"] = "eu-west-3"
        environment["AWS_ENDPOINT_URL"] = "http://127.0.0.1:8333"
        let configuration = try S3Configuration.fromEnvironment(url: "s3://audio-bucket", environment: environment)
        #expect(configuration.prefix == "")
        #expect(configuration.region == "eu-west-3")
        #expect(configuration.endpoint.absoluteString == "http://127.0.0.1:8333")
    }

    @Test func namesTheMissingCredentials() {
        #expect(throws: S3Error.missingCredentials(["AWS_SECRET_ACCESS_KEY"])) {
            try S3Configuration.fromEnvironment(url: "s3://audio-bucket", environment: ["AWS_ACCESS_KEY_ID": "id"])
        }
    }

    @Test(arguments: ["audio-bucket", "https://audio-bucket", "s3://", "s3:///prefix", "s3://Audio_Bucket", "s3://bucket?x=1"])
    func refusesWhatIsNotAnS3URL(_ url: String) {
        #expect {
            try S3Configuration.fromEnvironment(url: url, environment: Self.credentials)
        } throws: { error in
            guard case .invalidURL = error as? S3Error else { return false }
            return true
        }
    }

    @Test func refusesAnEndpointWithAPath() {
        var environment = Self.credentials
        environment["AWS_ENDPOINT_URL"] = "http://127.0.0.1:8333/s3"
        #expect {
            try S3Configuration.fromEnvironment(url: "s3://audio-bucket", environment: environment)
        } throws: { error in
            guard case .invalidURL = error as? S3Error else { return false }
            return true
        }
    }
}

/// The client against a real S3 server (`PARLOIR_TEST_S3`, e.g. the SeaweedFS of scripts/lib/seaweedfs.sh).
///
/// Every test works under its own prefix of one bucket, so tests run in parallel and reruns never collide.
@Suite(.enabled(if: TestServers.s3 != nil, "PARLOIR_TEST_S3 names no S3 server"))
struct S3ClientTests {
    static let bucket = "parloir-test"

    static func withClient(
        bucket: String = Self.bucket,
        secretAccessKey: String? = nil,
        _ body: (S3Client) async throws -> Void
    ) async throws {
        var environment = ProcessInfo.processInfo.environment
        environment["AWS_ENDPOINT_URL"] = TestServers.s3
        if let secretAccessKey { environment["AWS_SECRET_ACCESS_KEY"] = secretAccessKey }
        let configuration = try S3Configuration.fromEnvironment(
            url: "s3://\(bucket)/run-\(UUID().uuidString.lowercased())",
            environment: environment
        )
        let client = S3Client(configuration: configuration)
        do {
            if secretAccessKey == nil, bucket == Self.bucket { try await client.createBucketIfMissing() }
            try await body(client)
        } catch {
            try await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    /// `count` reproducible pseudo-random bytes (a linear congruential generator's high bytes).
    static func pseudoRandomBytes(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
    }

    /// Writes `bytes` to a new temporary file and returns its path; the caller removes it.
    static func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("parloir-s3-\(UUID().uuidString)").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func put(_ client: S3Client, key: String, bytes: [UInt8]) async throws {
        let path = try temporaryFile(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await client.putObject(
            key: key,
            fileAt: path,
            sha256: SignatureV4.hex(SHA256.hash(data: bytes)),
            byteCount: bytes.count,
            contentType: "application/octet-stream"
        )
    }

    @Test func streamsAFileUpAndBackInChunks() async throws {
        try await Self.withClient { client in
            let bytes = Self.pseudoRandomBytes(count: 3_000_017, seed: 1)
            let path = try Self.temporaryFile(bytes)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let sha256 = SignatureV4.hex(SHA256.hash(data: bytes))
            try await client.putObject(
                key: "takes/\(sha256).wav",
                fileAt: path,
                sha256: sha256,
                byteCount: bytes.count,
                contentType: "audio/wav"
            )

            var hasher = SHA256()
            var chunks = 0
            var received = 0
            try await client.getObject(key: "takes/\(sha256).wav") { chunk in
                chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                chunks += 1
                received += chunk.readableBytes
            }
            #expect(received == bytes.count)
            #expect(SignatureV4.hex(hasher.finalize()) == sha256)
            #expect(chunks > 1)
            #expect(try await client.headObject(key: "takes/\(sha256).wav") == bytes.count)
            let written = try #require(try await client.lastModified(key: "takes/\(sha256).wav"))
            #expect(abs(written.timeIntervalSinceNow) < 300)
        }
    }

    @Test func readsAByteRange() async throws {
        try await Self.withClient { client in
            let bytes = Self.pseudoRandomBytes(count: 100_000, seed: 2)
            try await Self.put(client, key: "ranged", bytes: bytes)
            var received: [UInt8] = []
            try await client.getObject(key: "ranged", range: 1_000...1_999) { received += Array($0.readableBytesView) }
            #expect(received == Array(bytes[1_000...1_999]))
        }
    }

    @Test func listsNamesPageByPage() async throws {
        try await Self.withClient { client in
            let names = (0..<5).map { "listed/\($0)" }
            for name in names + ["elsewhere"] {
                try await Self.put(client, key: name, bytes: Array(name.utf8))
            }

            let firstPage = try await client.listPage(prefix: "listed/", pageSize: 2, continuationToken: nil)
            #expect(firstPage.names == ["listed/0", "listed/1"])
            #expect(firstPage.continuationToken != nil)

            var listed: [String] = []
            for try await name in client.listObjects(prefix: "listed/", pageSize: 2) {
                listed.append(name)
            }
            #expect(listed == names)

            var everything: [String] = []
            for try await name in client.listObjects() {
                everything.append(name)
            }
            #expect(everything == ["elsewhere"] + names)
        }
    }

    @Test func deletedObjectIsGone() async throws {
        try await Self.withClient { client in
            try await Self.put(client, key: "doomed", bytes: [1, 2, 3])
            #expect(try await client.headObject(key: "doomed") == 3)
            try await client.deleteObject(key: "doomed")
            #expect(try await client.headObject(key: "doomed") == nil)
            #expect(try await client.lastModified(key: "doomed") == nil)
            try await client.deleteObject(key: "doomed")
        }
    }

    @Test func missingObjectIsNotFound() async throws {
        try await Self.withClient { client in
            await #expect(throws: S3Error.notFound(key: "never-written")) {
                try await client.getObject(key: "never-written") { _ in }
            }
        }
    }

    @Test func fileShorterThanAnnouncedIsRefused() async throws {
        try await Self.withClient { client in
            let bytes = Self.pseudoRandomBytes(count: 1_000, seed: 3)
            let path = try Self.temporaryFile(bytes)
            defer { try? FileManager.default.removeItem(atPath: path) }
            await #expect {
                try await client.putObject(
                    key: "short",
                    fileAt: path,
                    sha256: SignatureV4.hex(SHA256.hash(data: bytes)),
                    byteCount: bytes.count + 10,
                    contentType: "application/octet-stream"
                )
            } throws: { error in
                guard case .unreadableFile(path, _) = error as? S3Error else { return false }
                return true
            }
            #expect(try await client.headObject(key: "short") == nil)
        }
    }

    @Test func wrongSecretIsForbidden() async throws {
        try await Self.withClient(secretAccessKey: "not-the-secret") { client in
            await #expect {
                try await client.getObject(key: "anything") { _ in }
            } throws: { error in
                guard case .http(let status, let code, _) = error as? S3Error else { return false }
                return status == 403 && code == "SignatureDoesNotMatch"
            }
        }
    }

    @Test func creatingTheBucketTwiceSucceeds() async throws {
        try await Self.withClient { client in
            try await client.createBucketIfMissing()
            try await client.ping()
        }
    }

    @Test func pingNamesAMissingBucket() async throws {
        try await Self.withClient(bucket: "parloir-absent-\(UInt32.random(in: 0...UInt32.max))") { client in
            await #expect(throws: S3Error.http(status: 404, code: "NoSuchBucket", message: "bucket \(client.configuration.bucket) does not exist")) {
                try await client.ping()
            }
        }
    }
}
