import Foundation

/// Band-limited sample-rate conversion: a Kaiser-windowed sinc evaluated at the phases a
/// rational ratio needs (polyphase), streamed block by block.
///
/// The low-pass filter keeps everything up to 0.9 × the lower of the two Nyquist frequencies
/// flat (ripple far under 0.1 dB) and rejects from that Nyquist frequency up by more than
/// 80 dB: its cutoff sits at 0.95 × Nyquist, its transition band spans ±0.05 × Nyquist, and the
/// Kaiser window is designed for 90 dB. The filter is centred on each output instant, so the
/// output is not delayed (the same alignment as sox's `rate`).
///
/// For each output sample at input time t = n × inRate / outRate, the phase is t's fractional
/// part, one of L values for a ratio reduced to L/M; each phase has its K taps precomputed.
public final class Resampler {
    public let inputRate: Int
    public let outputRate: Int
    /// Input samples per output step, as the reduced fraction `step / phases`.
    private let step: Int
    private let phases: Int
    /// Taps per phase (even): output n uses inputs ⌊t⌋ − K/2 + 1 … ⌊t⌋ + K/2.
    private let taps: Int
    /// `coefficients[phase * taps + j]` multiplies input ⌊t⌋ − K/2 + 1 + j.
    private let coefficients: [Float]
    /// Input not yet fully used: `history[0]` is input sample number `historyStart`.
    private var history: [Float] = []
    private var historyStart = 0
    /// Input samples received so far, and output samples produced.
    private var received = 0
    private var produced = 0

    /// Attenuation the window is designed for (dB).
    public static let designAttenuationDB = 90.0
    /// Cutoff and half transition width, as fractions of the lower Nyquist frequency.
    public static let cutoff = 0.95
    public static let halfTransition = 0.05

    /// A converter from `inputRate` to `outputRate` (Hz, both positive).
    public init(from inputRate: Int, to outputRate: Int) {
        precondition(inputRate > 0 && outputRate > 0, "sample rates are positive")
        self.inputRate = inputRate
        self.outputRate = outputRate
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
        let divisor = gcd(inputRate, outputRate)
        step = inputRate / divisor
        phases = outputRate / divisor
        // Frequencies relative to the input rate: cutoff fc, transition width Δf.
        let nyquist = Double(min(inputRate, outputRate)) / 2
        let fc = Self.cutoff * nyquist / Double(inputRate)
        let transition = 2 * Self.halfTransition * nyquist / Double(inputRate)
        let attenuation = Self.designAttenuationDB
        let beta = 0.1102 * (attenuation - 8.7)
        // Kaiser's estimate of the length in input samples, rounded up to an even count.
        let length = Int(((attenuation - 7.95) / (14.36 * transition)).rounded(.up)) + 1
        taps = length + length % 2
        let half = Double(taps) / 2
        func besselI0(_ x: Double) -> Double {
            var sum = 1.0, term = 1.0, k = 1.0
            repeat {
                term *= (x / (2 * k)) * (x / (2 * k))
                sum += term
                k += 1
            } while term > sum * 1e-17
            return sum
        }
        let normaliser = besselI0(beta)
        var table = [Float](repeating: 0, count: phases * taps)
        for phase in 0..<phases {
            let fraction = Double(phase) / Double(phases)
            for j in 0..<taps {
                // Distance in input samples from the output instant to input ⌊t⌋ − K/2 + 1 + j.
                let tau = fraction - Double(j - taps / 2 + 1)
                let x = tau / half
                guard abs(x) < 1 else { continue }
                let argument = 2 * fc * tau
                let sinc = argument == 0 ? 1 : sin(Double.pi * argument) / (Double.pi * argument)
                table[phase * taps + j] = Float(2 * fc * sinc * besselI0(beta * (1 - x * x).squareRoot()) / normaliser)
            }
        }
        coefficients = table
    }

    /// Output samples a whole input of `frames` samples gives (as sox rounds it).
    public static func outputCount(frames: Int, from inputRate: Int, to outputRate: Int) -> Int {
        Int((Double(frames) * Double(outputRate) / Double(inputRate)).rounded())
    }

    /// Converts the next block of input; returns the output samples it completes.
    public func process(_ input: UnsafeBufferPointer<Float>) -> [Float] {
        history.append(contentsOf: input)
        received += input.count
        return drain(until: received)
    }

    /// Converts a block given as an array.
    public func process(_ input: [Float]) -> [Float] {
        input.withUnsafeBufferPointer { process($0) }
    }

    /// Ends the stream: the last outputs, computed as if silence followed.
    public func finish() -> [Float] {
        let total = Self.outputCount(frames: received, from: inputRate, to: outputRate)
        history.append(contentsOf: [Float](repeating: 0, count: taps))
        var output = drain(until: received + taps)
        output.removeLast(max(0, produced - total))
        produced = min(produced, total)
        return output
    }

    /// Every output whose inputs are all below `available`.
    private func drain(until available: Int) -> [Float] {
        var output: [Float] = []
        let half = taps / 2
        history.withUnsafeBufferPointer { samples in
            coefficients.withUnsafeBufferPointer { table in
                while true {
                    // t = produced × step / phases, as integer part and phase.
                    let numerator = produced * step
                    let whole = numerator / phases
                    let phase = numerator % phases
                    let first = whole - half + 1
                    guard first + taps <= available else { break }
                    var sum: Float = 0
                    let row = phase * taps
                    for j in 0..<taps {
                        let index = first + j - historyStart
                        if index >= 0 { sum += table[row + j] * samples[index] }
                    }
                    output.append(sum)
                    produced += 1
                }
            }
        }
        // Keep only what later outputs still need.
        let needed = (produced * step) / phases - half + 1
        let drop = min(history.count, max(0, needed - historyStart))
        if drop > 0 {
            history.removeFirst(drop)
            historyStart += drop
        }
        return output
    }

    /// A whole signal converted at once.
    public static func convert(_ samples: [Float], from inputRate: Int, to outputRate: Int) -> [Float] {
        let resampler = Resampler(from: inputRate, to: outputRate)
        return resampler.process(samples) + resampler.finish()
    }
}
