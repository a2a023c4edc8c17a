/// The speaking rate of a take against its prompt: the syllables the prompt takes to say over
/// the seconds of speech found, as NeMo SDP's `DropHighLowCharrate` does with characters.
///
/// People read a prompt at 3 to 8 syllables per second of speech. A take far above that says
/// only part of the sentence; far below, it says something else or much more. The syllables
/// come from the prompt's text (`Transcripts.FrenchSyllables` in the service and the command
/// line); the DSP core only sees their number.
enum SpeakingRate {
    /// Syllables per second of speech, or nil when there is no prompt or no speech.
    static func syllablesPerSecond(syllables: Int?, speechSeconds: Double?) -> Double? {
        guard let syllables, syllables > 0, let speechSeconds, speechSeconds > 0 else { return nil }
        return Double(syllables) / speechSeconds
    }
}
