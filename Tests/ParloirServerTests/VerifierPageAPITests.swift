import AudioQC
import Foundation
import HTTPTypes
import ParloirCore
import ParloirServer
import Testing

/// What the verification page asks of the service beyond the claim: the prompt-to-ASR alignment
/// word by word, the take's waveform drawn by the DSP core, and the French normalisation that
/// scoring applies; every refusal a verifier can meet in French words.
struct VerifierPageAPITests {
    static let prompts = CollectionTests.prompts

    /// A take of `sample` by a new worker, transcribed as `asr`, and a verifier holding its task.
    struct Claimed {
        let verifier: (id: String, token: String)
        let worker: (id: String, token: String)
        let recording: String
        let take: Answer
        let claim: Answer
        var task: String { claim["task_id"] as? String ?? "" }
    }

    static func claimed(_ session: Session, sample: String = "clean_fr-fr_0.wav", asr: String?) async throws -> Claimed {
        let campaign = try await session.smallCampaign(prompts: prompts, speakers: 3)
        let worker = try await session.addWorker()
        let verifier = try await session.addMember(role: "verifier")
        let take = try await session.record(sample, campaign: campaign, token: worker.token)
        let recording = try #require(take["recording_id"] as? String, "\(String(decoding: take.body, as: UTF8.self))")
        if let asr {
            let transcript = try await session.json(.post, "/v1/recordings/\(recording)/asr", token: session.adminToken, ["engine": "e", "text": asr])
            #expect(transcript.status == 201)
        } else {
            let appeal = try await session.json(.post, "/v1/recordings/\(recording)/appeal", token: worker.token, ["comment": "On m'entend."])
            #expect(appeal.status == 201, "\(String(decoding: appeal.body, as: UTF8.self))")
        }
        let claim = try await session.request(.post, "/v1/verification/claim", token: verifier.token)
        #expect(claim.status == 200)
        return Claimed(verifier: verifier, worker: worker, recording: recording, take: take, claim: claim)
    }

    /// The French words of an error answer.
    static func french(_ answer: Answer) -> String {
        ((answer.json["error"] as? [String: Any])?["message_fr"] as? String) ?? ""
    }

    /// The claim's `words`, as `op:ref:hyp` with ∅ for a null side.
    static func steps(_ claim: Answer) -> [String] {
        ((claim["words"] as? [[String: Any]]) ?? []).map { "\($0["op"] as? String ?? "?"):\($0["ref"] as? String ?? "∅"):\($0["hyp"] as? String ?? "∅")" }
    }

