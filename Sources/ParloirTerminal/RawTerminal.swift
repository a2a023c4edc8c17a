import Foundation

/// The controlling terminal in raw mode, optionally on the alternate screen: keys arrive one
/// by one and unechoed, and whatever happens — `q`, Ctrl-C, SIGTERM, a crash — the terminal is
/// given back as it was found.
///
/// Signal handlers cannot reach Swift objects, so the saved settings live in globals written
/// once before the handlers are installed; the handlers only call `tcsetattr` and `write`,
/// which are async-signal-safe, then let the signal do what it would have done.
public final class RawTerminal {
    private let fullScreen: Bool
    private var pending: [UInt8] = []

    /// Enters raw mode on standard input (and the alternate screen when `fullScreen`).
    /// Throws when standard input is not a terminal.
    public init(fullScreen: Bool) throws(TerminalError) {
        guard isatty(STDIN_FILENO) == 1 else { throw TerminalError(message: "standard input is not a terminal") }
        self.fullScreen = fullScreen
        var original = termios()
        guard tcgetattr(STDIN_FILENO, &original) == 0 else { throw TerminalError(message: "cannot read the terminal's settings") }
        savedSettings = original
        var raw = original
        // No line editing, echo, signals from keys, flow control or CR translation; output
        // processing stays on so "\n" still starts a new line.
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | ISIG | IEXTEN)
        raw.c_iflag &= ~tcflag_t(IXON | ICRNL | BRKINT | INPCK | ISTRIP)
        raw.c_cflag |= tcflag_t(CS8)
        guard tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0 else { throw TerminalError(message: "cannot put the terminal in raw mode") }
        restoreSequence = fullScreen ? Array("\u{1B}[0m\u{1B}[2J\u{1B}[H\u{1B}[?25h\u{1B}[?1049l".utf8) : Array("\u{1B}[0m\u{1B}[?25h".utf8)
        terminalIsRaw = 1
        for signal in Self.endingSignals { Foundation.signal(signal, restoreAndRaise) }
        Foundation.signal(SIGWINCH, noteResize)
        if fullScreen { Self.write("\u{1B}[?1049h\u{1B}[?25l\u{1B}[2J") }
    }

    /// Signals that end the process (asked for, or a crash): the terminal is given back first.
    static let endingSignals = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS, SIGILL, SIGABRT, SIGFPE, SIGTRAP]

    /// Gives the terminal back: settings, main screen, cursor.
    public func restore() {
        guard terminalIsRaw == 1 else { return }
        restoreTerminal()
        for signal in Self.endingSignals + [SIGWINCH] { Foundation.signal(signal, SIG_DFL) }
    }

    deinit { restore() }

    /// The terminal's size in columns and rows.
    public static func size() -> (width: Int, height: Int) {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return (80, 24) }
        return (Int(size.ws_col), Int(size.ws_row))
    }

    /// True once after each resize.
    public static func takeResize() -> Bool {
        guard resizePending != 0 else { return false }
        resizePending = 0
        return true
    }

    /// Draws full lines from the top-left corner.
    public func draw(_ lines: [String]) {
        var frame = "\u{1B}[H"
        for (index, line) in lines.enumerated() {
            frame += line + "\u{1B}[0m\u{1B}[K"
            if index < lines.count - 1 { frame += "\r\n" }
        }
        Self.write(frame)
    }

    /// Writes text as it is.
    public static func write(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Foundation.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if written <= 0 { break }
            offset += written
        }
    }

    /// The next key, waiting at most `timeout` seconds; nil when none came.
    public func readKey(timeout: Double) -> Key? {
        while true {
            if let key = Self.parse(&pending) { return key }
            var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, Int32(timeout * 1000)) > 0 else { return nil }
            var buffer = [UInt8](repeating: 0, count: 64)
            let count = read(STDIN_FILENO, &buffer, buffer.count)
            guard count > 0 else { return nil }
            pending += buffer[0..<count]
        }
    }

    /// Takes one key off the front of `bytes`.
    public static func parse(_ bytes: inout [UInt8]) -> Key? {
        guard let first = bytes.first else { return nil }
        func take(_ count: Int, _ key: Key) -> Key {
            bytes.removeFirst(min(count, bytes.count))
            return key
        }
        switch first {
        case 3: return take(1, .interrupt)
        case 9: return take(1, .tab)
        case 10, 13: return take(1, .enter)
        case 127, 8: return take(1, .backspace)
        // The line-editing keys of a shell (Emacs bindings).
        case 1: return take(1, .home)
        case 5: return take(1, .end)
        case 2: return take(1, .left)
        case 6: return take(1, .right)
        case 4: return take(1, .delete)
        case 23: return take(1, .deleteWord)
        case 21: return take(1, .deleteToStart)
        // Any other control byte is no character: it never reaches a transcript.
        case 0..<27, 28..<32: return take(1, .unknown)
        case 27:
            guard bytes.count >= 3, bytes[1] == UInt8(ascii: "[") || bytes[1] == UInt8(ascii: "O") else { return take(1, .escape) }
            switch bytes[2] {
            case UInt8(ascii: "A"): return take(3, .up)
            case UInt8(ascii: "B"): return take(3, .down)
            case UInt8(ascii: "C"): return take(3, .right)
            case UInt8(ascii: "D"): return take(3, .left)
            case UInt8(ascii: "H"): return take(3, .home)
            case UInt8(ascii: "F"): return take(3, .end)
            case UInt8(ascii: "Z"): return take(3, .backTab)
            default:
                // `ESC [ n ~` (delete, home, end in their VT forms) or a sequence Parloir does
                // not use: taken whole, up to its final byte.
                let end = bytes.dropFirst(2).firstIndex { (0x40...0x7E).contains($0) } ?? (bytes.count - 1)
                let parameter = String(decoding: bytes[2..<end], as: UTF8.self)
                let final = bytes[end]
                bytes.removeFirst(end + 1)
                guard final == UInt8(ascii: "~") else { return .unknown }
                switch parameter {
                case "3": return .delete
                case "1", "7": return .home
                case "4", "8": return .end
                default: return .unknown
                }
            }
        default:
            // One UTF-8 character: its length is in its first byte.
            let length = first < 0x80 ? 1 : first >= 0xF0 ? 4 : first >= 0xE0 ? 3 : first >= 0xC0 ? 2 : 1
            // A letter whose bytes came in two reads (é, œ) waits for the rest.
            guard bytes.count >= length else { return nil }
            guard let character = String(bytes: bytes[0..<length], encoding: .utf8)?.first else { return take(length, .unknown) }
            return take(length, .character(character))
        }
    }
}

/// The terminal could not be used.
public struct TerminalError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

// The state the signal handlers need, written before they are installed.
nonisolated(unsafe) private var savedSettings = termios()
nonisolated(unsafe) private var restoreSequence: [UInt8] = []
nonisolated(unsafe) private var terminalIsRaw: Int32 = 0
nonisolated(unsafe) private var resizePending: Int32 = 0

private func restoreTerminal() {
    guard terminalIsRaw == 1 else { return }
    terminalIsRaw = 0
    _ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &savedSettings)
    _ = restoreSequence.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
}

private func restoreAndRaise(_ signal: Int32) {
    restoreTerminal()
    Foundation.signal(signal, SIG_DFL)
    raise(signal)
}

private func noteResize(_ signal: Int32) {
    resizePending = 1
}
