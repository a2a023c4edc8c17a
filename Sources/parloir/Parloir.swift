import ArgumentParser
import Foundation

@main
struct Parloir: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parloir",
        abstract: "Collect and verify French speech recordings.",
        version: "parloir \(parloirVersion)",
        subcommands: [AnalyzeCommand.self, ServeCommand.self, CampaignCommand.self, PromptsCommand.self, MemberCommand.self, InviteCommand.self, ReportCommand.self, DashboardCommand.self, VerifyCommand.self, ExportCommand.self, MigrateCommand.self, WERCommand.self, SimulateCommand.self, ASRCommand.self]
    )

    /// Runs the command; bad arguments exit with status 2 (ArgumentParser's own is 64), after
    /// the usual message and usage on standard error.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as CommandLineFailure {
            FileHandle.standardError.write(Data("parloir: \(failure.message)\n".utf8))
            Foundation.exit(failure.status)
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// This release of Parloir (the issues landed: 2 to 14).
let parloirVersion = "0.14.0"

/// A failure the command line reports in one sentence, with its exit status.
enum CommandLineFailure: Error {
    /// A path, file or option value that cannot be used: exit status 2.
    case badArgument(String)
    /// The service refused the request or could not be reached: exit status 1.
    case refused(String)

    var message: String {
        switch self {
        case .badArgument(let message), .refused(let message): return message
        }
    }

    var status: Int32 {
        switch self {
        case .badArgument: return 2
        case .refused: return 1
        }
    }
}
