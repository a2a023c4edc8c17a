import ArgumentParser
import Foundation
import ParloirCore

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Check the verification design on synthetic campaigns with known error rates.",
        discussion: """
        Workers with known rates of wrong transcripts (70 % at 2 %, 20 % at 8 %, 10 % at 30 %), an ASR \
        engine that flags 60 % of wrong recordings and 3 % of right ones, the sampling policy with its \
        defaults, perfect verifiers. Prints how often the 95 % interval holds the true rate and how \
        many listens each accepted recording cost.
        """
    )

    @Option(help: "Seeded runs.") var runs = 200
    @Option(help: "Workers per campaign.") var workers = 120
    @Option(help: "Accepted recordings per worker.") var recordingsPerWorker = 60
    @Flag(help: "Print JSON.") var json = false

    func run() {
        var simulation = CampaignSimulation()
        simulation.workers = workers
        simulation.recordingsPerWorker = recordingsPerWorker
        let summary = simulation.summary(runs: runs)
        if json {
            print(#"{"runs":\#(summary.runs),"coverage":\#(summary.coverage),"listens_per_accepted":\#(summary.listensPerAccepted),"mean_interval_width":\#(summary.meanWidth),"mean_true_rate":\#(summary.meanTrueRate)}"#)
        } else {
            print(String(format: "%d seeded campaigns of %d workers × %d accepted recordings:", runs, workers, recordingsPerWorker))
            print(String(format: "  95 %% interval holds the true error rate in %.1f %% of runs (target ≥ 95 %%)", summary.coverage * 100))
            print(String(format: "  human listens per accepted recording: %.3f (target ≤ 0.3)", summary.listensPerAccepted))
            print(String(format: "  mean true error rate %.3f, mean interval width %.3f", summary.meanTrueRate, summary.meanWidth))
        }
    }
}
