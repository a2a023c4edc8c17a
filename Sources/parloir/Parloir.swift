import ArgumentParser

@main
struct Parloir: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parloir",
        abstract: "Collect and verify French speech recordings.",
        subcommands: [AnalyzeCommand.self]
    )
}
