import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import ParloirCore
import ParloirServer
import Testing

/// The service answers as `openapi.yaml` says, over real HTTP: a method a path does not take is
/// a 405 with `Allow`, an unknown path a 404.
struct SpecConformanceTests {
    /// A request with a method its path does not take, and the methods the path does.
    struct WrongMethod: Sendable, CustomTestStringConvertible {
        let method: HTTPRequest.Method
        let path: String
        let allow: String
        var testDescription: String { "\(method.rawValue) \(path)" }
    }

    static let wrongMethods = [
        WrongMethod(method: .delete, path: "/v1/campaigns", allow: "GET, POST"),
        WrongMethod(method: .put, path: "/v1/campaigns/cmp-0/prompts", allow: "POST"),
        WrongMethod(method: .get, path: "/v1/members", allow: "POST"),
        WrongMethod(method: .post, path: "/v1/campaigns/cmp-0/report", allow: "GET"),
        WrongMethod(method: .get, path: "/v1/assignments/asg-0/recording", allow: "PUT"),
        WrongMethod(method: .patch, path: "/v1/recordings/rec-0", allow: "GET"),
        WrongMethod(method: .get, path: "/v1/verification/claim", allow: "POST"),
        WrongMethod(method: .trace, path: "/healthz", allow: "GET"),
        WrongMethod(method: .head, path: "/openapi.yaml", allow: "GET"),
    ]

    @Test(arguments: wrongMethods)
    func aMethodThePathDoesNotTakeIs405WithAllow(_ wrong: WrongMethod) async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let response = try await session.client.execute(uri: wrong.path, method: wrong.method,
                                                             headers: [.authorization: "Bearer \(session.adminToken)"], body: nil)
            #expect(response.status.code == 405)
            #expect(response.headers[.allow] == wrong.allow)
            if wrong.method != .head {
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                let error = try #require((try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])?["error"] as? [String: Any])
                #expect(error["code"] as? String == "method_not_allowed")
                #expect((error["message"] as? String)?.contains(wrong.allow) == true)
            }
        }
    }

    @Test func aWrongMethodIs405WithoutAToken() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let response = try await session.client.execute(uri: "/v1/campaigns", method: .delete, headers: [:], body: nil)
            #expect(response.status.code == 405)
            #expect(response.headers[.allow] == "GET, POST")
        }
    }

    @Test func unknownPathsAre404WhateverTheMethod() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            for (method, path) in [(HTTPRequest.Method.get, "/v1/nothing"), (.delete, "/v1/nothing"), (.get, "/v1/campaigns/cmp-0/unknown"),
                                   (.post, "/v1/recordings/rec-0/audio/more"), (.get, "/")] {
                let answer = try await session.request(method, path, token: session.adminToken)
                #expect(answer.status == 404, "\(method) \(path)")
                #expect(answer.errorCode == "not_found", "\(method) \(path)")
            }
            // A known route's own 404 (an unknown id) stays a 404 too.
            let missing = try await session.request(.get, "/v1/campaigns/cmp-0/report", token: session.adminToken)
            #expect(missing.status == 404 && missing.errorCode == "not_found")
        }
    }
}
