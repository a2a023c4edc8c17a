import Foundation

/// Cuts a stream of mono samples into Hann-windowed, half-overlapping frames and hands the
/// power spectrum of each, with the mean power of its central block, to a `FrameConsumer`.
///
/// Frame `i` covers stream samples `[i·hop − hop/2, i·hop − hop/2 + fftSize)`, so its central
/// block is `[i·hop, (i+1)·hop)` and blocks tile the stream from sample 0. Frames that lie
/// inside the block of samples being consumed are windowed straight from it; only those that
/// straddle two blocks, or either end of the recording (where zeros fill in), are assembled
/// in a frame buffer. Memory is one frame, a frame's worth of history, one spectrum and the
/// FFT's buffers, whatever the length of the recording; the per-frame loop allocates nothing.
///
/// With `stride` 2 a framer emits every other frame (those of `phase` 0 or 1): two framers on
/// two threads then share the transforms of a long recording (see `FrameInterleaver`).
final class SpectralFramer {
    let geometry: FrameGeometry
    private let fft: RealFFT
    private let window: UnsafeMutablePointer<Float>
    /// A frame put together from `history`, the current block and zeros.
    private let assembled: UnsafeMutablePointer<Float>
    private let spectrum: UnsafeMutablePointer<Float>
    /// The last `historyCount` samples before the current block.
    private let history: UnsafeMutablePointer<Float>
    private var historyCount = 0
    /// Stream index of the first sample of the next frame (negative before the start).
    private var nextFrameStart: Int
    /// Stream index of the first sample not yet consumed.
    private var streamLength = 0
    private var emitted = 0
    private let consumer: any FrameConsumer
    /// Samples from one emitted frame to the next: `stride` hops.
    private let step: Int
    private let phase: Int

    init(geometry: FrameGeometry, consumer: any FrameConsumer, stride: Int = 1, phase: Int = 0) {
        self.geometry = geometry
        self.consumer = consumer
        step = stride * geometry.hop
        self.phase = phase
        let size = geometry.fftSize
        fft = RealFFT(size: size)
        window = .allocate(capacity: size)
        assembled = .allocate(capacity: size)
        history = .allocate(capacity: size)
        spectrum = .allocate(capacity: fft.binCount)
        spectrum.initialize(repeating: 0, count: fft.binCount)
        // Periodic Hann: sums to a constant at 50 % overlap.
        for index in 0..<size {
            window[index] = Float(0.5 - 0.5 * cos(2 * Double.pi * Double(index) / Double(size)))
        }
        nextFrameStart = phase * geometry.hop - geometry.hop / 2
    }

    deinit {
        window.deallocate()
        assembled.deallocate()
        history.deallocate()
        spectrum.deallocate()
    }

    /// Adds `count` samples that follow the ones already consumed.
    func consume(_ samples: UnsafePointer<Float>, count: Int) {
        let size = geometry.fftSize, hop = geometry.hop, step = self.step
        let blockStart = streamLength
        let blockEnd = blockStart + count
        while nextFrameStart + size <= blockEnd {
            if nextFrameStart >= blockStart {
                emitFrame(from: samples + (nextFrameStart - blockStart), blockSamples: hop, isPadded: false)
            } else {
                assemble(block: samples, blockStart: blockStart, blockEnd: blockEnd)
                emitFrame(from: assembled, blockSamples: hop, isPadded: nextFrameStart < 0)
            }
            nextFrameStart += step
        }
        // Keep the samples the next frames still need. The first frame starts before the stream
        // does; what precedes sample 0 is zeros that `assemble` supplies, not history to keep
        // (a recording shorter than a frame would otherwise copy from before `history`).
        let keepFrom = max(nextFrameStart, blockEnd - size, 0)
        let kept = blockEnd - keepFrom
        if kept > 0 {
            let fromBlock = min(kept, count)
            let fromHistory = kept - fromBlock
            if fromHistory > 0 {
                (history).update(from: history + (historyCount - fromHistory), count: fromHistory)
            }
            (history + fromHistory).update(from: samples + (count - fromBlock), count: fromBlock)
        }
        historyCount = max(kept, 0)
        streamLength = blockEnd
    }

    /// Emits the frames whose central blocks hold samples not yet covered, padding with zeros.
    func finish() {
        let hop = geometry.hop
        while nextFrameStart + hop / 2 < streamLength {
            assemble(block: nil, blockStart: streamLength, blockEnd: streamLength)
            let blockSamples = min(hop, streamLength - (nextFrameStart + hop / 2))
            emitFrame(from: assembled, blockSamples: blockSamples, isPadded: true)
            nextFrameStart += step
        }
    }

    /// Fills `assembled` with the frame at `nextFrameStart`: history, then the block, zeros elsewhere.
    private func assemble(block: UnsafePointer<Float>?, blockStart: Int, blockEnd: Int) {
        let historyStart = blockStart - historyCount
        for offset in 0..<geometry.fftSize {
            let position = nextFrameStart + offset
            if position >= blockStart && position < blockEnd, let block {
                assembled[offset] = block[position - blockStart]
            } else if position >= historyStart && position < blockStart {
                assembled[offset] = history[position - historyStart]
            } else {
                assembled[offset] = 0
            }
        }
    }

    private func emitFrame(from frame: UnsafePointer<Float>, blockSamples: Int, isPadded: Bool) {
        let size = geometry.fftSize
        let hop = geometry.hop
        let blockPower = VectorMath.sumOfSquares(frame + hop / 2, count: blockSamples) / Float(max(blockSamples, 1))
        let input = fft.input
        for index in 0..<size { input[index] = frame[index] * window[index] }
        fft.powerSpectrum(into: spectrum)
        consumer.consumeFrame(spectrum: spectrum, blockPower: blockPower, blockSamples: blockSamples, isPadded: isPadded || (emitted == 0 && phase == 0))
        emitted += 1
    }
}

/// Receives the frames of a `SpectralFramer`, in order.
protocol FrameConsumer: AnyObject {
    /// One frame: its power spectrum (`fftSize / 2 + 1` bins, valid only during the call),
    /// the mean power of the samples of its block, and whether zeros past either end of the
    /// recording fill part of its window.
    func consumeFrame(spectrum: UnsafePointer<Float>, blockPower: Float, blockSamples: Int, isPadded: Bool)
}
