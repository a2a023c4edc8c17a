import CFFTW3
import Foundation

/// FFTW plans shared by the whole process, one per transform size.
///
/// FFTW's planner keeps global state and is not thread-safe, so every plan creation in the
/// process goes through this one lock. Plans are made once per size with `FFTW_ESTIMATE`
/// (about 2 ms; `FFTW_MEASURE` spends 100 ms of timing runs per size to save a quarter of
/// each transform, a bad trade for batches of short takes) and kept for the life of the
/// process, so none is ever destroyed. Executing a plan
/// through the new-array interface on other buffers with the same alignment (every buffer
/// comes from `fftwf_alloc_*`) is thread-safe: that is what lets batches use every core.
private final class FFTPlanCache: @unchecked Sendable {
    static let shared = FFTPlanCache()
    private let lock = NSLock()
    private var plans: [Int: fftwf_plan] = [:]

    func plan(size: Int) -> fftwf_plan {
        lock.lock()
        defer { lock.unlock() }
        if let plan = plans[size] { return plan }
        let input = fftwf_alloc_real(size)!
        let output = fftwf_alloc_complex(size / 2 + 1)!
        defer { fftwf_free(input); fftwf_free(output) }
        let plan = fftwf_plan_dft_r2c_1d(Int32(size), input, output, UInt32(FFTW_ESTIMATE))!
        plans[size] = plan
        return plan
    }
}

/// A single-precision real-to-complex FFT of a fixed size with its own aligned buffers.
final class RealFFT {
    /// Transform length in samples.
    let size: Int
    /// Number of complex bins in the output (`size / 2 + 1`).
    let binCount: Int
    /// Input samples: write `size` values here before transforming.
    let input: UnsafeMutablePointer<Float>
    private let output: UnsafeMutablePointer<fftwf_complex>
    private let plan: fftwf_plan

    init(size: Int) {
        precondition(size >= 2 && size & (size - 1) == 0, "FFT sizes are powers of two")
        self.size = size
        binCount = size / 2 + 1
        input = fftwf_alloc_real(size)!
        output = fftwf_alloc_complex(size / 2 + 1)!
        input.initialize(repeating: 0, count: size)
        plan = FFTPlanCache.shared.plan(size: size)
    }

    deinit {
        fftwf_free(input)
        fftwf_free(output)
    }

    /// Transforms `input` and writes the power `|X_k|²` of every bin into `power`.
    func powerSpectrum(into power: UnsafeMutablePointer<Float>) {
        fftwf_execute_dft_r2c(plan, input, output)
        output.withMemoryRebound(to: Float.self, capacity: 2 * binCount) { pairs in
            // Eight complex bins at a time: square the interleaved (re, im) lanes and add each pair.
            let raw = UnsafeRawPointer(pairs)
            var bin = 0
            while bin + 8 <= binCount {
                let values = raw.loadUnaligned(fromByteOffset: bin * 8, as: SIMD16<Float>.self)
                let squares = values * values
                UnsafeMutableRawPointer(power + bin).storeBytes(of: squares.evenHalf + squares.oddHalf, as: SIMD8<Float>.self)
                bin += 8
            }
            while bin < binCount {
                let re = pairs[2 * bin], im = pairs[2 * bin + 1]
                power[bin] = re * re + im * im
                bin += 1
            }
        }
    }
}
