/// Names and arithmetic shared by every engine's quota tallies.
enum TallyKey {
    /// The tally row of the whole campaign (cell keys always contain `=`).
    static let campaign = "*"

    /// How a cell's speaker count moves when a worker's count of takes there moved by `delta` to `count`:
    /// up when it was their first, down when it was their last.
    static func speakerChange(after count: Int, delta: Int) -> Int {
        if delta > 0 && count == delta { return 1 }
        if delta < 0 && count == 0 { return -1 }
        return 0
    }
}
