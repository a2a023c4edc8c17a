import AudioQC
import Foundation
import ParloirCore
import Testing

/// Prompt sentences follow Common Voice's spirit: readable aloud one way, no duplicates.
struct PromptValidatorTests {
    @Test(arguments: [
        "Allume la lumière de la cuisine.", "Quel temps fera-t-il demain à Lyon ?", "« Bonjour », dit-elle.",
        "Joue la radio France Inter.", "Rappelle-moi d'appeler mamie à dix-sept heures trente.", "Où est l'Atomium ?",
        "Mets un minuteur de vingt et une minutes…", "Ajoute des œufs et du cœur de palmier.",
    ])
    func goodSentencesPass(_ sentence: String) {
        #expect(PromptValidator.problem(with: sentence) == nil)
    }

    @Test(arguments: [
        ("Mets un minuteur de 10 minutes.", "digits"), ("Prends le TGV.", "acronym"), ("Appelle M. Dupont.", "abbreviation"),
        ("Il fait 20 °C.", "digits"), ("Écris à chloe@example.fr.", "symbol"), ("Il fait trente degrés & plus.", "symbol"),
        ("Rendez-vous chez le Dr Martin.", "abbreviation"), ("Achète deux kg de pommes.", "abbreviation"),
        ("Un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze.", "words"),
        ("Привет, как дела ?", "not a letter of French"), ("   ", "empty"),
    ])
    func badSentencesSayWhy(_ sentence: String, _ reason: String) throws {
        let problem = try #require(PromptValidator.problem(with: sentence))
        #expect(problem.contains(reason), "\(sentence): \(problem)")
    }

    @Test func duplicatesAreFoundAcrossCaseAndPunctuation() {
        let candidates = PromptValidator.parsePlainText("Ferme les volets.\nferme   les volets\n# comment\n\nhome\tOuvre la porte !\n")
        #expect(candidates.map(\.line) == [1, 2, 5])
        #expect(candidates.last?.domain == "home")
        let (accepted, rejected) = PromptValidator.validate(candidates, existingKeys: [PromptValidator.duplicateKey("Ouvre la porte")])
        #expect(accepted.map(\.text) == ["Ferme les volets."])
        #expect(rejected.map(\.line) == [2, 5])
    }

    @Test func typographicSpacesAndApostrophesFold() {
        #expect(PromptValidator.clean("Quelle heure est-il\u{202F}?") == "Quelle heure est-il ?")
        #expect(PromptValidator.duplicateKey("L’heure d’été") == PromptValidator.duplicateKey("l'heure d'été"))
    }

    @Test func badDomainTagIsRefused() {
        let (_, rejected) = PromptValidator.validate([PromptCandidate(line: 1, text: "Ferme la porte.", domain: "Home Automation")], existingKeys: [])
        #expect(rejected.first?.reason.contains("domain") == true)
    }
}

/// Campaign specs and worker profiles are checked before anything is stored.
struct CampaignSpecTests {
    static let exampleSpec = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("prompts/assistant-maison/campaign.yaml")

    @Test func exampleSpecParses() throws {
        let spec = try CampaignSpec.parse(try String(contentsOf: Self.exampleSpec, encoding: .utf8))
        #expect(spec.name == "assistant-maison")
        #expect(spec.language == "fr-FR")
        #expect(spec.pieceRateCents == 12)
        #expect(spec.rules.maxDurationS == 12)
        #expect(spec.rules.minDurationS == 1)
        #expect(spec.promptFiles == ["prompts.tsv"])
        #expect(Set(spec.dimensions.keys) == ["accent", "region", "noise_condition", "gender", "age_band"])
    }

    @Test func jsonSpecsParseToo() throws {
        let spec = try CampaignSpec.parse(#"{"name": "essai", "purpose": "Des phrases pour un assistant vocal.", "speakers_per_prompt": 5}"#)
        #expect(spec.speakersPerPrompt == 5)
    }

    @Test(arguments: [
        ("purpose: Des phrases pour un assistant vocal.", "name"),
        ("name: x\npurpose: court", "purpose"),
        ("name: x\nlanguage: en-US\npurpose: Des phrases pour un assistant vocal.", "French"),
        ("name: x\npurpose: Des phrases pour un assistant vocal.\nspeakers_per_prompt: 0", "speakers_per_prompt"),
        ("name: x\npurpose: Des phrases pour un assistant vocal.\nrules: {snr_rejct_db: 3}", "snr_rejct_db"),
        ("name: x\npurpose: Des phrases pour un assistant vocal.\ndimensions: {hair_colour: {}}", "hair_colour"),
        ("name: [", "malformed"),
    ])
    func badSpecsSayWhy(_ text: String, _ expected: String) {
        #expect {
            try CampaignSpec.parse(text)
        } throws: { error in
            guard let error = error as? ParloirError else { return false }
            return error.status == 400 && error.message.contains(expected)
        }
    }

    @Test func profilesAcceptOnlyKnownValues() throws {
        try WorkerProfile(accent: "quebecois", region: "quebec", gender: "non_binary", ageBand: "65+").validate()
        #expect(throws: ParloirError.self) { try WorkerProfile(gender: "robot").validate() }
        #expect(throws: ParloirError.self) { try WorkerProfile(region: "atlantis").validate() }
        #expect(throws: ParloirError.self) { try WorkerProfile(ageBand: "12-17").validate() }
    }

    @Test func identifiersAreRandomAndTokensLong() {
        let tokens = (0..<100).map { _ in Identifiers.token() }
        #expect(Set(tokens).count == 100)
        #expect(tokens.allSatisfy { $0.count == 4 + 64 })
        #expect(Identifiers.hex([0x00, 0xAB, 0xFF]) == "00abff")
        #expect(Identifiers.make("rec").hasPrefix("rec-"))
    }

    @Test func uploadConflictsFollowTheAssignment() {
        let now = Date()
        var assignment = Assignment(id: "a", campaignID: "c", promptID: 1, promptText: "t", workerID: "w", createdAt: now,
                                    expiresAt: now.addingTimeInterval(60), takes: 0, state: .open)
        #expect(assignment.uploadConflict(at: now) == nil)
        #expect(assignment.uploadConflict(at: now.addingTimeInterval(61)) == .assignmentExpired(at: assignment.expiresAt))
        assignment.takes = 3
        #expect(assignment.uploadConflict(at: now) == .assignmentFinished(takesUsed: 3))
        assignment.takes = 1
        assignment.state = .finished
        #expect(assignment.uploadConflict(at: now) == .assignmentFinished(takesUsed: 1))
        assignment.state = .expired
        #expect(assignment.uploadConflict(at: now) == .assignmentExpired(at: assignment.expiresAt))
    }
}
