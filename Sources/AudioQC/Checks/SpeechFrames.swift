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

    var energy: [Float]
    var broad: [Float]
    var fine: [Float]
    var power: [Float]
    var samples: [Int32]
    var spectra: [Float]

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
        energy = Array(repeating: 0, count: self.capacity)
        broad = Array(repeating: 0, count: self.capacity * Self.broadBands)
        fine = Array(repeating: 0, count: self.capacity * fineBandCount)
        power = Array(repeating: 0, count: self.capacity)
        samples = Array(repeating: 0, count: self.capacity)
        spectra = Array(repeating: 0, count: (self.capacity / 2) * storedBins)
    }

    var isFull: Bool { count == capacity }

    /// Adds a frame: its power spectrum (`fftSize/2 + 1` bins, already scaled to power per
    /// sample), its block's mean power and sample count.
    func append(spectrum: UnsafePointer<Float>, scale: Float, blockPower: Float, blockSamples: Int) {
        precondition(count < capacity)
        let slot = count
        var speech: Float = 0
        var broadSums = SIMD4<Float>()
        fine.withUnsafeMutableBufferPointer { fine in
            let row = fine.baseAddress! + slot * fineBandCount
            for band in 0..<fineBandCount {
                var sum: Float = 0
                for bin in bandBins[band]..<bandBins[band + 1] { sum += spectrum[bin] }
                sum *= scale
                if band < Self.speechBands { speech += sum }
                broadSums[Self.broadIndex(band)] += sum
                row[band] = VectorMath.fastDecibels(sum + 1e-20)
            }
        }
        energy[slot] = VectorMath.fastDecibels(speech + 1e-20)
        for k in 0..<Self.broadBands {
            broad[slot * Self.broadBands + k] = Self.broadEdges[k] < fineBandCount ? VectorMath.fastDecibels(broadSums[k] + 1e-20) : .nan
        }
        power[slot] = blockPower
        samples[slot] = Int32(blockSamples)
        if slot & 1 == 0 {
            spectra.withUnsafeMutableBufferPointer { stored in
                let row = stored.baseAddress! + (slot / 2) * storedBins
                if binStride == 1 {
                    row.update(from: spectrum, count: storedBins)
                } else {
                    for index in 0..<storedBins {
                        let from = index * binStride, to = min(from + binStride, spectrumBins)
                        var sum: Float = 0
                        for bin in from..<to { sum += spectrum[bin] }
                        row[index] = sum / Float(to - from)
                    }
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
        func move(_ array: inout [Float], width: Int) {
            array.withUnsafeMutableBufferPointer { buffer in
                let base = buffer.baseAddress!
                base.update(from: base + frames * width, count: kept * width)
            }
        }
        move(&energy, width: 1)
        move(&broad, width: Self.broadBands)
        move(&fine, width: fineBandCount)
        move(&power, width: 1)
        samples.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            base.update(from: base + frames, count: kept)
        }
        spectra.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            base.update(from: base + (frames / 2) * storedBins, count: ((kept + 1) / 2) * storedBins)
        }
        count = kept
        base += frames
    }
}
