import ParloirTerminal
import Testing

/// The verifier client's transcript editor: the keys people expect, and no control character
/// ever in the text.
struct LineEditorTests {
    /// The keys the terminal sends for `bytes`, as the client reads them.
    static func keys(_ bytes: [UInt8]) -> [Key] {
        var pending = bytes
        var keys: [Key] = []
        while let key = RawTerminal.parse(&pending) { keys.append(key) }
        return keys
    }

    static func edit(_ text: String, _ bytes: [UInt8]) -> LineEditor {
        var editor = LineEditor(text)
        for key in keys(bytes) { _ = editor.apply(key) }
        return editor
    }

    @Test func controlKeysEditAndNeverEnterTheText() {
        // Ctrl-W deletes the word before the cursor (and the spaces before it), as a shell's does.
        #expect(Self.edit("allume la cuisson", [23]).text == "allume la ")
        #expect(Self.edit("allume la cuisson  ", [23]).text == "allume la ")
        // Ctrl-U deletes everything before the cursor; Ctrl-A and Ctrl-E go to the ends.
        #expect(Self.edit("allume la cuisine", [2, 2, 2, 2, 2, 2, 2, 21]).text == "cuisine")
        #expect(Self.edit("la cuisine", [1] + Array("allume ".utf8) + [5] + Array(".".utf8)).text == "allume la cuisine.")
        // Arrows, then a letter in the middle.
        #expect(Self.edit("alume", [27, 91, 68, 27, 91, 68, 27, 91, 68] + Array("l".utf8)).text == "allume")
        // Any other control byte is no letter: nothing is inserted.
        #expect(Self.edit("bonjour", [0x17 ^ 0x17 + 0x0B, 0x1F, 0x7]).text == "bonjour")
    }

    @Test func backspaceTakesAWholeLetterWhateverItsBytes() {
        #expect(Self.edit("fenêtre", [127, 127, 127, 127, 127]).text == "fe")
        #expect(Self.edit("sœur", [127, 127, 127]).text == "s")
        #expect(Self.edit("é", [127]).text.isEmpty)
    }

    @Test func aLetterSplitAcrossTwoReadsWaitsForItsSecondByte() {
        var pending: [UInt8] = [0xC3]
        #expect(RawTerminal.parse(&pending) == nil && pending == [0xC3])
        pending.append(0xA9)
        #expect(RawTerminal.parse(&pending) == .character("é") && pending.isEmpty)
    }

    @Test func enterGivesTheTrimmedTextAndEscapeCancels() {
        var editor = LineEditor("  la cuisine ")
        #expect(editor.apply(.enter) == .done("la cuisine"))
        var emptied = LineEditor("x")
        _ = emptied.apply(.backspace)
        #expect(emptied.apply(.enter) == .done(nil))
        #expect(editor.apply(.escape) == .cancelled)
    }
}
