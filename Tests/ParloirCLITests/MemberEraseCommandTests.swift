import Foundation
import Testing

/// `parloir member erase`, as the commissioning team runs it against a service.
extension ServiceCommandTests {
    @Test func memberEraseAsksForYesAndErasesOnce() throws {
        let service = try RunningService()
        let added = try service.admin(["member", "add", "--role", "worker", "--accent", "belge", "--consent"])
        #expect(added.status == 0)
        let member = try #require(try JSONSerialization.jsonObject(with: Data(added.output.utf8)) as? [String: Any])
        let id = try #require(member["id"] as? String)

        // Without --yes, and with no terminal to ask on, nothing is erased.
        let unasked = try Self.runWithoutTerminal(["member", "erase", id, "--server", service.server, "--data-dir", service.directory])
        #expect(unasked.status == 2)
        #expect(unasked.error.contains("--yes"))

        let erased = try service.admin(["member", "erase", id, "--yes"])
        #expect(erased.status == 0, "\(erased.error)")
        let tombstone = try #require(try JSONSerialization.jsonObject(with: Data(erased.output.utf8)) as? [String: Any])
        #expect((tombstone["erasure_id"] as? String)?.hasPrefix("era-") == true)
        #expect((tombstone["erased_by"] as? String)?.hasPrefix("a-") == true)
        #expect(tombstone["role"] as? String == "worker" && tombstone["takes"] as? Int == 0)

        let again = try service.admin(["member", "erase", id, "--yes"])
        #expect(again.status == 1)
        #expect(again.error.contains("does not exist") && again.error.contains("HTTP 404"))
        let badID = try service.admin(["member", "erase", "../campaigns", "--yes"])
        #expect(badID.status == 2)
        #expect(service.stop() == 0)
    }

    /// Runs `parloir` with standard input that is not a terminal (and holds nothing).
    static func runWithoutTerminal(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: AnalyzeCommandTests.binary)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: error, as: UTF8.self))
    }
}
