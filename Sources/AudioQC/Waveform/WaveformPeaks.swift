import Foundation

/// A recording's outline for drawing: `buckets` equal spans of its time, each with the lowest
/// and the highest sample (channels mixed to mono), the bars a waveform view draws.
///
/// The file is decoded once, block by block through one buffer, so memory is a block and the
/// buckets whatever the recording's length. A bucket holds every sample whose span of time
/// overlaps its own: no bucket is ever empty, and a recording shorter than `buckets` samples is
/// stretched over them (one sample fills several buckets). When the decoded length differs from
/// the length the header declared (an estimate, for some compressed formats), the file is read
/// a second time with the true length, so that the buckets always divide what is there.
public struct WaveformPeaks: Sendable, Equatable {
    /// Sample rate in Hz.
    public let sampleRate: Int
    /// Frames the buckets cover.
    public let frames: Int64
    /// The lowest sample of each bucket, full scale 1.0.
    public let minimum: [Float]
    /// The highest sample of each bucket, full scale 1.0.
    public let maximum: [Float]

    /// Seconds the buckets cover.
    public var durationS: Double { Double(frames) / Double(sampleRate) }

    /// Frames decoded per block.
    static let blockFrames = 65_536

    /// Decodes `source` into `buckets` (at least 1) spans of min/max, reading at most
    /// `maxSeconds` of it when given (a take is seconds long; a file that claims hours is drawn
    /// for its first part only).
    public init(_ source: AudioSource, buckets: Int, maxSeconds: Double? = nil, limits: DecoderLimits = .standard) throws(DecodeError) {
        precondition(buckets > 0, "a waveform has at least one bucket")
        let reader = try SoundFileReader(source: source, limits: limits)
        let cap = maxSeconds.map { seconds -> Int64 in
            let frames = (max(seconds, 0) * Double(reader.sampleRate)).rounded(.down)
            return frames < 9e18 ? Int64(frames) : .max
        } ?? .max
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: Self.blockFrames)
        defer { buffer.deallocate() }
        var minimum = [Float](repeating: 0, count: buckets)
        var maximum = [Float](repeating: 0, count: buckets)
        var length = min(max(reader.declaredFrames, 0), cap)
        let decoded = Self.scan(reader, length: length, cap: cap, buffer: buffer, minimum: &minimum, maximum: &maximum)
        if decoded != length, reader.rewind() {
            length = decoded
            for index in 0..<buckets {
                minimum[index] = 0
                maximum[index] = 0
            }
            _ = Self.scan(reader, length: length, cap: cap, buffer: buffer, minimum: &minimum, maximum: &maximum)
        }
        sampleRate = reader.sampleRate
        frames = length
        self.minimum = minimum
        self.maximum = maximum
    }

    /// The frames bucket `index` of `count` overlaps when `length` frames are shared out:
    /// `lower..<upper`, never empty while `length` > 0.
    static func span(_ index: Int, of count: Int, length: Int64) -> (lower: Int64, upper: Int64) {
        let buckets = Int64(count)
        let bucket = Int64(index)
        let lower = bucket * length / buckets
        let upper = ((bucket + 1) * length + buckets - 1) / buckets
        return (lower, upper)
    }

    /// Reads the rest of `reader` (at most `cap` frames in all), filling the buckets as if the
    /// recording held `length` frames; returns the frames read. Frames past `length` are counted
    /// and not drawn, and buckets past the end of a shorter recording keep their zeros.
    private static func scan(_ reader: SoundFileReader, length: Int64, cap: Int64, buffer: UnsafeMutablePointer<Float>,
                             minimum: inout [Float], maximum: inout [Float]) -> Int64 {
        let count = minimum.count
        var position: Int64 = 0
        var bucket = length > 0 ? 0 : count
        var (lower, upper) = span(0, of: count, length: length)
        var low = Float.greatestFiniteMagnitude
        var high = -Float.greatestFiniteMagnitude
        while position < cap {
            let read = reader.readMono(into: buffer, capacity: Int(min(Int64(blockFrames), cap - position)))
            if read == 0 { break }
            var offset = Int(max(0, lower - position))
            while bucket < count && offset < read {
                let end = Int(min(Int64(read), upper - position))
                if end > offset {
                    let extremes = VectorMath.extremes(buffer + offset, count: end - offset)
                    low = min(low, extremes.min)
                    high = max(high, extremes.max)
                }
                // The bucket goes on in the next block.
                guard position + Int64(end) == upper else { break }
                minimum[bucket] = low
                maximum[bucket] = high
                low = .greatestFiniteMagnitude
                high = -.greatestFiniteMagnitude
                bucket += 1
                if bucket < count {
                    (lower, upper) = span(bucket, of: count, length: length)
                    // The next bucket may begin on the frame this one ended with.
                    offset = Int(max(0, lower - position))
                }
            }
            position += Int64(read)
        }
        return position
    }
}
