import Foundation

/// Estimates SNR from the amplitude distribution alone (WADA-SNR, Kim & Stern 2008), for
/// recordings where speech never pauses long enough to measure the noise directly.
///
/// Speech amplitudes follow a gamma distribution of shape 0.4, Gaussian noise does not; the
/// gap between log(E|z|) and E[log|z|] moves with the mix and is read back through a table
/// (`BlindSNR+Table.swift`, made by `scripts/wada_table.py`). The model assumes white-ish
/// noise; coloured noise biases it, which is why pauses are preferred whenever they exist.
struct BlindSNR {
    private var sumAbs = 0.0
    private var sumLog = 0.0
    private var count = 0

    /// Adds samples of the speech span.
    mutating func consume(_ samples: UnsafePointer<Float>, count: Int) {
        var abs = 0.0, logs = 0.0
        for index in 0..<count {
            let a = Swift.max(Swift.abs(samples[index]), 1e-10)
            abs += Double(a)
            logs += Double(Foundation.log(a))
        }
        sumAbs += abs
        sumLog += logs
        self.count += count
    }

    /// The SNR in dB the amplitude statistics point to, from -20 to 100, or nil without samples.
    var snrDB: Double? {
        guard count > 0, sumAbs > 0 else { return nil }
        let g = log(sumAbs / Double(count)) - sumLog / Double(count)
        let table = Self.table
        if g <= table[0] { return -20 }
        if g >= table[table.count - 1] { return 100 }
        // The table rises with SNR; walk down from the top to skip the flat, noisy low end.
        var index = table.count - 1
        while index > 0 && table[index - 1] >= g { index -= 1 }
        let lower = table[index - 1], upper = table[index]
        let fraction = upper > lower ? (g - lower) / (upper - lower) : 0
        return Double(index - 1 - 20) + fraction
    }
}
