import AudioQC
import Foundation

/// The layouts ASR teams load without glue code.
public enum ExportFormat: String, Sendable, Codable, CaseIterable {
    /// Common Voice's release layout: `fr/clips/`, `validated.tsv`, `train.tsv`…
    case commonvoice
    /// A Kaldi data dir per split: `text`, `wav.scp`, `utt2spk`, `spk2utt`, `spk2gender`.
    case kaldi
    /// A NeMo JSONL manifest per split.
    case nemo
    /// Lhotse recordings and supervisions manifests (`.jsonl.gz`) per split.
    case lhotse

    /// Where clips go, relative to the export root.
    public var audioFolder: String { self == .commonvoice ? "fr/clips" : "audio" }
    /// Kaldi reads WAV only: other containers are converted to 16-bit PCM WAV.
    public var needsWAV: Bool { self == .kaldi }
}

/// A clip as written: its item, the speaker pseudonym, where its audio is, and its length.
public struct ExportedClip: Sendable, Equatable {
    public var item: ExportItem
    /// `spk-` and 12 hex digits: an export pseudonym, not the worker id of the service.
    public var speaker: String
    /// Common Voice's `client_id`: 64 hex digits.
    public var clientId: String
    /// nil for takes outside train/dev/test (invalidated, or left out for prompt-disjointness).
    public var split: Split?
    /// Path relative to the export root.
    public var relativePath: String
    /// Absolute path, for manifests whose readers resolve paths from anywhere.
    public var absolutePath: String
    public var sampleRate: Int
    public var frames: Int

    public init(item: ExportItem, speaker: String, clientId: String, split: Split?, relativePath: String, absolutePath: String,
                sampleRate: Int, frames: Int) {
        self.item = item
        self.speaker = speaker
        self.clientId = clientId
        self.split = split
        self.relativePath = relativePath
        self.absolutePath = absolutePath
        self.sampleRate = sampleRate
        self.frames = frames
    }

    public var duration: Double { Double(frames) / Double(sampleRate) }
    /// Utterance id: speaker first, so sorting by either gives the same order (Kaldi's rule).
    public var utteranceId: String { "\(speaker)-\(item.recordingId)" }
}

/// A manifest file to write: its path relative to the export root, its text, and whether it
/// is gzip-compressed on disk.
public struct ManifestFile: Sendable, Equatable {
    public var path: String
    public var text: String
    public var gzip: Bool

    public init(path: String, text: String, gzip: Bool = false) {
        self.path = path
        self.text = text
        self.gzip = gzip
    }
}

/// The manifest files of each format, built from the clips (pure text; the writer puts them on disk).
public enum ManifestBuilder {
    public static func files(_ format: ExportFormat, clips: [ExportedClip], status: ExportStatus) -> [ManifestFile] {
        switch format {
        case .commonvoice: return commonVoice(clips, status: status)
        case .kaldi: return kaldi(clips)
        case .nemo: return nemo(clips)
        case .lhotse: return lhotse(clips)
        }
    }

