@testable import AudioQC
import Foundation
import Testing

/// The framer gives the same frames whatever the sizes of the blocks it is handed, including
/// blocks shorter than a frame at the start of a recording (found by the fuzzer: a WAV of
/// eight samples made the framer copy from before its history buffer).
struct SpectralFramerTests {
    final class FrameRecorder: FrameConsumer {
        let binCount: Int
        var spectra: [[Float]] = []
        var blockPowers: [Float] = []

        init(binCount: Int) { self.binCount = binCount }

        func consumeFrame(spectrum: UnsafePointer<Float>, blockPower: Float, blockSamples: Int, isPadded: Bool) {
            spectra.append(Array(UnsafeBufferPointer(start: spectrum, count: binCount)))
            blockPowers.append(blockPower)
        }
    }

    static func frames(of samples: [Float], inBlocksOf sizes: [Int]) -> FrameRecorder {
        let geometry = FrameGeometry(sampleRate: 16_000)
        let recorder = FrameRecorder(binCount: geometry.fftSize / 2 + 1)
        let framer = SpectralFramer(geometry: geometry, consumer: recorder)
        samples.withUnsafeBufferPointer { buffer in
            var offset = 0
            for size in sizes {
                framer.consume(buffer.baseAddress! + offset, count: size)
                offset += size
            }
        }
        framer.finish()
        return recorder
    }

    @Test(arguments: [[8], [8, 8, 8], [1, 383, 616], [100, 900], [383, 1], [600, 1, 1]])
    func shortBlocksGiveTheFramesOfOneBlock(_ sizes: [Int]) {
        let total = sizes.reduce(0, +)
        let samples = (0..<total).map { Float(sin(Double($0) * 0.3)) * 0.5 + 0.1 }
        let chunked = Self.frames(of: samples, inBlocksOf: sizes)
        let whole = Self.frames(of: samples, inBlocksOf: [total])
        #expect(chunked.spectra.count == whole.spectra.count)
        #expect(chunked.spectra == whole.spectra)
        #expect(chunked.blockPowers == whole.blockPowers)
        #expect(chunked.spectra.allSatisfy { $0.allSatisfy(\.isFinite) })
    }
}
