import Foundation

/// Runs the DSP core's analyses on threads of their own, one per core, behind a bounded queue.
///
/// An analysis is a few milliseconds of FFTs that never yields. On Swift's cooperative pool or
/// an event loop it would hold up every request scheduled behind it, `/healthz` included; here
/// HTTP keeps its threads. An upload waits for a thread at most `maxWait`; when `queueLimit`
/// uploads already wait, or the wait runs out, it is refused with `AnalysisPoolError.busy`
/// (the server answers 503 with `Retry-After`). Waiting uploads hold a file on disk, not
/// decoded audio, so the memory of a burst is bounded by the threads, not by the queue.
final class AnalysisPool: Sendable {
    /// How many analyses run at once and how long the others may wait.
    struct Configuration: Sendable {
        /// Threads, one per core by default.
        var threads = ProcessInfo.processInfo.activeProcessorCount
        /// Uploads that may wait for a thread; more are refused at once.
        var queueLimit = 64
        /// Longest wait for a thread before an upload is refused.
        var maxWait: Duration = .seconds(10)
    }

    let configuration: Configuration
    private let queue: JobQueue

    init(_ configuration: Configuration = Configuration()) {
        self.configuration = configuration
        queue = JobQueue(limit: max(0, configuration.queueLimit), threads: max(1, configuration.threads))
        for index in 0..<max(1, configuration.threads) {
            let queue = self.queue
            let thread = Thread { queue.work() }
            thread.name = "parloir-analysis-\(index)"
            thread.start()
        }
    }

    // The threads hold the queue, not the pool: when the server lets go of its pool they finish
    // the jobs already queued and end.
    deinit { queue.stop() }

    /// Uploads waiting for a thread now.
    var waiting: Int { queue.waiting }

    /// Whether a new upload would be refused at once: every thread busy and the queue full.
    /// The upload route asks before it reads a body, so a worker is not made to send 20 MB for a 503.
    var isSaturated: Bool { queue.isSaturated }

    /// Runs `work` on a pool thread and returns its result, or throws `.busy` when the queue is
    /// full or no thread freed up within `maxWait`.
    func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws(AnalysisPoolError) -> T {
        let maxWait = configuration.maxWait
        let queue = self.queue
        let outcome: Result<T, AnalysisPoolError> = await withCheckedContinuation { continuation in
            let job = Job(
                run: { continuation.resume(returning: .success(work())) },
                refuse: { continuation.resume(returning: .failure(.busy)) }
            )
            // Set before the job is queued, so the thread that takes it sees it and cancels it.
            let expiry = DispatchWorkItem { [job] in
                if queue.withdraw(job) { job.refuse() }
            }
            job.expiry = expiry
            guard queue.enqueue(job) else {
                job.refuse()
                return
            }
            let seconds = maxWait.seconds
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: expiry)
        }
        return try outcome.get()
    }
}

/// Why the pool did not run an analysis.
enum AnalysisPoolError: Error, Sendable, Equatable {
    /// Every thread is busy and the queue is full, or the wait ran out.
    case busy
}

/// One queued analysis: exactly one of `run` and `refuse` is called, once.
private final class Job: @unchecked Sendable {
    let run: () -> Void
    let refuse: () -> Void
    /// The timer that refuses the job if no thread takes it in time; cancelled when one does.
    var expiry: DispatchWorkItem?
    init(run: @escaping () -> Void, refuse: @escaping () -> Void) {
        self.run = run
        self.refuse = refuse
    }
}

/// The jobs waiting for a thread. All state is guarded by `condition`.
private final class JobQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var head = 0
    private var stopped = false
    private let limit: Int
    private let threads: Int
    /// Jobs a thread has taken and not finished.
    private var running = 0

    init(limit: Int, threads: Int) {
        self.limit = limit
        self.threads = threads
    }

    /// Jobs that no idle thread is about to take.
    var waiting: Int {
        condition.lock()
        defer { condition.unlock() }
        return max(0, jobs.count - head - (threads - running))
    }

    var isSaturated: Bool {
        condition.lock()
        defer { condition.unlock() }
        return jobs.count - head >= limit + (threads - running)
    }

    /// Queues a job; false when `limit` jobs already wait beyond those the idle threads will take.
    func enqueue(_ job: Job) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopped, jobs.count - head < limit + (threads - running) else { return false }
        jobs.append(job)
        condition.signal()
        return true
    }

    /// Takes a job out of the queue if no thread has started it; true when it was still waiting.
    func withdraw(_ job: Job) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard let index = jobs[head...].firstIndex(where: { $0 === job }) else { return false }
        jobs.remove(at: index)
        return true
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// A pool thread's life: run jobs in order until the pool stops and the queue is empty.
    func work() {
        while true {
            condition.lock()
            while head == jobs.count && !stopped { condition.wait() }
            guard head < jobs.count else {
                condition.unlock()
                return
            }
            let job = jobs[head]
            head += 1
            running += 1
            if head > 64 && head * 2 > jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            condition.unlock()
            job.expiry?.cancel()
            job.run()
            condition.lock()
            running -= 1
            condition.unlock()
        }
    }
}
