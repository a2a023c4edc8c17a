import Foundation

/// One line of text edited with the keys people expect of a shell: ←/→, Home/End (Ctrl-A/E),
/// Backspace and Delete by whole letters (é, œ are one), Ctrl-W deletes the word before the
/// cursor, Ctrl-U everything before it. No key ever puts a control character in the text.
public struct LineEditor: Sendable, Equatable {
    public private(set) var characters: [Character]
    /// Where the next letter goes, in letters from the start.
    public private(set) var cursor: Int

    public init(_ text: String) {
        characters = Array(text)
        cursor = characters.count
    }

    public var text: String { String(characters) }

    /// What a key did to the edit.
    public enum Outcome: Sendable, Equatable {
        case editing
        /// Enter: the text, trimmed, or nil when nothing is left.
        case done(String?)
        /// Escape or Ctrl-C.
        case cancelled
    }

    public mutating func apply(_ key: Key) -> Outcome {
        switch key {
        case .enter:
            let edited = text.trimmingCharacters(in: .whitespaces)
            return .done(edited.isEmpty ? nil : edited)
        case .escape, .interrupt:
            return .cancelled
        case .left: cursor = max(0, cursor - 1)
        case .right: cursor = min(characters.count, cursor + 1)
        case .home: cursor = 0
        case .end: cursor = characters.count
        case .backspace:
            if cursor > 0 {
                characters.remove(at: cursor - 1)
                cursor -= 1
            }
        case .delete:
            if cursor < characters.count { characters.remove(at: cursor) }
        case .deleteWord:
            // The spaces before the cursor, then the word before them, as a shell's Ctrl-W.
            var start = cursor
            while start > 0, characters[start - 1].isWhitespace { start -= 1 }
            while start > 0, !characters[start - 1].isWhitespace { start -= 1 }
            characters.removeSubrange(start..<cursor)
            cursor = start
        case .deleteToStart:
            characters.removeSubrange(0..<cursor)
            cursor = 0
        case .character(let character) where !character.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }):
            characters.insert(character, at: cursor)
            cursor += 1
        default:
            break
        }
        return .editing
    }
}
