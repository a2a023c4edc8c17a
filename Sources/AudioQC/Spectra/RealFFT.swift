import CFFTW3
import Foundation

/// FFTW's planner keeps global state and is not thread-safe, so every plan creation and
/// destruction in the process goes through this one lock. Executing a plan on the buffers it
/// was made for is thread-safe, which is what lets batches analyse files on every core.
private let fftwPlannerLock = NSLock()

/// A single-precision real-to-complex FFT of a fixed size with its own aligned buffers.
final class RealFFT {
    /// Transform length in samples.
    let size: Int
    /// Number of complex bins in the output (`size / 2 + 1`).
    let binCount: Int
    /// Input samples: write `size` values here before `execute()`.
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
        fftwPlannerLock.lock()
        plan = fftwf_plan_dft_r2c_1d(Int32(size), input, output, UInt32(FFTW_ESTIMATE))!
        fftwPlannerLock.unlock()
    }

    deinit {
        fftwPlannerLock.lock()
        fftwf_destroy_plan(plan)
        fftwPlannerLock.unlock()
        fftwf_free(input)
        fftwf_free(output)
    }

    /// Transforms `input` and writes the power `|X_k|²` of every bin into `power`.
    func powerSpectrum(into power: UnsafeMutablePointer<Float>) {
        fftwf_execute(plan)
        output.withMemoryRebound(to: Float.self, capacity: 2 * binCount) { pairs in
            for bin in 0..<binCount {
                let re = pairs[2 * bin], im = pairs[2 * bin + 1]
                power[bin] = re * re + im * im
            }
        }
    }
}
