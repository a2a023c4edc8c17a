import Foundation

/// A JSON value whose objects keep their keys in the order given, for output that people and
/// diff tools read (Foundation's encoder on Linux does not keep key order).
public indirect enum OrderedJSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([OrderedJSON])
    case object([(String, OrderedJSON)])

    public static func == (lhs: OrderedJSON, rhs: OrderedJSON) -> Bool { lhs.serialized() == rhs.serialized() }

    /// An object from a literal, keys in the order written: `.fields(["a": .int(1), "b": .null])`.
    public static func fields(_ pairs: KeyValuePairs<String, OrderedJSON>) -> OrderedJSON {
        .object(pairs.map { ($0.key, $0.value) })
    }

    /// A string, or null.
    public static func string(_ value: String?) -> OrderedJSON { value.map { .string($0) } ?? .null }

    /// Compact JSON text.
    public func serialized() -> String {
        var out = ""
        write(into: &out)
        return out
    }

    private func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .int(let value): out += String(value)
        case .double(let value):
            if !value.isFinite { out += "null" }
            else if value == value.rounded(), abs(value) < 1e15 { out += String(Int(value)) }
            else { out += String(value) }
        case .string(let value): Self.writeString(value, into: &out)
        case .array(let values):
            out += "["
            for (index, value) in values.enumerated() {
                if index > 0 { out += "," }
                value.write(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { out += "," }
                Self.writeString(key, into: &out)
                out += ":"
                value.write(into: &out)
            }
            out += "}"
        }
    }

    private static func writeString(_ value: String, into out: inout String) {
        out += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

extension Optional where Wrapped == Double {
    var json: OrderedJSON { map { .double($0) } ?? .null }
}

extension Optional where Wrapped == Int {
    var json: OrderedJSON { map { .int($0) } ?? .null }
}

extension Reason {
    /// The reason as documented: code, severity, value, threshold, message, hint_fr.
    public var orderedJSON: OrderedJSON {
        .object([
            ("code", .string(code.rawValue)), ("severity", .string(severity.rawValue)),
            ("value", value.json), ("threshold", threshold.json),
            ("message", .string(message)), ("hint_fr", .string(hintFR)),
        ])
    }
}

extension Metrics {
    /// Every metric in the documented order, unmeasured ones as null.
    public var orderedJSON: OrderedJSON {
        .object([
            ("duration_s", durationS.json), ("sample_rate", sampleRate.json), ("channels", channels.json),
            ("peak_dbfs", peakDBFS.json), ("rms_dbfs", rmsDBFS.json), ("speech_level_dbfs", speechLevelDBFS.json),
            ("dc_offset", dcOffset.json), ("clipped_fraction", clippedFraction.json), ("clipped_runs", clippedRuns.json),
            ("speech_s", speechS.json), ("leading_silence_s", leadingSilenceS.json),
            ("trailing_silence_s", trailingSilenceS.json), ("snr_db", snrDB.json),
            ("bandwidth_hz", bandwidthHz.json), ("hum_db", humDB.json), ("speaking_rate_sps", speakingRateSPS.json),
        ])
    }
}

extension AnalysisReport {
    /// The report as `parloir analyze --json` prints it.
    public var orderedJSON: OrderedJSON {
        .object([
            ("file", .string(file)), ("verdict", .string(verdict.rawValue)),
            ("reasons", .array(reasons.map(\.orderedJSON))), ("metrics", metrics.orderedJSON),
        ])
    }

    /// One line of JSON, keys in the documented order.
    public func jsonLine() -> String { orderedJSON.serialized() }
}
