import Foundation

/// A block of decoded samples on its way through the analysis, with what the first stage
/// derived from it for the second (the samples averaged down for the hum meter).
final class SampleBlock {
    /// Samples, mono, `count` of them valid.
    let samples: UnsafeMutablePointer<Float>
    /// Room in `samples`.
    let capacity: Int
    /// Valid samples.
    var count = 0
    /// The samples averaged down to about 1 kHz.
    var decimated: [Float] = []
    /// Frames the first stage transformed from these samples (the even ones), when it shares the transforms.
    var frames: FrameStore?

    init(capacity: Int) {
        self.capacity = capacity
        samples = .allocate(capacity: capacity)
    }

    deinit { samples.deallocate() }
}

/// Hands blocks of samples from the decoding thread to a second thread that runs the
/// spectral stage, through a few recycled blocks, so that a long recording is analysed on
/// two cores: one decodes and measures levels and clipping while the other computes spectra
/// and finds speech. Memory is `buffers × capacity` samples, whatever the recording's length.
final class BlockPipeline: @unchecked Sendable {
    // All mutable state below is guarded by `condition`.
    private let condition = NSCondition()
    private var free: [SampleBlock]
    private var ready: [SampleBlock] = []
    private var closed = false
    private var drained = false
    // Waking a thread is a system call that costs tens of microseconds on a virtual machine:
    // signal only a side that is actually waiting.
    private var producerWaiting = false
    private var consumerWaiting = false

    init(buffers: Int, capacity: Int, frameStore: (() -> FrameStore)? = nil) {
        free = (0..<buffers).map { _ in
            let block = SampleBlock(capacity: capacity)
            block.frames = frameStore?()
            return block
        }
    }

    /// Starts the consuming thread, which calls `stage` with each submitted block, in order.
    ///
    /// The stage's objects must be used by nobody else until `finish()` returns: that hand-over
    /// is what makes passing them to the other thread safe.
    func start(_ stage: @escaping (SampleBlock) -> Void) {
        let work = UncheckedSendable(stage)
        let thread = Thread { [self] in consume(work.value) }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// A free block to fill, waiting for the consumer to give one back if need be.
    func acquire() -> SampleBlock {
        condition.lock()
        defer { condition.unlock() }
        while free.isEmpty {
            producerWaiting = true
            condition.wait()
        }
        producerWaiting = false
        return free.removeLast()
    }

    /// Queues a filled block for the consumer, or recycles it when it holds no sample.
    func submit(_ block: SampleBlock) {
        condition.lock()
        if block.count > 0 { ready.append(block) } else { free.append(block) }
        if consumerWaiting { condition.broadcast() }
        condition.unlock()
    }

    /// Says no more blocks will come and waits until the consumer has processed every one.
    func finish() {
        condition.lock()
        closed = true
        condition.broadcast()
        while !drained { condition.wait() }
        condition.unlock()
    }

    private func consume(_ stage: (SampleBlock) -> Void) {
        while true {
            condition.lock()
            while ready.isEmpty && !closed {
                consumerWaiting = true
                condition.wait()
            }
            consumerWaiting = false
            if ready.isEmpty {
                drained = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let block = ready.removeFirst()
            condition.unlock()
            stage(block)
            condition.lock()
            free.append(block)
            if producerWaiting { condition.broadcast() }
            condition.unlock()
        }
    }
}

/// Carries a value across a thread boundary whose safety the caller guarantees by hand-over.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
