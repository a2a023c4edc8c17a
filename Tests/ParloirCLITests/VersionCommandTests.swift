import Foundation
import Testing

/// `parloir --version`: which Parloir a team runs, for their bug reports and their notes.
struct VersionCommandTests {
    @Test func versionIsPrintedAndExitsZero() throws {
        let result = try AnalyzeCommandTests.runTool([AnalyzeCommandTests.binary, "--version"])
        #expect(result.status == 0)
        #expect(result.output.range(of: #"^parloir \d+\.\d+\.\d+\n$"#, options: .regularExpression) != nil, "\(result.output)")
    }
}
