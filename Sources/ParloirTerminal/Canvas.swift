/// A screen-sized grid of characters with a style each, drawn into by the dashboard's panels
/// and turned into lines with as few escape codes as the styles need.
///
/// Every character Parloir draws (Latin letters with accents, box drawing, blocks) is one
/// column wide, so a column is a `Character`.
public struct Canvas: Sendable {
    /// How a character is drawn.
    public enum Ink: UInt8, Sendable {
        case plain, bold, dim, red, green, yellow, blue, magenta, cyan, gray, title, focus

        var code: String {
            switch self {
            case .plain: return "0"
            case .bold: return "1"
            case .dim: return "2"
            case .red: return "31"
            case .green: return "32"
            case .yellow: return "33"
            case .blue: return "34"
            case .magenta: return "35"
            case .cyan: return "36"
            case .gray: return "90"
            case .title: return "1;37"
            case .focus: return "1;36"
            }
        }

        /// The ink of one of the command line's colours.
        init(_ color: TerminalStyle.Color) {
            switch color {
            case .red: self = .red
            case .green: self = .green
            case .yellow: self = .yellow
            case .blue: self = .blue
            case .magenta: self = .magenta
            case .cyan: self = .cyan
            case .gray: self = .gray
            case .bold: self = .bold
            case .dim: self = .dim
            }
        }
    }

    public let width: Int
    public let height: Int
    private var characters: [Character]
    private var inks: [Ink]

    public init(width: Int, height: Int) {
        self.width = max(width, 0)
        self.height = max(height, 0)
        characters = Array(repeating: " ", count: self.width * self.height)
        inks = Array(repeating: .plain, count: self.width * self.height)
    }

    /// Writes `text` from column `x` of row `y`, cut at `limit` columns (and at the edge).
    public mutating func write(_ text: String, x: Int, y: Int, ink: Ink = .plain, limit: Int? = nil) {
        guard y >= 0, y < height else { return }
        let end = min(width, x + (limit ?? width))
        var column = x
        for character in text {
            if column >= end { break }
            if column >= 0 {
                characters[y * width + column] = character
                inks[y * width + column] = ink
            }
            column += 1
        }
    }

    /// A frame with its title in the top border.
    public mutating func box(x: Int, y: Int, width w: Int, height h: Int, title: String, focused: Bool) {
        guard w >= 2, h >= 2 else { return }
        let ink: Ink = focused ? .focus : .gray
        let horizontal = String(repeating: focused ? "━" : "─", count: w - 2)
        write((focused ? "┏" : "┌") + horizontal + (focused ? "┓" : "┐"), x: x, y: y, ink: ink)
        write((focused ? "┗" : "└") + horizontal + (focused ? "┛" : "┘"), x: x, y: y + h - 1, ink: ink)
        for row in (y + 1)..<(y + h - 1) {
            write(focused ? "┃" : "│", x: x, y: row, ink: ink)
            write(focused ? "┃" : "│", x: x + w - 1, y: row, ink: ink)
        }
        write(" \(title) ", x: x + 2, y: y, ink: focused ? .focus : .title, limit: w - 4)
    }

    /// The rows as text: with escape codes when `colored`, plain otherwise.
    public func lines(colored: Bool) -> [String] {
        (0..<height).map { row in
            var line = ""
            var current = Ink.plain
            for column in 0..<width {
                let index = row * width + column
                if colored, inks[index] != current {
                    line += "\u{1B}[0;\(inks[index].code)m"
                    current = inks[index]
                }
                line.append(characters[index])
            }
            if colored, current != .plain { line += "\u{1B}[0m" }
            return line
        }
    }
}