    @Test func theClaimCarriesTheAlignmentWordByWordAndThePeaksURL() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let missing = try await Self.claimed(session, asr: "Allume lumière de la cuisine, maintenant !")
            #expect(missing.claim["diff"] as? String == "allume [-la-] lumière de la cuisine {+maintenant+}")
            #expect(Self.steps(missing.claim) == ["equal:allume:allume", "delete:la:∅", "equal:lumière:lumière", "equal:de:de", "equal:la:la",
                                                  "equal:cuisine:cuisine", "insert:∅:maintenant"])
            // The side without a word is null, not left out.
            let words = try #require(missing.claim["words"] as? [[String: Any]])
            #expect(words[1]["hyp"] is NSNull && words[6]["ref"] is NSNull)
            #expect(missing.claim["peaks_url"] as? String == "/v1/verification/tasks/\(missing.task)/peaks")
            #expect(missing.claim["audio_url"] as? String == "/v1/verification/tasks/\(missing.task)/audio")

            let replaced = try await Self.claimed(session, sample: "clean_fr-fr_1.wav", asr: "allume la lampe de la cuisine")
            #expect(replaced.claim["diff"] as? String == "allume la [-lumière-]{+lampe+} de la cuisine")
            #expect(Self.steps(replaced.claim) == ["equal:allume:allume", "equal:la:la", "substitute:lumière:lampe", "equal:de:de",
                                                   "equal:la:la", "equal:cuisine:cuisine"])
        }
    }

    @Test func anAppealWithoutASRTextHasNoWords() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let claimed = try await Self.claimed(session, sample: "snr_white_10db.wav", asr: nil)
            #expect(claimed.claim["kind"] as? String == "appeal")
            #expect(claimed.claim["asr_text"] is NSNull && claimed.claim["diff"] is NSNull && claimed.claim["words"] is NSNull)
            #expect(claimed.claim["peaks_url"] as? String == "/v1/verification/tasks/\(claimed.task)/peaks")
        }
    }

    @Test func thePeaksAreTheDSPCoresOutlineOfTheStoredTake() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let claimed = try await Self.claimed(session, asr: "allume la lumière de la cuisine")
            let url = try #require(claimed.claim["peaks_url"] as? String)
            let answer = try await session.request(.get, url, token: claimed.verifier.token)
            #expect(answer.status == 200, "\(String(decoding: answer.body, as: UTF8.self))")
            #expect(answer["buckets"] as? Int == 800)
            let low = try #require(answer["min"] as? [Double]), high = try #require(answer["max"] as? [Double])
            #expect(low.count == 800 && high.count == 800)
            let duration = try #require(answer["duration_s"] as? Double)
            let measured = try #require((claimed.take["metrics"] as? [String: Any])?["duration_s"] as? Double)
            #expect(abs(duration - measured) < 0.01)

            let direct = try WaveformPeaks(.file(TestService.samples.appendingPathComponent("clean_fr-fr_0.wav").path), buckets: 64)
            let asked = try await session.request(.get, url + "?buckets=64", token: claimed.verifier.token)
            #expect(asked["buckets"] as? Int == 64)
            #expect(asked["sample_rate"] as? Int == direct.sampleRate)
            let rounded = { (values: [Float]) in values.map { (Double($0) * 1000).rounded() / 1000 } }
            #expect(asked["min"] as? [Double] == rounded(direct.minimum))
            #expect(asked["max"] as? [Double] == rounded(direct.maximum))
            // Speech, not silence: the loudest bucket is well above the quietest.
            #expect(high.max()! > 0.1 && high.min()! < high.max()! / 4)
            // Three decimals at most.
            let text = String(decoding: asked.body, as: UTF8.self)
            #expect(text.range(of: #"\.\d{4}"#, options: .regularExpression) == nil)
        }
    }

    @Test func theTakesAudioIsServedByRangesSoThePlayerCanSeek() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let claimed = try await Self.claimed(session, asr: "allume la lumière de la cuisine")
            let url = try #require(claimed.claim["audio_url"] as? String)
            let original = try TestService.sample("clean_fr-fr_0.wav")
            let size = original.count
            let whole = try await session.request(.get, url, token: claimed.verifier.token)
            #expect(whole.status == 200 && whole.body == original && whole.headers[.acceptRanges] == "bytes")

            let cases: [(range: String, bytes: Range<Int>)] = [
                ("bytes=0-99", 0..<100), ("bytes=1000-", 1000..<size), ("bytes=-50", (size - 50)..<size),
                ("bytes=\(size - 10)-\(size + 500)", (size - 10)..<size), ("bytes=0-", 0..<size),
            ]
            for (range, bytes) in cases {
                let part = try await session.request(.get, url, token: claimed.verifier.token, headers: ["Range": range])
                #expect(part.status == 206, "\(range)")
                #expect(part.body == original.subdata(in: bytes), "\(range)")
                #expect(part.headers[.contentRange] == "bytes \(bytes.lowerBound)-\(bytes.upperBound - 1)/\(size)", "\(range)")
            }
            let past = try await session.request(.get, url, token: claimed.verifier.token, headers: ["Range": "bytes=\(size)-"])
            #expect(past.status == 416 && past.errorCode == "range_not_satisfiable" && past.headers[.contentRange] == "bytes */\(size)")
            #expect(!Self.french(past).isEmpty)
            // What is not one range of bytes is ignored: the whole file.
            for range in ["bytes=0-9,20-29", "items=0-9", "bytes=9-2", "bytes=x-"] {
                let answer = try await session.request(.get, url, token: claimed.verifier.token, headers: ["Range": range])
                #expect(answer.status == 200 && answer.body == original, "\(range)")
            }
        }
    }

    @Test func bucketsOutsideOneTo4000AreRefusedInFrench() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let claimed = try await Self.claimed(session, asr: "allume la lumière de la cuisine")
            let url = try #require(claimed.claim["peaks_url"] as? String)
            for value in ["0", "4001", "-3", "abc", "1.5", "", "99999999999999999999"] {
                let answer = try await session.request(.get, url + "?buckets=" + value, token: claimed.verifier.token)
                #expect(answer.status == 400 && answer.errorCode == "invalid_buckets", "buckets=\(value)")
                #expect(Self.french(answer).contains("barres"), "buckets=\(value)")
            }
            for value in [1, 4000] {
                let answer = try await session.request(.get, url + "?buckets=\(value)", token: claimed.verifier.token)
                #expect(answer.status == 200 && (answer["max"] as? [Double])?.count == value)
            }
        }
    }

    @Test func onlyTheLeaseHolderGetsThePeaksAndEveryRefusalIsInFrench() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let claimed = try await Self.claimed(session, asr: "allume la lumière de la cuisine")
            let url = try #require(claimed.claim["peaks_url"] as? String)
            let other = try await session.addMember(role: "verifier")

            let stranger = try await session.request(.get, url, token: other.token)
            #expect(stranger.status == 403 && Self.french(stranger).contains("une autre personne"))
            let worker = try await session.request(.get, url, token: claimed.worker.token)
            #expect(worker.status == 403 && Self.french(worker).contains("vérificateur"))
            let nobody = try await session.request(.get, url, token: nil)
            #expect(nobody.status == 401 && Self.french(nobody).contains("jeton de vérificateur"))
            let unknown = try await session.request(.get, "/v1/verification/tasks/tsk-nothing/peaks", token: claimed.verifier.token)
            #expect(unknown.status == 404 && Self.french(unknown).contains("n'existe pas"))

            let done = try await session.json(.post, "/v1/verification/tasks/\(claimed.task)/result", token: claimed.verifier.token,
                                              ["verdict": "matches_prompt"])
            #expect(done.status == 200)
            let late = try await session.request(.get, url, token: claimed.verifier.token)
            #expect(late.status == 409 && late.errorCode == "lease_lost" && Self.french(late).contains("écoulé"))
            let claimAgain = try await session.request(.post, "/v1/verification/claim", token: nil)
            #expect(claimAgain.status == 401 && Self.french(claimAgain).contains("jeton de vérificateur"))
        }
    }

    @Test func aTakeTheDecoderCannotReadHasNoPeaksButAFrenchReason() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts, speakers: 3)
            let worker = try await session.addWorker()
            let verifier = try await session.addMember(role: "verifier")
            let assignment = try await session.openAssignment(campaign: campaign, token: worker.token)
            let take = try await session.upload(assignment, token: worker.token, audio: Data("RIFF, but not a wave at all".utf8))
            #expect(take.status == 422)
            let recording = try #require(take["recording_id"] as? String)
            #expect(try await session.json(.post, "/v1/recordings/\(recording)/appeal", token: worker.token, [:]).status == 201)
            let claim = try await session.request(.post, "/v1/verification/claim", token: verifier.token)
            let url = try #require(claim["peaks_url"] as? String)
            let answer = try await session.request(.get, url, token: verifier.token)
            #expect(answer.status == 422 && answer.errorCode == "undecodable_audio")
            #expect(Self.french(answer).contains("inutilisable"))
        }
    }

    @Test func normalizeGivesTheTextAsScoringSeesIt() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let verifier = try await session.addMember(role: "verifier")
            let cases = [
                ("Quel temps fera-t-il demain à Lyon ?", "quel temps fera t il demain à lyon"),
                ("Mets un minuteur de 10 minutes.", "mets un minuteur de dix minutes"),
                ("L’heure   qu'il est, AUJOURD'HUI : 21 °C", "l' heure qu' il est aujourd'hui vingt et un degrés"),
                ("", ""),
            ]
            for (text, normalized) in cases {
                let answer = try await session.json(.post, "/v1/verification/normalize", token: verifier.token, ["text": text])
                #expect(answer.status == 200, "\(text)")
                #expect(answer["normalized"] as? String == normalized, "\(text)")
            }
            let longest = String(repeating: "é", count: 2000)
            #expect(try await session.json(.post, "/v1/verification/normalize", token: verifier.token, ["text": longest]).status == 200)
        }
    }

    @Test func normalizeRefusesMissingOrOversizeTextInFrench() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let verifier = try await session.addMember(role: "verifier")
            let worker = try await session.addWorker()
            let tooLong = try await session.json(.post, "/v1/verification/normalize", token: verifier.token,
                                                 ["text": String(repeating: "a", count: 2001)])
            #expect(tooLong.status == 400 && tooLong.errorCode == "text_too_long" && Self.french(tooLong).contains("2000"))
            for body in [[:], ["text": NSNull()], ["text": 3], ["words": "bonjour"]] as [[String: Any]] {
                let answer = try await session.json(.post, "/v1/verification/normalize", token: verifier.token, body)
                #expect(answer.status == 400 && answer.errorCode == "malformed_json", "\(body)")
                #expect(Self.french(answer).contains("normalisé"), "\(body)")
            }
            let empty = try await session.request(.post, "/v1/verification/normalize", token: verifier.token)
            #expect(empty.status == 400 && empty.errorCode == "empty_body" && Self.french(empty).contains("normalisé"))
            let huge = try await session.request(.post, "/v1/verification/normalize", token: verifier.token,
                                                 body: Data(repeating: 0x61, count: 70_000), headers: ["Content-Type": "application/json"])
            #expect(huge.status == 413 && Self.french(huge).contains("normalisé"))
            #expect(try await session.json(.post, "/v1/verification/normalize", token: worker.token, ["text": "x"]).status == 403)
            let nobody = try await session.json(.post, "/v1/verification/normalize", token: nil, ["text": "x"])
            #expect(nobody.status == 401 && Self.french(nobody).contains("jeton de vérificateur"))
        }
    }

    @Test func resultsMissingWhatTheVerdictNeedsAreRefusedInFrench() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let claimed = try await Self.claimed(session, asr: "allume la lumière de la cuisine")
            let url = "/v1/verification/tasks/\(claimed.task)/result"
            let corrected = try await session.json(.post, url, token: claimed.verifier.token, ["verdict": "corrected", "transcript": "  "])
            #expect(corrected.status == 400 && Self.french(corrected).contains("transcription"))
            let unusable = try await session.json(.post, url, token: claimed.verifier.token, ["verdict": "unusable"])
            #expect(unusable.status == 400 && Self.french(unusable).contains("inutilisable"))
            let tag = try await session.json(.post, url, token: claimed.verifier.token, ["verdict": "matches_prompt", "tags": ["[chat]"]])
            #expect(tag.status == 400 && Self.french(tag).contains("[chat]"))
        }
    }
}
