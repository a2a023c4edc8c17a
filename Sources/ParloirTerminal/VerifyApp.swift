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
    public func lines(style: TerminalStyle) -> [String] {
        var lines = [style.paint("  appeal  ", .yellow) + "rejected automatically for:"]
        for reason in reasons {
            lines.append("    " + style.paint(reason.code, .bold) + "  " + reason.message)
            lines.append("      " + style.paint("told the worker: ", .dim) + reason.hintFR)
        }
        if !metrics.isEmpty {
            lines.append("    " + style.paint("metrics ", .dim) + metrics.map { "\($0.name) \($0.value)" }.joined(separator: " · "))
        }
        lines.append("    worker says: " + (comment.map { "\u{201C}\($0)\u{201D}" } ?? style.paint("(no comment)", .dim)))
        return lines
    }
}

/// What the verifier's client talks to: the verification API, passed in as functions so this
/// module holds no HTTP.
public struct VerifierService: Sendable {
    public var claim: @Sendable () async throws -> VerifierTask?
    public var audio: @Sendable (String) async throws -> (data: Data, contentType: String)
    public var submit: @Sendable (String, VerifierResult) async throws -> String?
    public var release: @Sendable (String) async throws -> Void

    public init(claim: @escaping @Sendable () async throws -> VerifierTask?,
                audio: @escaping @Sendable (String) async throws -> (data: Data, contentType: String),
                submit: @escaping @Sendable (String, VerifierResult) async throws -> String?,
                release: @escaping @Sendable (String) async throws -> Void) {
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
    public let service: VerifierService
    public let player: AudioPlayer?
    /// Where takes are saved for the player (or for the verifier to open).
    public let folder: String
    public let style: TerminalStyle
    /// Seconds between claims while the queue is empty.
    public var idleWait: Double = 5

    public init(service: VerifierService, player: AudioPlayer?, folder: String, style: TerminalStyle) {
        self.service = service
        self.player = player
        self.folder = folder
        self.style = style
    }

    /// Reasons offered for an unusable take.
    public static let unusableReasons = [
        ("wrong_sentence", "another sentence than the prompt"), ("unintelligible", "speech cannot be understood"),
        ("several_voices", "more than one voice"), ("noise", "noise covers the speech"), ("cut", "speech is cut off"),
    ]

    enum Step {
        case next
        case quit
    }

    /// Runs until the verifier quits; returns how many results were recorded.
    @discardableResult
    public func run() async throws -> Int {
        let terminal = try RawTerminal(fullScreen: false)
        defer { terminal.restore() }
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        say(style.paint("Parloir verification", .bold) + "  ·  q quits (the task goes back to the queue)")
        var recorded = 0
        while true {
            let task: VerifierTask?
            do {
                task = try await service.claim()
            } catch {
                say(style.paint("cannot claim a task: \(error)", .red))
                return recorded
            }
            guard let task else {
                say(style.paint("No task is waiting. Checking again in \(Int(idleWait)) s; q quits.", .dim))
                if let key = terminal.readKey(timeout: idleWait), key == .character("q") || key == .interrupt { return recorded }
                continue
            }
            switch try await review(task, terminal: terminal) {
            case .next: recorded += 1
            case .quit: return recorded
            }
        }
    }

    func say(_ text: String) {
        RawTerminal.write(text + "\n")
    }

    /// One task from claim to answer (or release).
    func review(_ task: VerifierTask, terminal: RawTerminal) async throws -> Step {
        say("")
        say(style.paint("Task \(task.taskID)", .bold) + style.paint("  (\(task.kind))", .dim))
        say("  prompt  " + task.promptText)
        say("  ASR     " + (task.asrText ?? style.paint("(no ASR transcript)", .dim)))
        if let asr = task.asrText { say("  diff    " + Self.diff(prompt: task.promptText, asr: asr, style: style)) }
        for line in task.appeal?.lines(style: style) ?? [] { say(line) }
        var playing: Process?
        var file: String?
        do {
            let (data, type) = try await service.audio(task.taskID)
            let path = (folder as NSString).appendingPathComponent(task.taskID + "." + Recording.fileExtension(contentType: type))
            try data.write(to: URL(fileURLWithPath: path))
            file = path
        } catch {
            say(style.paint("  cannot fetch the audio: \(error)", .red))
        }
        func play() {
            playing?.terminate()
            guard let file else { return }
            if let player, let process = player.play(file) {
                playing = process
                say(style.paint("  ▶ playing with \(player.name): \(file)", .dim))
            } else {
                say("  audio saved to \(file)")
            }
        }
        defer {
            playing?.terminate()
            if let file { try? FileManager.default.removeItem(atPath: file) }
        }
        play()
        var tags: [String] = []
        var showMenu = true
        while true {
            if showMenu { say(style.paint("  [a]", .bold) + " matches the prompt  " + style.paint("[e]", .bold) + " edit transcript  "
                + style.paint("[t]", .bold) + " tags  " + style.paint("[u]", .bold) + " unusable  " + style.paint("[p]", .bold) + " play  "
                + style.paint("[s]", .bold) + " skip  " + style.paint("[q]", .bold) + " quit"
                + (tags.isEmpty ? "" : style.paint("   tags: " + tags.joined(separator: " "), .cyan))) }
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
                guard let text = edit(task.asrText ?? task.promptText, terminal: terminal) else { continue }
                result = VerifierResult(verdict: .corrected, transcript: text, tags: tags)
            case .character("t"):
                tags = chooseTags(tags, terminal: terminal)
            case .character("u"):
                guard let reason = chooseReason(terminal: terminal) else { continue }
                result = VerifierResult(verdict: .unusable, transcript: nil, tags: tags, unusableReason: reason)
            case .character("p"):
                play()
            case .character("s"), .character("q"), .interrupt:
                do {
                    try await service.release(task.taskID)
                    say(style.paint("  task given back to the queue", .dim))
                } catch {
                    say(style.paint("  could not give the task back (its lease will run out): \(error)", .yellow))
                }
                return key == .character("s") ? .next : .quit
            default:
                showMenu = false
                continue
            }
            guard let result else { continue }
            do {
                let outcome = try await service.submit(task.taskID, result)
                say(style.paint("  ✓ recorded", .green) + (outcome.map { style.paint("  (take \($0))", .dim) } ?? ""))
                return .next
            } catch {
                say(style.paint("  not recorded: \(error)", .red))
                if "\(error)".contains("lease_lost") { return .next }
            }
        }
    }

