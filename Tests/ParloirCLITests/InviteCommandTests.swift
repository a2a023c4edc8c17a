import Foundation
import Testing

/// `parloir invite create`, as the commissioning team runs it against a service.
extension ServiceCommandTests {
    @Test func inviteCreatePrintsALinkThatOpensTheCampaignsTerms() throws {
        let example = AnalyzeCommandTests.root.appendingPathComponent("prompts/assistant-maison/campaign.yaml").path
        let service = try RunningService(campaign: example)
        // By the campaign's name, for a crowd platform.
        let made = try service.admin(["invite", "create", "--campaign", "assistant-maison", "--uses", "50", "--expires", "14d",
                                      "--participant-param", "PROLIFIC_PID", "--public-url", "https://voix.example.org/"])
        #expect(made.status == 0, "\(made.error)")
        let link = made.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(link.hasPrefix("https://voix.example.org/?PROLIFIC_PID={{%PROLIFIC_PID%}}#invite=inv_"), "\(link)")
        #expect(made.error.contains("50 uses") && made.error.contains("expires"))

        // The plain link's code opens the campaign's terms on the service.
        let plain = try service.admin(["invite", "create", "--campaign", "assistant-maison", "--json"])
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(plain.output.utf8)) as? [String: Any])
        let code = try #require(answer["code"] as? String)
        let terms = try Data(contentsOf: URL(string: service.server + "/v1/invites/" + code)!)
        let shown = try #require(try JSONSerialization.jsonObject(with: terms) as? [String: Any])
        #expect((shown["campaign"] as? [String: Any])?["name"] as? String == "assistant-maison")

        let unknown = try service.admin(["invite", "create", "--campaign", "pas-de-campagne"])
        #expect(unknown.status == 2 && unknown.error.contains("assistant-maison"))
        let badExpiry = try service.admin(["invite", "create", "--campaign", "assistant-maison", "--expires", "demain"])
        #expect(badExpiry.status == 2 && badExpiry.error.contains("--expires"))
        #expect(service.stop() == 0)
    }

    @Test func campaignsAreListedPausedResumedAndClosedByName() throws {
        let example = AnalyzeCommandTests.root.appendingPathComponent("prompts/assistant-maison/campaign.yaml").path
        let service = try RunningService(campaign: example)
        let listed = try service.admin(["campaign", "list"])
        #expect(listed.status == 0 && listed.output.hasPrefix("assistant-maison  cmp-") && listed.output.contains("  open  0.12 € per take"), "\(listed.output)")
        let paused = try service.admin(["campaign", "pause", "assistant-maison"])
        #expect(paused.status == 0 && paused.output.contains("is paused"))
        #expect(try service.admin(["campaign", "list", "--json"]).output.contains(#""state":"paused""#))
        #expect(try service.admin(["campaign", "resume", "assistant-maison"]).output.contains("is open"))
        #expect(try service.admin(["campaign", "close", "assistant-maison"]).status == 0)
        let reopened = try service.admin(["campaign", "resume", "assistant-maison"])
        #expect(reopened.status == 1 && reopened.error.contains("closed"))
        #expect(try service.admin(["campaign", "pause", "nulle-part"]).status == 2)
        #expect(service.stop() == 0)
    }
}
