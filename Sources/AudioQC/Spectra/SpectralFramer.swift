/// Cuts a stream of mono samples into Hann-windowed, half-overlapping frames and hands the
/// power spectrum of each, with the mean power of its central block, to a `FrameConsumer`.
///
/// Memory is one frame of samples, one spectrum and the FFT's buffers, whatever the length
/// of the recording. The per-frame loop allocates nothing.
final class SpectralFramer {
    let geometry: FrameGeometry
    private let fft: RealFFT
    private let window: UnsafeMutablePointer<Float>
    private let frame: UnsafeMutablePointer<Float>
    private let spectrum: UnsafeMutablePointer<Float>
    /// Samples in `frame`, of which the first `hop / 2` start as zeros so that block 0 starts at sample 0.
    private var fill: Int
    /// Samples received that no block has covered yet.
    private var pending = 0
    private let consumer: any FrameConsumer

    init(geometry: FrameGeometry, consumer: any FrameConsumer) {
        self.geometry = geometry
        self.consumer = consumer
        let size = geometry.fftSize
        fft = RealFFT(size: size)
        window = .allocate(capacity: size)
        frame = .allocate(capacity: size)
        spectrum = .allocate(capacity: fft.binCount)
        frame.initialize(repeating: 0, count: size)
        spectrum.initialize(repeating: 0, count: fft.binCount)
        // Periodic Hann: sums to a constant at 50 % overlap.
        for index in 0..<size {
            window[index] = Float(0.5 - 0.5 * cos(2 * Double.pi * Double(index) / Double(size)))
        }
        fill = geometry.hop / 2
    }

    deinit {
        window.deallocate()
        frame.deallocate()
        spectrum.deallocate()
    }

    /// Adds `count` samples.
    func consume(_ samples: UnsafePointer<Float>, count: Int) {
        let size = geometry.fftSize
        var offset = 0
        while offset < count {
            let take = min(size - fill, count - offset)
            (frame + fill).update(from: samples + offset, count: take)
            fill += take
            pending += take
            offset += take
            if fill == size {
                emitFrame(blockSamples: geometry.hop)
                pending -= geometry.hop
            }
        }
    }

    /// Emits the frames that cover the samples still pending, padding with zeros.
    func finish() {
        let size = geometry.fftSize
        let hop = geometry.hop
        while pending > 0 {
            (frame + fill).initialize(repeating: 0, count: size - fill)
            // The central block of this frame holds at most `pending` real samples.
            emitFrame(blockSamples: min(hop, pending))
            pending -= min(hop, pending)
        }
    }

    private func emitFrame(blockSamples: Int) {
        let size = geometry.fftSize
        let hop = geometry.hop
        let blockPower = VectorMath.sumOfSquares(frame + hop / 2, count: blockSamples) / Float(max(blockSamples, 1))
        let input = fft.input
        for index in 0..<size { input[index] = frame[index] * window[index] }
        fft.powerSpectrum(into: spectrum)
        consumer.consumeFrame(spectrum: spectrum, blockPower: blockPower, blockSamples: blockSamples)
        // Keep the second half: it is the first half of the next frame.
        frame.update(from: frame + hop, count: size - hop)
        fill = size - hop
    }
}

/// Receives the frames of a `SpectralFramer`, in order.
protocol FrameConsumer: AnyObject {
    /// One frame: its power spectrum (`fftSize / 2 + 1` bins, valid only during the call),
    /// and the mean power of the samples of its block.
    func consumeFrame(spectrum: UnsafePointer<Float>, blockPower: Float, blockSamples: Int)
}

import Foundation
