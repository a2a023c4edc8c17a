import AudioQC
import Foundation
import ParloirCore

/// A stored take's waveform outline for the verifier page, drawn by the DSP core on the
/// analysis pool (decoding is work that never yields, kept off the event loops). The decoder
/// reads a file: the blob itself when the store keeps files on this machine, otherwise a copy
/// streamed from the store into a staging file, removed once read.
struct TakeWaveform: Sendable {
    let blobs: any BlobStore
    let analysis: AnalysisPool

    /// Seconds drawn at most. A PCM WAV at the upload cap (20 MB) is under four minutes even at
    /// 48 kHz; only a crafted compressed file could claim hours, and it is drawn for these.
    static let longestSeconds = 600.0

    /// The outline of `recording`'s audio in `buckets` spans.
    func peaks(of recording: Recording, buckets: Int) async throws -> WaveformPeaks {
        if let path = blobs.localPath(recording.sha256) {
            guard FileManager.default.fileExists(atPath: path) else {
                throw ParloirError.internalError("the audio of \(recording.id) is missing from the blob store")
            }
            return try await decode(path, buckets: buckets)
        }
        guard let size = try await blobs.size(of: recording.sha256) else {
            throw ParloirError.internalError("the audio of \(recording.id) is missing from the blob store")
        }
        let staging = RecordingRoutes.UncheckedBlobWriter(try blobs.makeUpload(limit: max(size, 1)))
        defer { staging.writer.discard() }
        try await blobs.read(recording.sha256) { chunk in
            try chunk.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) throws -> Void in try staging.writer.write(bytes) }
        }
        return try await decode(staging.writer.stagingPath, buckets: buckets)
    }

    private func decode(_ path: String, buckets: Int) async throws -> WaveformPeaks {
        let outcome: Result<WaveformPeaks, DecodeError>
        do {
            outcome = try await analysis.run { () -> Result<WaveformPeaks, DecodeError> in
                do throws(DecodeError) {
                    return .success(try WaveformPeaks(.file(path), buckets: buckets, maxSeconds: Self.longestSeconds))
                } catch {
                    return .failure(error)
                }
            }
        } catch {
            throw Self.busy
        }
        switch outcome {
        case .success(let peaks): return peaks
        case .failure(let error):
            throw ParloirError(status: 422, code: "undecodable_audio", message: "the take's audio cannot be decoded: \(error.message)",
                               details: ["message_fr": "Cet enregistrement ne peut pas être décodé : sa forme d'onde n'est pas disponible. "
                                   + "Écoutez-le s'il se lit, sinon déclarez-le inutilisable."])
        }
    }

    static let busy = ParloirError.busy(
        "every analysis thread is busy and the queue is full; ask for the waveform again shortly",
        messageFR: "Le serveur est très sollicité : la forme d'onde n'a pas pu être calculée. Elle sera redemandée dans quelques secondes.",
        retryAfter: 2
    )
}
