import Foundation
import ParloirCore

/// Whether to colour output: only on a terminal, and never when `NO_COLOR` is set.
public struct TerminalStyle: Sendable {
    /// True when escape codes may be written.
    public let colored: Bool

    public init(colored: Bool) { self.colored = colored }

    /// The style for a file descriptor: colour on a terminal, none in a pipe or a file.
    public static func detect(fileDescriptor: Int32) -> TerminalStyle {
        let noColor = ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        return TerminalStyle(colored: isatty(fileDescriptor) == 1 && !noColor)
    }

    /// ANSI colours used by Parloir's terminal views.
    public enum Color: String, Sendable {
        case red = "31", green = "32", yellow = "33", blue = "34", magenta = "35", cyan = "36", gray = "90"
        case bold = "1", dim = "2"
    }

    /// `text` in `color` when colouring, unchanged otherwise.
    public func paint(_ text: String, _ color: Color) -> String {
        colored ? "\u{1B}[\(color.rawValue)m\(text)\u{1B}[0m" : text
    }
}

extension TerminalStyle.Color {
    /// The colour of a quota cell's state wherever it shows: under-filled yellow, ok green,
    /// full cyan, over red, no bounds grey.
    static func of(_ state: QuotaState?) -> TerminalStyle.Color {
        switch state {
        case .under: return .yellow
        case .ok: return .green
        case .full: return .cyan
        case .over: return .red
        case nil: return .gray
        }
    }
}

/// `value` with `digits` decimals, or `missing` when there is none.
func fixed(_ value: Double?, _ digits: Int, missing: String = "–") -> String {
    guard let value else { return missing }
    return String(format: "%.\(digits)f", value)
}

/// Pads or cuts `text` to exactly `width` visible characters.
func fit(_ text: String, _ width: Int, alignRight: Bool = false) -> String {
    if text.count > width {
        guard width > 1 else { return String(text.prefix(width)) }
        return "…" + text.suffix(width - 1)
    }
    let padding = String(repeating: " ", count: width - text.count)
    return alignRight ? padding + text : text + padding
}