    /// A one-line editor pre-filled with `text`: ←/→, Home/End, Backspace/Delete; Enter keeps,
    /// Esc cancels (nil).
    func edit(_ text: String, terminal: RawTerminal) -> String? {
        var editor = LineEditor(text)
        let label = "  transcript> "
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
                RawTerminal.write("\r\u{1B}[K" + style.paint("  edit cancelled", .dim) + "\n")
                return nil
            }
        }
    }

    /// Toggles tags by number until Enter.
    func chooseTags(_ current: [String], terminal: RawTerminal) -> [String] {
        let all = VerifierResult.knownTags.sorted()
        var chosen = Set(current)
        while true {
            say("  " + all.enumerated().map { index, tag in
                let mark = chosen.contains(tag) ? style.paint("[x]", .cyan) : "[ ]"
                return "\(index + 1)\(mark)\(tag)"
            }.joined(separator: " ") + "   number toggles, Enter done")
            guard let key = terminal.readKey(timeout: 3600) else { continue }
            if key == .enter || key == .escape { return all.filter(chosen.contains) }
            if case .character(let character) = key, let number = character.wholeNumberValue, (1...all.count).contains(number) {
                let tag = all[number - 1]
                if chosen.contains(tag) { chosen.remove(tag) } else { chosen.insert(tag) }
            }
        }
    }

    /// A reason by number, or typed after `o`; nil on Esc.
    func chooseReason(terminal: RawTerminal) -> String? {
        say("  why is it unusable? " + Self.unusableReasons.enumerated().map { "\($0.offset + 1) \($0.element.1)" }.joined(separator: " · ")
            + " · o other · Esc back")
        while true {
            guard let key = terminal.readKey(timeout: 3600) else { continue }
            switch key {
            case .escape, .interrupt: return nil
            case .character("o"): return edit("", terminal: terminal)
            case .character(let character):
                if let number = character.wholeNumberValue, (1...Self.unusableReasons.count).contains(number) {
                    return Self.unusableReasons[number - 1].0
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
