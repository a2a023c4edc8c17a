import Foundation
import ParloirCore
import Transcripts

/// A task as the verifier's terminal shows it.
public struct VerifierTask: Sendable, Equatable {
    public var taskID: String
    public var kind: String
    public var promptText: String
    public var asrText: String?
    /// For an appeal, what the automatic rejection found and what the worker said.
    public var appeal: AppealEvidence?

    public init(taskID: String, kind: String, promptText: String, asrText: String?, appeal: AppealEvidence? = nil) {
        self.taskID = taskID
        self.kind = kind
        self.promptText = promptText
        self.asrText = asrText
        self.appeal = appeal
    }
}

/// What a verifier hearing an appeal judges on: the worker's comment and the DSP core's reasons
/// and metrics for the rejection.
public struct AppealEvidence: Sendable, Equatable {
    /// One reason of the rejection, as the DSP core reported it.
    public struct Reason: Sendable, Equatable {
        public var code: String
        public var message: String
        public var hintFR: String
        public init(code: String, message: String, hintFR: String) {
            self.code = code
            self.message = message
            self.hintFR = hintFR
        }
    }

    public var comment: String?
    public var reasons: [Reason]
    /// The measured figures, by name (`snr_db`, `clipped_fraction`…), as printed.
    public var metrics: [(name: String, value: String)]

    public init(comment: String?, reasons: [Reason], metrics: [(name: String, value: String)]) {
        self.comment = comment
        self.reasons = reasons
        self.metrics = metrics
    }

    public static func == (lhs: AppealEvidence, rhs: AppealEvidence) -> Bool {
        lhs.comment == rhs.comment && lhs.reasons == rhs.reasons && lhs.metrics.map(\.name) == rhs.metrics.map(\.name)
            && lhs.metrics.map(\.value) == rhs.metrics.map(\.value)
    }

    /// The lines the terminal prints under the task's header.
    public func lines(style: TerminalStyle, words: VerifyWords) -> [String] {
        var lines = [style.paint(words.appealLabel, .yellow) + words.rejectedFor]
        for reason in reasons {
            lines.append("    " + style.paint(reason.code, .bold) + "  " + reason.message)
            lines.append("      " + style.paint(words.toldTheWorker, .dim) + reason.hintFR)
        }
        if !metrics.isEmpty {
            lines.append("    " + style.paint(words.metrics, .dim) + metrics.map { "\($0.name) \($0.value)" }.joined(separator: " · "))
        }
        lines.append("    " + words.workerSays + (comment.map(words.quoted) ?? style.paint(words.noComment, .dim)))
        return lines
    }
}

/// What the verifier's client talks to: the verification API, passed in as functions so this
/// module holds no HTTP. They fail with what the verifier needs to know, not with HTTP.
public struct VerifierService: Sendable {
    public var claim: @Sendable () async throws(VerifierServiceFailure) -> VerifierTask?
    public var audio: @Sendable (String) async throws(VerifierServiceFailure) -> (data: Data, contentType: String)
    /// Posts a result; the take's outcome (`validated`, `invalidated`) once every review is in.
    public var submit: @Sendable (String, VerifierResult) async throws(VerifierServiceFailure) -> String?
    public var release: @Sendable (String) async throws(VerifierServiceFailure) -> Void

    public init(claim: @escaping @Sendable () async throws(VerifierServiceFailure) -> VerifierTask?,
                audio: @escaping @Sendable (String) async throws(VerifierServiceFailure) -> (data: Data, contentType: String),
                submit: @escaping @Sendable (String, VerifierResult) async throws(VerifierServiceFailure) -> String?,
                release: @escaping @Sendable (String) async throws(VerifierServiceFailure) -> Void) {
        self.claim = claim
        self.audio = audio
        self.submit = submit
        self.release = release
    }
}

/// Plays a take with the first player found on the machine.
public struct AudioPlayer: Sendable {
    public let name: String
    public let executable: String
    public let arguments: [String]

