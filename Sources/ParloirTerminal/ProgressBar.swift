import Foundation

/// A one-line progress bar redrawn in place on a terminal (standard error), for long batches.
/// Tasks working in parallel may all report to it: its state is behind a lock.
public final class ProgressBar: @unchecked Sendable {
    private let lock = NSLock()
    private var total: Int
    private let width: Int
    private let label: String
    private var lastDrawn = -1
    private let start = Date()

    public init(total: Int, label: String, width: Int = 30) {
        self.total = max(total, 1)
        self.label = label
        self.width = width
    }

    /// Shows `done` of the total; redraws only when the bar visibly moves.
    public func update(_ done: Int) {
        lock.lock()
        defer { lock.unlock() }
        let filled = min(width, done * width / total)
        let permille = done * 1000 / total
        guard permille != lastDrawn else { return }
        lastDrawn = permille
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let line = String(format: "\r%@ %@ %d/%d  %.0f files/s", label, bar, done, total, rate)
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Shows `done` of `total`, for work whose size is known only once it starts.
    public func update(_ done: Int, of total: Int) {
        lock.withLock { self.total = max(total, 1) }
        update(done)
    }

    /// Clears the line.
    public func finish() {
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }
}
