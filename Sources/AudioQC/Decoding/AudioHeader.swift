import Foundation

/// What a recording's container declares about its audio, read from the header alone.
public struct AudioHeader: Sendable, Equatable {
    /// Sample rate in Hz.
    public var sampleRate: Int
    public var channels: Int
    /// Frames (samples per channel) the header declares; for WAV and FLAC the exact count,
    /// for streamed formats (MP3, Ogg) libsndfile's count from the stream's own length fields.
    public var frames: Int

    public init(sampleRate: Int, channels: Int, frames: Int) {
        self.sampleRate = sampleRate
        self.channels = channels
        self.frames = frames
    }

    /// Opens `source` with libsndfile and reads its header; no sample is decoded, so a file
    /// costs its header's bytes whatever its length.
    public static func read(_ source: AudioSource, limits: DecoderLimits = .standard) throws(DecodeError) -> AudioHeader {
        let reader = try SoundFileReader(source: source, limits: limits)
        return AudioHeader(sampleRate: reader.sampleRate, channels: reader.channels, frames: Int(reader.declaredFrames))
    }
}
