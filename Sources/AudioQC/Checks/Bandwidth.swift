import Foundation

/// Effective bandwidth as HiFi-TTS measured it: the highest frequency at which the average
/// power spectrum of speech frames is within 50 dB of its peak. Telephone audio that was
/// upsampled keeps nothing above 3.4–4 kHz and shows it at once.
enum BandwidthEstimate {
    /// Bins under this frequency are left out of the peak search: DC offset and mains hum live there.
    static let lowestPeakHz = 80.0

    /// The bandwidth in Hz of an averaged speech spectrum whose bins lie `resolution` Hz
    /// apart, or nil when there was no speech.
    static func bandwidth(spectrum: [Double], frames: Int, resolution: Double, rangeDB: Double = 50) -> Double? {
        guard frames > 0 else { return nil }
        let first = max(1, Int((lowestPeakHz / resolution).rounded()))
        guard first < spectrum.count, let peak = spectrum[first...].max(), peak > 0 else { return nil }
        let floor = peak * pow(10, -rangeDB / 10)
        var highest = first
        for bin in first..<spectrum.count where spectrum[bin] >= floor { highest = bin }
        return Double(highest) * resolution
    }
}
