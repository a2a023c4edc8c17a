import Foundation
import ParloirCore

/// How the dashboard writes a figure: whole, or abbreviated (`12.3k`, `4.5M`) when room is short.
///
/// A figure is never cut at a panel's edge: a line that does not fit is written again with its
/// figures abbreviated, then without its least important parts (`FigureLayout.fit`).
public struct FigureStyle: Sendable, Equatable {
    /// Whether figures of 10 000 and more (1 000 and more for decimals) are abbreviated.
    public var abbreviated: Bool

    public static let whole = FigureStyle(abbreviated: false)
    public static let short = FigureStyle(abbreviated: true)

    /// A count: `12345`, or `12.3k` when abbreviated.
    public func count(_ value: Int) -> String {
        abbreviated && abs(value) >= 10_000 ? Self.abbreviate(Double(value)) : String(value)
    }

    /// A measure with `digits` decimals: `342.94`, or `1.2k` when abbreviated past 999.
    public func number(_ value: Double, _ digits: Int) -> String {
        abbreviated && abs(value) >= 999.5 ? Self.abbreviate(value) : fixed(value, digits)
    }

    /// Cents as euros: `1234567.89 €`, or `1.2M €` when abbreviated.
    public func euros(_ cents: Int) -> String {
        abbreviated && abs(cents) >= 100_000 ? Self.abbreviate(Double(cents) / 100) + " €" : Euros.text(cents)
    }

    /// `12345` → `12.3k`, `123456` → `123k`, `1234567` → `1.2M`: three significant digits at most,
    /// four characters and a sign at most below 10¹⁵.
    public static func abbreviate(_ value: Double) -> String {
        let units = ["", "k", "M", "G", "T"]
        var scaled = abs(value)
        var unit = 0
        while unit < units.count - 1 {
            // Round as it will be printed, so that 999 950 reads 1.0M and not 1000k.
            let shown = scaled < 100 ? (scaled * 10).rounded() / 10 : scaled.rounded()
            guard shown >= 1000 else { break }
            scaled /= 1000
            unit += 1
        }
        let digits = unit == 0 ? 0 : scaled < 99.95 ? 1 : 0
        return (value < 0 ? "-" : "") + String(format: "%.\(digits)f", scaled) + units[unit]
    }
}

/// Lays out lines of figures in a fixed width without cutting a number.
public enum FigureLayout {
    /// One part of a line, written in a figure style.
    public typealias Part = (FigureStyle) -> String

    /// The richest line that fits `width`: every part with whole figures, then abbreviated,
    /// then without the last part (parts come most important first), and so on; empty when not
    /// even the first part fits abbreviated, since a cut figure would read as another number.
    public static func fit(_ parts: [Part], width: Int, separator: String = " · ") -> String {
        for kept in stride(from: parts.count, to: 0, by: -1) {
            for style in [FigureStyle.whole, .short] {
                let text = parts.prefix(kept).map { $0(style) }.joined(separator: separator)
                if text.count <= width { return text }
            }
        }
        return ""
    }

    /// The first of `candidates`, richest first, that fits `width`, or nil.
    public static func first(_ candidates: [String], width: Int) -> String? {
        candidates.first { $0.count <= width }
    }
}
