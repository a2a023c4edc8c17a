import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import ParloirCore
import ParloirServer
import Testing

/// The service answers as `openapi.yaml` says, over real HTTP: a method a path does not take is
/// a 405 with `Allow`, an unknown path a 404, and every malformed body a 400 that names the field.
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
        WrongMethod(method: .put, path: "/v1/campaigns/cmp-0/prompts", allow: "GET, POST"),
        WrongMethod(method: .delete, path: "/v1/members", allow: "GET, POST"),
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
                                   (.post, "/v1/recordings/rec-0/audio/more"), (.get, "/verify/more")] {
                let answer = try await session.request(method, path, token: session.adminToken)
                #expect(answer.status == 404, "\(method) \(path)")
                #expect(answer.errorCode == "not_found", "\(method) \(path)")
            }
            // A known route's own 404 (an unknown id) stays a 404 too.
            let missing = try await session.request(.get, "/v1/campaigns/cmp-0/report", token: session.adminToken)
            #expect(missing.status == 404 && missing.errorCode == "not_found")
        }
    }

    /// A malformed body on a route that reads JSON (or a campaign spec), and what the 400 must say.
    struct MalformedBody: Sendable, CustomTestStringConvertible {
        enum Caller: Sendable { case admin, worker, verifier }
        let caller: Caller
        let path: String
        let body: String
        var contentType = "application/json"
        let code: String
        let message: String
        var testDescription: String { "\(path) \(body.debugDescription)" }
    }

    static let malformedBodies = [
        MalformedBody(caller: .worker, path: "/v1/recordings/rec-0/appeal", body: #"{"comment": 0}"#,
                      code: "malformed_json", message: #""comment" must be a string"#),
        MalformedBody(caller: .worker, path: "/v1/recordings/rec-0/appeal", body: #"{"comment": "#,
                      code: "malformed_json", message: "the body is not valid JSON"),
        MalformedBody(caller: .worker, path: "/v1/recordings/rec-0/appeal", body: "[]",
                      code: "malformed_json", message: "the body must be an object"),
        MalformedBody(caller: .worker, path: "/v1/recordings/rec-0/appeal", body: #"{"comment": "\#(String(repeating: "é", count: 2001))"}"#,
                      code: "malformed_json", message: #""comment" is longer than 2000 characters"#),
        MalformedBody(caller: .admin, path: "/v1/members", body: "", code: "empty_body", message: "the body is empty"),
        MalformedBody(caller: .admin, path: "/v1/members", body: "{}", code: "malformed_json", message: #""role" is required"#),
        MalformedBody(caller: .admin, path: "/v1/members", body: #"{"role": 5}"#, code: "malformed_json", message: #""role" must be a string"#),
        MalformedBody(caller: .admin, path: "/v1/members", body: #"{"role": null}"#, code: "malformed_json",
                      message: #""role" must be a string, not null"#),
        MalformedBody(caller: .admin, path: "/v1/members", body: #"{"role": "boss"}"#, code: "malformed_json",
                      message: #""role" must be one of admin, worker, verifier, asr"#),
        MalformedBody(caller: .admin, path: "/v1/members", body: #"{"role": "worker", "profile": {"accent": 3}}"#, code: "malformed_json",
                      message: #""profile.accent" must be a string"#),
        MalformedBody(caller: .admin, path: "/v1/members", body: #"{"role": "worker", "profile": {"consent_at": "hier"}}"#,
                      code: "malformed_json", message: #""profile.consent_at" is invalid"#),
        MalformedBody(caller: .admin, path: "/v1/members", body: #"{"role": "worker", "profile": []}"#, code: "malformed_json",
                      message: #""profile" must be an object"#),
        MalformedBody(caller: .admin, path: "/v1/recordings/rec-0/asr", body: #"{"engine": 1, "text": "bonjour"}"#, code: "malformed_json",
                      message: #""engine" must be a string"#),
        MalformedBody(caller: .admin, path: "/v1/recordings/rec-0/asr", body: #"{"engine": "whisper"}"#, code: "malformed_json",
                      message: #""text" is required"#),
        MalformedBody(caller: .admin, path: "/v1/recordings/rec-0/asr", body: #"{"engine": "whisper", "text": "a", "confidence": "haute"}"#,
                      code: "malformed_json", message: #""confidence" must be a number"#),
        MalformedBody(caller: .admin, path: "/v1/recordings/rec-0/asr", body: #"{"engine": "", "text": "a"}"#, code: "malformed_json",
                      message: #""engine" must be 1 to 100 characters"#),
        MalformedBody(caller: .verifier, path: "/v1/verification/tasks/tsk-0/result", body: #"{"verdict": "maybe"}"#, code: "malformed_json",
                      message: #""verdict" must be one of matches_prompt, corrected, unusable"#),
        MalformedBody(caller: .verifier, path: "/v1/verification/tasks/tsk-0/result", body: #"{"verdict": "matches_prompt", "tags": [1]}"#,
                      code: "malformed_json", message: #""tags[0]" must be a string"#),
        MalformedBody(caller: .verifier, path: "/v1/verification/tasks/tsk-0/result", body: #"{"verdict": "corrected", "transcript": "\n"}"#,
                      code: "invalid_result", message: "needs the transcript"),
        MalformedBody(caller: .admin, path: "/v1/verification/gold", body: #"{"recording_id": 7, "verdict": "corrected"}"#, code: "malformed_json",
                      message: #""recording_id" must be a string"#),
        MalformedBody(caller: .admin, path: "/v1/verification/gold", body: #"{"recording_id": "rec-0"}"#, code: "malformed_json",
                      message: #""verdict" is required"#),
        MalformedBody(caller: .admin, path: "/v1/campaigns/{campaign}/prompts", body: #"[{"text": 1}]"#, code: "malformed_json",
                      message: #""[0].text" must be a string"#),
        MalformedBody(caller: .admin, path: "/v1/campaigns/{campaign}/prompts", body: #"{"prompts": "Ferme les volets."}"#, code: "malformed_json",
                      message: #""prompts" must be an array"#),
        MalformedBody(caller: .admin, path: "/v1/campaigns/{campaign}/prompts", body: "5", code: "malformed_json",
                      message: "the body must be an array"),
        MalformedBody(caller: .admin, path: "/v1/campaigns/{campaign}/prompts", body: "", contentType: "text/plain", code: "empty_body",
                      message: "the body is empty"),
        MalformedBody(caller: .admin, path: "/v1/campaigns", body: "name: essai\npurpose: Des phrases pour tester la collecte.\nspeakers_per_prompt: beaucoup\n",
                      contentType: "application/yaml", code: "invalid_spec", message: #""speakers_per_prompt" must be an integer"#),
        MalformedBody(caller: .admin, path: "/v1/campaigns", body: "name: essai\n", contentType: "application/yaml", code: "invalid_spec",
                      message: #""purpose" is required"#),
    ]

    @Test(arguments: malformedBodies)
    func aMalformedBodyIs400NamingTheField(_ malformed: MalformedBody) async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run(loadExample: malformed.path.contains("{campaign}")) { session in
            let token: String
            switch malformed.caller {
            case .admin: token = session.adminToken
            case .worker: token = try await session.addWorker().token
            case .verifier: token = try await session.addMember(role: "verifier").token
            }
            let path = malformed.path.replacingOccurrences(of: "{campaign}", with: session.startup.loadedCampaigns.first?.id ?? "")
            let answer = try await session.request(.post, path, token: token, body: Data(malformed.body.utf8),
                                                   headers: ["Content-Type": malformed.contentType])
            let text = String(decoding: answer.body, as: UTF8.self)
            #expect(answer.status == 400, "\(text)")
            #expect(answer.errorCode == malformed.code, "\(text)")
            let message = try #require((answer["error"] as? [String: Any])?["message"] as? String)
            #expect(message.contains(malformed.message), "\(message)")
        }
    }

    @Test func consentWithFractionsOfASecondIsADateTime() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let answer = try await session.json(.post, "/v1/members", token: session.adminToken,
                                                ["role": "worker", "profile": ["consent_at": "2026-01-05t10:00:00.250+01:00"]])
            #expect(answer.status == 201, "\(String(decoding: answer.body, as: UTF8.self))")
            #expect((answer["profile"] as? [String: Any])?["consent_at"] as? String == "2026-01-05T09:00:00Z")
        }
    }

    @Test func anIdempotencyKeyOver200CharactersIs400() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: CollectionTests.prompts)
            let worker = try await session.addWorker()
            let assignment = try await session.openAssignment(campaign: campaign, token: worker.token)
            let answer = try await session.upload(assignment, token: worker.token, audio: try TestService.sample("clean_fr-fr_0.wav"),
                                                  headers: ["Idempotency-Key": String(repeating: "k", count: 201)])
            #expect(answer.status == 400 && answer.errorCode == "invalid_idempotency_key")
            let shown = try await session.request(.get, "/v1/me", token: worker.token)
            #expect((shown["takes"] as? [String: Int])?.values.reduce(0, +) ?? 0 == 0)
        }
    }

    @Test func promptsImportTakesSentencesObjectsAndTheWrappedForm() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.createCampaign("name: essai\npurpose: Des phrases pour tester la collecte de Parloir.\n")
            let mixed = #"["Ferme les volets du salon.", {"text": "Allume la lumière de la cuisine.", "domain": "maison"}]"#
            let answer = try await session.request(.post, "/v1/campaigns/\(campaign)/prompts", token: session.adminToken,
                                                   body: Data(mixed.utf8), headers: ["Content-Type": "application/json"])
            #expect(answer.status == 200 && answer["imported"] as? Int == 2, "\(String(decoding: answer.body, as: UTF8.self))")
            let wrapped = #"{"prompts": ["Mets un minuteur de dix minutes."]}"#
            let again = try await session.request(.post, "/v1/campaigns/\(campaign)/prompts", token: session.adminToken,
                                                  body: Data(wrapped.utf8), headers: ["Content-Type": "application/json"])
            #expect(again.status == 200 && again["imported"] as? Int == 1)
        }
    }
}