    /// Players tried in order, with the arguments that make them play one file and exit quietly.
    public static let known: [(String, [String])] = [
        ("aplay", ["-q"]), ("paplay", []), ("ffplay", ["-nodisp", "-autoexit", "-loglevel", "quiet"]), ("play", ["-q"]),
    ]

    /// The player called `name`, or the first available one when `name` is nil; nil when none is.
    public static func find(_ name: String?) -> AudioPlayer? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for (candidate, arguments) in known where name == nil || name == candidate {
            for folder in path.split(separator: ":") {
                let executable = "\(folder)/\(candidate)"
                if FileManager.default.isExecutableFile(atPath: executable) {
                    return AudioPlayer(name: candidate, executable: executable, arguments: arguments)
                }
            }
        }
        return nil
    }

    /// Starts playing `file`; the process is returned so it can be stopped.
    public func play(_ file: String) -> Process? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments + [file]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        return process
    }
}

/// The verifier's terminal client: claims a task, plays its audio (or saves it and prints the
/// path), shows the prompt against the ASR text as a word diff, and takes the verdict from
/// single keys — accept, edit the transcript (pre-filled), tags, unusable with a reason, play
/// again, skip — then claims the next. `q` and Ctrl-C give the lease back before leaving.
public struct VerifyApp {
    /// How the verifier hears the takes.
    public enum Playback: Sendable {
        case player(AudioPlayer)
        /// No player was found among `tried`: each take is saved for the verifier to open.
        case noneFound(tried: [String])
        /// The verifier asked for no player (`--player none`): each take is saved.
        case declined
    }

    public let service: VerifierService
    public let playback: Playback
    /// Where takes are saved for the player (or for the verifier to open).
    public let folder: String
    public let style: TerminalStyle
    public let words: VerifyWords
    /// Seconds between claims while the queue is empty.
    public var idleWait: Double = 5

    public init(service: VerifierService, playback: Playback, folder: String, style: TerminalStyle, words: VerifyWords) {
        self.service = service
        self.playback = playback
        self.folder = folder
        self.style = style
        self.words = words
    }

    /// Codes of the reasons offered for an unusable take, as the service stores them; their
    /// labels are `VerifyWords.unusableReason(_:)`.
    public static let unusableReasons = ["wrong_sentence", "unintelligible", "several_voices", "noise", "cut"]

    enum Step {
        case recorded
        /// Passed over; `next` was claimed before it was given back (nil when no other waits).
        case skipped(next: VerifierTask?)
        case quit
    }

    /// Runs until the verifier quits (`q`, Ctrl-C); returns how many results were recorded.
    /// Throws `VerifierServiceFailure` when no task can be claimed (service unreachable, token
    /// refused…), and `TerminalError` when the terminal cannot be used.
    @discardableResult
    public func run() async throws -> Int {
        let terminal = try RawTerminal(fullScreen: false)
        defer { terminal.restore() }
        // Workers' voices are personal data: the folder made here is the verifier's alone.
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        say(style.paint(words.title, .bold) + "  ·  " + words.quitHint)
        switch playback {
        case .player: break
        case .noneFound(let tried): say(style.paint(words.noPlayer(tried: tried, folder: folder), .yellow))
        case .declined: say(style.paint(words.noPlayer(tried: nil, folder: folder), .yellow))
        }
        var recorded = 0
        do {
            var pending: VerifierTask?
            session: while true {
                let claimed: VerifierTask?
                if let next = pending {
                    claimed = next
                    pending = nil
                } else {
                    claimed = try await service.claim()
                }
                guard let task = claimed else {
                    say(style.paint(words.idle(seconds: Int(idleWait)), .dim))
                    if let key = terminal.readKey(timeout: idleWait), key == .character("q") || key == .interrupt { break session }
                    continue
                }
                switch try await review(task, terminal: terminal) {
                case .recorded: recorded += 1
                case .skipped(let next): pending = next
                case .quit: break session
                }
            }
        } catch {
            // The results sent so far are kept: the verifier is told how many before the reason.
            if recorded > 0 { say(words.recorded(recorded)) }
            throw error
        }
        say(words.recorded(recorded))
        return recorded
    }

