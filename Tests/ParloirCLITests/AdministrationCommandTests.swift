import Foundation
import Testing

/// `parloir prompts list|disable|enable|delete` and `parloir member add|list|disable|enable|rotate-token`,
/// as the commissioning team runs them against a service.
extension ServiceCommandTests {
    @Test func promptsAreListedDisabledAndDeletedFromTheTerminal() throws {
        let example = AnalyzeCommandTests.root.appendingPathComponent("prompts/assistant-maison/campaign.yaml").path
        let service = try RunningService(campaign: example)
        let listed = try service.admin(["prompts", "list", "--campaign", "assistant-maison", "--json"])
        #expect(listed.status == 0, "\(listed.error)")
        let prompts = try #require((try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [String: Any])?["prompts"] as? [[String: Any]])
        #expect(prompts.count > 400)
        let first = try #require(prompts.first?["id"] as? Int), second = try #require(prompts.dropFirst().first?["id"] as? Int)

        let table = try service.admin(["prompts", "list", "--campaign", "assistant-maison"])
        let lines = table.output.split(separator: "\n")
        #expect(lines.first?.hasPrefix("id") == true && lines.first?.contains("skipped  reported  text") == true, "\(lines.first ?? "")")
        #expect(lines.last == "\(prompts.count) prompts")

        let disabled = try service.admin(["prompts", "disable", "--campaign", "assistant-maison", String(first), String(second)])
        #expect(disabled.status == 0 && disabled.output.contains("prompt \(first) is disabled") && disabled.output.contains("prompt \(second) is disabled"))
        #expect(try service.admin(["prompts", "list", "--campaign", "assistant-maison"]).output.hasSuffix("\(prompts.count) prompts, 2 disabled\n"))
        #expect(try service.admin(["prompts", "enable", "--campaign", "assistant-maison", String(second)]).status == 0)
        let deleted = try service.admin(["prompts", "delete", "--campaign", "assistant-maison", String(first)])
        #expect(deleted.status == 0 && deleted.output.contains("prompt \(first) deleted"))
        let again = try service.admin(["prompts", "delete", "--campaign", "assistant-maison", String(first)])
        #expect(again.status == 1 && again.error.contains("does not exist"))
        #expect(try service.admin(["prompts", "list", "--campaign", "assistant-maison"]).output.hasSuffix("\(prompts.count - 1) prompts\n"))
        let none = try service.admin(["prompts", "list", "--campaign", "assistant-maison", "--reported"])
        #expect(none.status == 0 && none.output.contains("no prompt of assistant-maison was skipped or reported"))
        #expect(try service.admin(["prompts", "disable", "--campaign", "assistant-maison", "premier"]).status == 2)
        #expect(service.stop() == 0)
    }

    @Test func membersAreAddedCheckedListedDisabledAndGivenNewTokensFromTheTerminal() throws {
        let example = AnalyzeCommandTests.root.appendingPathComponent("prompts/assistant-maison/campaign.yaml").path
        let service = try RunningService(campaign: example)
        let outside = try service.admin(["member", "add", "--role", "worker", "--accent", "marseillais", "--campaign", "assistant-maison"])
        #expect(outside.status == 1 && outside.error.contains("invalid_profile") && outside.error.contains("provencal"), "\(outside.error)")
        let added = try service.admin(["member", "add", "--role", "worker", "--accent", "belge", "--region", "belgique", "--consent"])
        #expect(added.status == 0, "\(added.error)")
        let id = try #require((try JSONSerialization.jsonObject(with: Data(added.output.utf8)) as? [String: Any])?["id"] as? String)

        let listed = try service.admin(["member", "list", "--role", "worker"])
        #expect(listed.status == 0)
        let row = try #require(listed.output.split(separator: "\n").first { $0.hasPrefix(id) })
        #expect(row.contains("worker") && row.contains("active") && row.contains("belge belgique") && row.hasSuffix("0.00 €"), "\(row)")

        #expect(try service.admin(["member", "disable", id]).output.contains("\(id) is disabled"))
        #expect(try service.admin(["member", "list", "--json"]).output.contains(#""state" : "disabled""#))
        #expect(try service.admin(["member", "enable", id]).output.contains("\(id) is active"))
        let rotated = try service.admin(["member", "rotate-token", id])
        #expect(rotated.status == 0 && rotated.output.hasPrefix("plr_") && rotated.error.contains("shown once"))
        #expect(try service.admin(["member", "disable", "../campaigns"]).status == 2)
        let unknown = try service.admin(["member", "rotate-token", "w-0000000000000000"])
        #expect(unknown.status == 1 && unknown.error.contains("does not exist"))
        #expect(service.stop() == 0)
    }

    @Test func invitesAreListedAndRevokedFromTheTerminal() throws {
        let example = AnalyzeCommandTests.root.appendingPathComponent("prompts/assistant-maison/campaign.yaml").path
        let service = try RunningService(campaign: example)
        let made = try service.admin(["invite", "create", "--campaign", "assistant-maison", "--uses", "3", "--json"])
        let id = try #require((try JSONSerialization.jsonObject(with: Data(made.output.utf8)) as? [String: Any])?["id"] as? String)
        let listed = try service.admin(["invite", "list", "--campaign", "assistant-maison"])
        #expect(listed.status == 0 && listed.output.hasPrefix("id"), "\(listed.error)")
        let row = try #require(listed.output.split(separator: "\n").first { $0.hasPrefix(id) })
        #expect(row.contains("open") && row.contains("0 of 3") && row.contains("never"), "\(row)")
        // The first start's invite is listed too, older.
        #expect(listed.output.split(separator: "\n").count == 3)
        let revoked = try service.admin(["invite", "revoke", "--campaign", "assistant-maison", id])
        #expect(revoked.status == 0 && revoked.output.contains("invite \(id) is revoked (0 workers joined through it, and stay)"))
        #expect(try service.admin(["invite", "list", "--campaign", "assistant-maison", "--json"]).output.contains(#""state" : "expired""#))
        #expect(try service.admin(["invite", "revoke", "--campaign", "assistant-maison", "inv-0000"]).status == 1)
        #expect(try service.admin(["invite", "revoke", "--campaign", "assistant-maison", "INV/1"]).status == 2)
        #expect(service.stop() == 0)
    }
}
