import AudioQC
import Foundation

/// The analyzer every input goes through: the standard rules and decoder limits, stopping one
/// second past the longest accepted duration, as the upload route judges a take.
private let analyzer = RecordingAnalyzer()

/// libFuzzer's entry point: decodes and judges `size` bytes as if they were an upload.
///
/// Any input must end in a verdict: an undecodable one is rejected with `unreadable` or
/// `unsupported_format`, never a trap, a sanitizer report or a hang. The report is also
/// serialized as the service and `parloir analyze` do, since a non-finite figure or a
/// malformed message would only show there.
@_cdecl("LLVMFuzzerTestOneInput")
public func decodeFuzzer(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let data = bytes.map { Data(bytes: $0, count: size) } ?? Data()
    let report = analyzer.analyze(.bytes(data), name: "fuzz")
    let line = report.jsonLine()
    // A refusal the worker cannot be told the reason of is a broken verdict too.
    if report.verdict == .reject && report.reasons.isEmpty {
        fatalError("a rejected take without a reason: \(line)")
    }
    return 0
}