    func say(_ text: String) {
        RawTerminal.write(text + "\n")
    }

    /// One task from claim to answer (or release). Throws when the service stops accepting the
    /// token: nothing more can be done in this session.
    func review(_ task: VerifierTask, terminal: RawTerminal) async throws(VerifierServiceFailure) -> Step {
        say("")
        say(style.paint("\(words.task) \(task.taskID)", .bold) + style.paint("  (\(words.kind(task.kind)))", .dim))
        say(words.promptLabel + task.promptText)
        say(words.asrLabel + (task.asrText ?? style.paint(words.noASR, .dim)))
        if let asr = task.asrText { say(words.diffLabel + Self.diff(prompt: task.promptText, asr: asr, style: style)) }
        for line in task.appeal?.lines(style: style, words: words) ?? [] { say(line) }
        var playing: Process?
        var file: String?
        do {
            let (data, type) = try await service.audio(task.taskID)
            let path = (folder as NSString).appendingPathComponent(task.taskID + "." + Recording.fileExtension(contentType: type))
            try data.write(to: URL(fileURLWithPath: path))
            file = path
        } catch let failure as VerifierServiceFailure {
            say(style.paint(words.cannotFetchAudio(words.describe(failure)), .red))
        } catch {
            say(style.paint(words.cannotFetchAudio(error.localizedDescription), .red))
        }
        func play() {
            playing?.terminate()
            guard let file else { return }
            guard case .player(let player) = playback else {
                say(words.saved(file))
                return
            }
            if let process = player.play(file) {
                playing = process
                say(style.paint(words.playing(with: player.name, file: file), .dim))
            } else {
                say(style.paint(words.playerDidNotStart(player.name, file: file), .yellow))
            }
        }
        // The take is kept only while its task is open, whether a player reads it or the
        // verifier does: workers' voices do not pile up on the verifier's disk.
        defer {
            playing?.terminate()
            if let file { try? FileManager.default.removeItem(atPath: file) }
        }
        play()
        var tags: [String] = []
        var showMenu = true
        while true {
            if showMenu { say(Self.menu(words: words, tags: tags, style: style)) }
            guard let key = terminal.readKey(timeout: 3600) else {
                showMenu = false
                continue
            }
            showMenu = true
            var result: VerifierResult?
            switch key {
            case .character("a"):
                result = VerifierResult(verdict: .matchesPrompt, transcript: nil, tags: tags)
            case .character("e"):
                guard let text = edit(task.asrText ?? task.promptText, label: words.transcriptPrompt, terminal: terminal) else { continue }
                result = VerifierResult(verdict: .corrected, transcript: text, tags: tags)
            case .character("t"):
                tags = chooseTags(tags, terminal: terminal)
            case .character("u"):
                guard let reason = chooseReason(terminal: terminal) else { continue }
                result = VerifierResult(verdict: .unusable, transcript: nil, tags: tags, unusableReason: reason)
            case .character("p"):
                play()
            case .character("s"), .character("q"), .interrupt:
                // Skipping claims the next take before giving this one back: a take given back is
                // first in the queue again, for this verifier too, and would come straight back.
                var next: VerifierTask?
                var failure: VerifierServiceFailure?
                if key == .character("s") {
                    do { next = try await service.claim() } catch { failure = error }
                }
                do {
                    try await service.release(task.taskID)
                    say(style.paint(words.givenBack, .dim))
                } catch {
                    say(style.paint(words.notGivenBack(error), .yellow))
                }
                if let failure { throw failure }
                guard key == .character("s") else { return .quit }
                if next == nil { say(style.paint(words.nothingElse, .dim)) }
                return .skipped(next: next)
            default:
                showMenu = false
                continue
            }
            guard let result else { continue }
            do {
                let outcome = try await service.submit(task.taskID, result)
                say(style.paint(words.recordedMark, .green) + (outcome.map { style.paint(words.outcome($0), .dim) } ?? ""))
                return .recorded
            } catch {
                say(style.paint(words.notRecorded(error), .red))
                switch error {
                case .leaseLost: return .skipped(next: nil)
                case .tokenNotAccepted: throw error
                default: break
                }
            }
        }
    }

