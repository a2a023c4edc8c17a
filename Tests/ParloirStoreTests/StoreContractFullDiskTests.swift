import Foundation
import ParloirCore
import ParloirStore
import ParloirTestServers
import Testing

/// A database whose disk fills up: the write that finds no room throws `StoreError.full` (the
/// service answers 507), what committed before it is intact and readable, and nothing of the
/// failed transaction is kept. The database lives on a small tmpfs mounted for the test (the
/// SQLite file, or a PostgreSQL tablespace), so it needs root; otherwise it is skipped, saying so.
struct StoreContractFullDiskTests {
    @Test(arguments: Engine.available)
    func aFullDiskIsStoreErrorFullAndKeepsWhatCommitted(engine: Engine) async throws {
        guard geteuid() == 0 else {
            print("aFullDiskIsStoreErrorFullAndKeepsWhatCommitted skipped: mounting a small file system needs root")
            return
        }
        let mount = FileManager.default.temporaryDirectory.appendingPathComponent("parloir-fulldb-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        defer {
            _ = Self.shell("umount", mount)
            try? FileManager.default.removeItem(atPath: mount)
        }
        // PostgreSQL copies its template database (about 8 MB) into the tablespace first.
        guard Self.shell("mount", "-t", "tmpfs", "-o", engine == .sqlite ? "size=2m" : "size=12m", "tmpfs", mount) == 0 else {
            print("aFullDiskIsStoreErrorFullAndKeepsWhatCommitted skipped: this machine does not let root mount a tmpfs")
            return
        }
        let url: String
        var cleanUp: [String] = []
        switch engine {
        case .sqlite:
            url = "sqlite:\(mount)/parloir.sqlite"
        case .postgres:
            // The tablespace's folder belongs to the server's OS user (when the test server runs as one).
            if let user = ProcessInfo.processInfo.environment["PARLOIR_PG_USER"], !user.isEmpty {
                #expect(Self.shell("chown", "\(user):", mount) == 0)
            }
            let name = "parloir_test_\(Identifiers.randomHex(bytes: 6))"
            let space = "full_\(Identifiers.randomHex(bytes: 4))"
            _ = try await PostgresAdmin.execute("CREATE TABLESPACE \(space) LOCATION '\(mount)'")
            _ = try await PostgresAdmin.execute("CREATE DATABASE \(name) TABLESPACE \(space)")
            cleanUp = ["DROP DATABASE IF EXISTS \(name) WITH (FORCE)", "DROP TABLESPACE IF EXISTS \(space)"]
            url = try PostgresAdmin.url(database: name)
        }
        let store = try await StoreFactory.openStore(url: url, poolSize: 2)
        let campaign = try await store.createCampaign(id: "cmp-1", spec: Fixture.spec(), now: Fixture.t0)
        var committed = 0
        var failure: (any Error)?
        for batch in 0..<400 {
            let prompts = (0..<100).map { index in
                // Letters only tell prompts apart (digits do not count for duplicates).
                let tag = String(String(batch * 100 + index, radix: 26).map { Character(UnicodeScalar(($0.wholeNumberValue ?? Int($0.asciiValue! - 87)) + 97)!) })
                return PromptCandidate(line: index + 1, text: "Phrase \(tag) : " + String(repeating: "la cuisine est éclairée, ", count: 16))
            }
            do {
                committed += try await store.addPrompts(prompts, campaignID: campaign.id)
            } catch {
                failure = error
                break
            }
        }
        #expect(failure.map { if case StoreError.full = $0 { true } else { false } } == true, "\(String(describing: failure))")
        #expect(committed > 0, "the disk had room for some prompts first")
        // The store still reads, and holds exactly what committed: no part of the failed batch.
        #expect(try await store.promptKeys(campaignID: campaign.id).count == committed)
        try? await store.close()
        for sql in cleanUp { _ = try? await PostgresAdmin.execute(sql) }
    }

    static func shell(_ arguments: String...) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
