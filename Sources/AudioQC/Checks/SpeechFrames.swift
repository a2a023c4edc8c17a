/// The figures of the frames the speech detector has not committed yet, in arrays it reuses:
/// per frame the speech-band level, four broad bands, 250 Hz bands, the block's power, and
/// (every other frame) the power spectrum for the speech spectrum average.
///
/// Levels are in dB (`10·log10` of the mean power per sample). Bands start at 200 Hz, so that
/// mains hum and engine rumble stay out, and stop at 8 kHz or 0.45 × the sample rate:
/// 250 Hz bands `200 + 250·k`; the speech band is the first sixteen (200 Hz to 4.2 kHz); the broad
/// bands group them as 200–1200, 1200–2700, 2700–4200 Hz and 4.2 kHz up (NaN where the sample
/// rate has no such band).
final class SpeechFrames {
    /// Frames held at most.
    let capacity: Int
    /// 250 Hz bands at this sample rate.
    let fineBandCount: Int
    /// The first FFT bin of each 250 Hz band, and one past the last band.
    let bandBins: [Int]
    /// Spectra are stored averaged over `binStride` bins, `storedBins` of them.
    let binStride: Int
    let storedBins: Int
    /// Bins of the spectra the framer hands over.
    let spectrumBins: Int

    /// Frames held now.
    private(set) var count = 0
    /// Recording-wide index of the first frame held (always even, so spectra stay on even frames).
    private(set) var base = 0

    // Storage allocated once; the per-frame path touches raw memory only.
    let energy: UnsafeMutablePointer<Float>
    let broad: UnsafeMutablePointer<Float>
    let fine: UnsafeMutablePointer<Float>
    let power: UnsafeMutablePointer<Float>
    let samples: UnsafeMutablePointer<Int32>
    let spectra: UnsafeMutablePointer<Float>
    /// One frame's band sums, before their logarithms.
    private let bandSums: UnsafeMutablePointer<Float>

    static let broadBands = 4
    static let speechBands = 16
    static let broadEdges = [0, 4, 10, 16]

    init(geometry: FrameGeometry, capacity: Int) {
        self.capacity = capacity + capacity % 2
        let top = min(8_000, 0.45 * Double(geometry.sampleRate))
        fineBandCount = max(1, Int((top - 200) / 250))
        bandBins = (0...fineBandCount).map { geometry.bin(of: 200 + 250 * Double($0)) }
        spectrumBins = geometry.fftSize / 2 + 1
        binStride = max(1, (spectrumBins + 1_024) / 1_025)
        storedBins = (spectrumBins + binStride - 1) / binStride
        energy = .allocate(capacity: self.capacity)
        broad = .allocate(capacity: self.capacity * Self.broadBands)
        fine = .allocate(capacity: self.capacity * fineBandCount)
        power = .allocate(capacity: self.capacity)
        samples = .allocate(capacity: self.capacity)
        spectra = .allocate(capacity: (self.capacity / 2) * storedBins)
        bandSums = .allocate(capacity: fineBandCount + 8)
        bandSums.initialize(repeating: 0, count: fineBandCount + 8)
    }

    deinit {
        energy.deallocate()
        broad.deallocate()
        fine.deallocate()
        power.deallocate()
        samples.deallocate()
        spectra.deallocate()
        bandSums.deallocate()
    }

    var isFull: Bool { count == capacity }

    /// Adds a frame: its power spectrum (`fftSize/2 + 1` bins), the factor that turns it into
    /// power per sample, its block's mean power and sample count.
    func append(spectrum: UnsafePointer<Float>, scale: Float, blockPower: Float, blockSamples: Int) {
        precondition(count < capacity)
        let slot = count
        let bands = fineBandCount
        bandBins.withUnsafeBufferPointer { edges in
            var from = edges[0]
            for band in 0..<bands {
                let to = edges[band + 1]
                bandSums[band] = VectorMath.sum(spectrum + from, count: to - from) * scale + 1e-20
                from = to
            }
        }
        VectorMath.fastDecibels(bandSums, count: bands, into: fine + slot * bands)
        let row = broad + slot * Self.broadBands
        var speech: Float = 0
        for k in 0..<Self.broadBands {
            let first = Self.broadEdges[k], last = k + 1 < Self.broadBands ? min(Self.broadEdges[k + 1], bands) : bands
            guard first < bands else { row[k] = .nan; continue }
            var sum: Float = 0
            for band in first..<last { sum += bandSums[band] }
            if k < 3 { speech += sum }
            row[k] = VectorMath.fastDecibels(sum)
        }
        energy[slot] = VectorMath.fastDecibels(speech)
        power[slot] = blockPower
        samples[slot] = Int32(blockSamples)
        if slot & 1 == 0 {
            let stored = spectra + (slot / 2) * storedBins
            if binStride == 1 {
                stored.update(from: spectrum, count: storedBins)
            } else {
                for index in 0..<storedBins {
                    let first = index * binStride, last = min(first + binStride, spectrumBins)
                    var sum: Float = 0
                    for bin in first..<last { sum += spectrum[bin] }
                    stored[index] = sum / Float(last - first)
                }
            }
        }
        count += 1
    }

    @inline(__always)
    static func broadIndex(_ band: Int) -> Int { band < 4 ? 0 : band < 10 ? 1 : band < 16 ? 2 : 3 }

    /// The broad band `k` of frame `i` (NaN when the sample rate has none).
    @inline(__always)
    func broad(_ i: Int, _ k: Int) -> Float { broad[i * Self.broadBands + k] }

    /// The 250 Hz band `k` of frame `i`.
    @inline(__always)
    func fine(_ i: Int, _ k: Int) -> Float { fine[i * fineBandCount + k] }

    /// Drops every frame held.
    func removeAll() {
        base += count + count % 2
        count = 0
    }

    /// Drops the first `frames` frames (an even number), keeping the rest in order.
    func drop(_ frames: Int) {
        precondition(frames % 2 == 0 && frames <= count)
        let kept = count - frames
        energy.update(from: energy + frames, count: kept)
        broad.update(from: broad + frames * Self.broadBands, count: kept * Self.broadBands)
        fine.update(from: fine + frames * fineBandCount, count: kept * fineBandCount)
        power.update(from: power + frames, count: kept)
        samples.update(from: samples + frames, count: kept)
        spectra.update(from: spectra + (frames / 2) * storedBins, count: ((kept + 1) / 2) * storedBins)
        count = kept
        base += frames
    }
}