    /// The keys a task takes, with the tags chosen so far.
    public static func menu(words: VerifyWords, tags: [String], style: TerminalStyle) -> String {
        "  " + words.menu.map { style.paint("[\($0.key)]", .bold) + " " + $0.label }.joined(separator: "  ")
            + (tags.isEmpty ? "" : style.paint("   " + words.tagsChosen + tags.joined(separator: " "), .cyan))
    }

    /// A one-line editor pre-filled with `text` (the keys of `LineEditor`); Enter keeps, Esc
    /// cancels (nil).
    func edit(_ text: String, label: String, terminal: RawTerminal) -> String? {
        var editor = LineEditor(text)
        func redraw() {
            // The cursor goes back to the start of the line, then right by the letters' widths
            // on screen (one column each: the transcript is French text).
            RawTerminal.write("\r\u{1B}[K" + label + editor.text + "\r\u{1B}[\(label.count + editor.cursor)C")
        }
        redraw()
        while true {
            guard let key = terminal.readKey(timeout: 3600) else { continue }
            switch editor.apply(key) {
            case .editing:
                redraw()
            case .done(let edited):
                RawTerminal.write("\n")
                return edited
            case .cancelled:
                RawTerminal.write("\r\u{1B}[K" + style.paint(words.editCancelled, .dim) + "\n")
                return nil
            }
        }
    }

    /// Toggles tags by number until Enter. The tags are transcription marks (`[bruit]`…), the
    /// same in every language.
    func chooseTags(_ current: [String], terminal: RawTerminal) -> [String] {
        let all = VerifierResult.knownTags.sorted()
        var chosen = Set(current)
        while true {
            say("  " + all.enumerated().map { index, tag in
                let mark = chosen.contains(tag) ? style.paint("[x]", .cyan) : "[ ]"
                return "\(index + 1)\(mark)\(tag)"
            }.joined(separator: " ") + "   " + words.tagsHelp)
            guard let key = terminal.readKey(timeout: 3600) else { continue }
            if key == .enter || key == .escape { return all.filter(chosen.contains) }
            if case .character(let character) = key, let number = character.wholeNumberValue, (1...all.count).contains(number) {
                let tag = all[number - 1]
                if chosen.contains(tag) { chosen.remove(tag) } else { chosen.insert(tag) }
            }
        }
    }

    /// A reason's code by number, or one typed after `o`; nil on Esc.
    func chooseReason(terminal: RawTerminal) -> String? {
        say("  " + words.unusableQuestion + " "
            + Self.unusableReasons.enumerated().map { "\($0.offset + 1) \(words.unusableReason($0.element))" }.joined(separator: " · ")
            + " · " + words.otherReason + " · " + words.escapeBack)
        while true {
            guard let key = terminal.readKey(timeout: 3600) else { continue }
            switch key {
            case .escape, .interrupt: return nil
            case .character("o"): return edit("", label: words.reasonPrompt, terminal: terminal)
            case .character(let character):
                if let number = character.wholeNumberValue, (1...Self.unusableReasons.count).contains(number) {
                    return Self.unusableReasons[number - 1]
                }
            default: break
            }
        }
    }

    /// The prompt against the ASR text, word by word: `[-prompt word-]` in red, `{+ASR word+}`
    /// in green (the marks stay, so the diff reads the same without colour).
    public static func diff(prompt: String, asr: String, style: TerminalStyle) -> String {
        ErrorRates(reference: prompt, hypothesis: asr).words.operations.map { operation in
            switch operation {
            case .hit(let word): return word
            case .substitution(let reference, let hypothesis): return style.paint("[-\(reference)-]", .red) + style.paint("{+\(hypothesis)+}", .green)
            case .deletion(let word): return style.paint("[-\(word)-]", .red)
            case .insertion(let word): return style.paint("{+\(word)+}", .green)
            }
        }.joined(separator: " ")
    }
}