    /// Sorts like `LC_ALL=C sort`: by UTF-8 bytes.
    static func cSorted(_ lines: [String]) -> [String] {
        lines.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// One line of a TSV cell: no tabs or line breaks.
    static func cell(_ text: String?) -> String {
        (text ?? "").replacingOccurrences(of: "\t", with: " ").replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
    }

    public static let commonVoiceColumns = ["client_id", "path", "sentence", "sentence_id", "sentence_domain", "up_votes", "down_votes",
                                            "age", "gender", "accents", "variant", "locale", "segment"]

    /// Common Voice's gender vocabulary (releases since v17).
    static func commonVoiceGender(_ gender: String?) -> String {
        switch gender {
        case "female": return "female_feminine"
        case "male": return "male_masculine"
        case "non_binary": return "non-binary"
        case "undisclosed": return "do_not_wish_to_say"
        default: return ""
        }
    }

    static func commonVoice(_ clips: [ExportedClip], status: ExportStatus) -> [ManifestFile] {
        let header = commonVoiceColumns.joined(separator: "\t")
        func row(_ clip: ExportedClip) -> String {
            let item = clip.item
            let name = (clip.relativePath as NSString).lastPathComponent
            return [clip.clientId, name, cell(item.sentence), sentenceID(item.promptText), cell(item.domain), String(item.upVotes),
                    String(item.downVotes), cell(item.ageBand), commonVoiceGender(item.gender), cell(item.accent), "", "fr", ""]
                .joined(separator: "\t")
        }
        let ordered = clips.sorted { $0.item.recordingId < $1.item.recordingId }
        let delivered = ordered.filter { status.includes($0.item) }
        var files = [
            ManifestFile(path: "fr/validated.tsv", text: ([header] + delivered.map(row)).joined(separator: "\n") + "\n"),
            ManifestFile(path: "fr/invalidated.tsv", text: ([header] + ordered.filter { $0.item.outcome == "invalidated" }.map(row)).joined(separator: "\n") + "\n"),
        ]
        for split in Split.allCases {
            files.append(ManifestFile(path: "fr/\(split.rawValue).tsv",
                                      text: ([header] + delivered.filter { $0.split == split }.map(row)).joined(separator: "\n") + "\n"))
        }
        let durations = ordered.map { "\(($0.relativePath as NSString).lastPathComponent)\t\(Int(($0.duration * 1000).rounded()))" }
        files.append(ManifestFile(path: "fr/clip_durations.tsv", text: (["clip\tduration[ms]"] + durations).joined(separator: "\n") + "\n"))
        return files
    }

    /// Common Voice identifies sentences by a hash of their text.
    static func sentenceID(_ text: String) -> String {
        String(format: "%016llx", StableHash.fnv1a(text))
    }

    static func kaldi(_ clips: [ExportedClip]) -> [ManifestFile] {
        var files: [ManifestFile] = []
        for split in Split.allCases {
            let members = clips.filter { $0.split == split }
            func file(_ name: String, _ lines: [String]) -> ManifestFile {
                ManifestFile(path: "\(split.rawValue)/\(name)", text: cSorted(lines).map { $0 + "\n" }.joined())
            }
            // Kaldi splits text on whitespace: the transcript goes on one line.
            files.append(file("text", members.map { "\($0.utteranceId) \($0.item.sentence.split(whereSeparator: \.isWhitespace).joined(separator: " "))" }))
            files.append(file("wav.scp", members.map { "\($0.utteranceId) \($0.absolutePath)" }))
            files.append(file("utt2spk", members.map { "\($0.utteranceId) \($0.speaker)" }))
            var bySpeaker: [String: [String]] = [:]
            for clip in members { bySpeaker[clip.speaker, default: []].append(clip.utteranceId) }
            files.append(file("spk2utt", bySpeaker.map { "\($0.key) " + cSorted($0.value).joined(separator: " ") }))
            // validate_data_dir.sh accepts only m and f: the file is written when every speaker has one.
            var genders: [String: String] = [:]
            for clip in members { genders[clip.speaker] = clip.item.gender == "female" ? "f" : clip.item.gender == "male" ? "m" : "" }
            if !genders.isEmpty, genders.values.allSatisfy({ !$0.isEmpty }) {
                files.append(file("spk2gender", genders.map { "\($0.key) \($0.value)" }))
            }
        }
        return files
    }

    static func rounded(_ value: Double, _ digits: Int = 3) -> OrderedJSON {
        let scale = pow(10, Double(digits))
        return .double((value * scale).rounded() / scale)
    }

    static func nemo(_ clips: [ExportedClip]) -> [ManifestFile] {
        Split.allCases.map { split in
            let lines = clips.filter { $0.split == split }.sorted { $0.utteranceId < $1.utteranceId }.map { clip in
                OrderedJSON.fields([
                    "audio_filepath": .string(clip.absolutePath), "duration": rounded(clip.duration), "text": .string(clip.item.sentence),
                    "pred_text": .string(clip.item.asrText), "snr_db": clip.item.snrDb.map { rounded($0, 2) } ?? .null,
                    "speaker": .string(clip.speaker), "accent": .string(clip.item.accent), "gender": .string(clip.item.gender),
                    "utterance_id": .string(clip.utteranceId),
                ]).serialized()
            }
            return ManifestFile(path: "\(split.rawValue)_manifest.jsonl", text: lines.map { $0 + "\n" }.joined())
        }
    }

    static func lhotse(_ clips: [ExportedClip]) -> [ManifestFile] {
        var files: [ManifestFile] = []
        for split in Split.allCases {
            let members = clips.filter { $0.split == split }.sorted { $0.utteranceId < $1.utteranceId }
            let recordings = members.map { clip in
                OrderedJSON.fields([
                    "id": .string(clip.utteranceId),
                    "sources": .array([.fields(["type": .string("file"), "channels": .array([.int(0)]), "source": .string(clip.absolutePath)])]),
                    "sampling_rate": .int(clip.sampleRate), "num_samples": .int(clip.frames), "duration": .double(clip.duration),
                    "channel_ids": .array([.int(0)]),
                ]).serialized()
            }
            let supervisions = members.map { clip in
                OrderedJSON.fields([
                    "id": .string(clip.utteranceId), "recording_id": .string(clip.utteranceId), "start": .double(0),
                    "duration": .double(clip.duration), "channel": .int(0), "text": .string(clip.item.sentence), "language": .string("French"),
                    "speaker": .string(clip.speaker), "gender": .string(clip.item.gender),
                    "custom": .fields([
                        "accent": .string(clip.item.accent), "region": .string(clip.item.region), "age_band": .string(clip.item.ageBand),
                        "noise_condition": .string(clip.item.noiseCondition), "snr_db": clip.item.snrDb.map { rounded($0, 2) } ?? .null,
                        "asr_text": .string(clip.item.asrText), "prompt": .string(clip.item.promptText),
                    ]),
                ]).serialized()
            }
            files.append(ManifestFile(path: "parloir_recordings_\(split.rawValue).jsonl.gz", text: recordings.map { $0 + "\n" }.joined(), gzip: true))
            files.append(ManifestFile(path: "parloir_supervisions_\(split.rawValue).jsonl.gz", text: supervisions.map { $0 + "\n" }.joined(), gzip: true))
        }
        return files
    }
}
