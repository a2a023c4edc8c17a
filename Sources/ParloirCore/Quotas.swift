import Foundation

/// Amounts counted towards quotas: accepted recordings, their seconds, their distinct speakers.
public struct QuotaTally: Sendable, Equatable, Codable {
    public var recordings: Int
    public var seconds: Double
    public var speakers: Int

    public init(recordings: Int = 0, seconds: Double = 0, speakers: Int = 0) {
        self.recordings = recordings
        self.seconds = seconds
        self.speakers = speakers
    }

    /// The amount in `unit` (hours for `.hours`).
    public func amount(_ unit: QuotaUnit) -> Double {
        switch unit {
        case .recordings: return Double(recordings)
        case .hours: return seconds / 3600
        case .speakers: return Double(speakers)
        }
    }

    public static func + (a: QuotaTally, b: QuotaTally) -> QuotaTally {
        QuotaTally(recordings: a.recordings + b.recordings, seconds: a.seconds + b.seconds, speakers: a.speakers + b.speakers)
    }
}

/// How a stored value matches a cell's value on one dimension.
public enum CellMatch: Sendable, Equatable {
    /// The value itself.
    case equals(String)
    /// No value declared.
    case undeclared
    /// A declared value outside the dimension's list.
    case other(excluding: [String])
}

/// How stored values of one dimension fall in a cell.
public struct DimensionMatch: Sendable, Equatable {
    public var dimension: String
    public var match: CellMatch

    public init(dimension: String, match: CellMatch) {
        self.dimension = dimension
        self.match = match
    }
}

/// One quota cell with its bounds resolved to absolute amounts of its unit.
public struct QuotaCell: Sendable, Equatable {
    /// `["accent"]`, or `["accent", "gender"]` for a joint cell.
    public var dimensions: [String]
    /// The cell's value: `belge`, or `belge/female` for a joint cell.
    public var value: String
    public var unit: QuotaUnit
    public var target: Double?
    public var min: Double?
    public var max: Double?
    /// How stored values match, per dimension (what a store turns into a query).
    public var matches: [DimensionMatch]

    /// Where assignments stop: `max`, or the target when there is none.
    public var ceiling: Double? { max ?? target }
    /// Whether the spec sets anything on this cell.
    public var hasBounds: Bool { target != nil || min != nil || max != nil }

    public init(dimensions: [String], value: String, unit: QuotaUnit, target: Double?, min: Double?, max: Double?,
                matches: [DimensionMatch]) {
        self.dimensions = dimensions
        self.value = value
        self.unit = unit
        self.target = target
        self.min = min
        self.max = max
        self.matches = matches
    }

    /// `accent=belge`, `accent=belge,gender=female`: the cell named in errors and reports.
    public var key: String {
        zip(dimensions, value.split(separator: "/", omittingEmptySubsequences: false)).map { "\($0)=\($1)" }.joined(separator: ",")
    }
}

/// Where a cell stands against its bounds.
public enum QuotaState: String, Sendable, Codable {
    /// Below its minimum (or its target when it has no minimum).
    case under
    /// Between its minimum and where assignments stop.
    case ok
    /// At its ceiling: no new assignments for it.
    case full
    /// Above its maximum (takes assigned before it filled, or appeals upheld later).
    case over

    public static func of(_ amount: Double, in cell: QuotaCell) -> QuotaState {
        if let max = cell.max, amount > max + 1e-9 { return .over }
        if let ceiling = cell.ceiling, amount >= ceiling - 1e-9 { return .full }
        if let floor = cell.min ?? cell.target, amount < floor - 1e-9 { return .under }
        return .ok
    }
}

/// A campaign's quotas resolved against its size: which cells a worker falls in, their bounds
/// in absolute amounts, and whether one more assignment fits.
///
/// Shares are shares of the planned campaign: prompts × speakers per prompt for recordings,
/// `target_hours` for hours, `target_speakers` for speakers. A cell stops receiving
/// assignments when what is accepted plus what is assigned and not yet recorded would pass its
/// ceiling, so nobody records for a cell that is already full.
public struct QuotaPlan: Sendable {
    /// Targets on one dimension or one joint combination.
    public struct Group: Sendable {
        public var dimensions: [String]
        public var unit: QuotaUnit
        public var targets: [String: QuotaTarget]
        /// The values listed for each dimension (nil: any declared value is its own cell).
        public var values: [[String]?]

        /// `accent`, or `accent×gender`.
        public var name: String { dimensions.joined(separator: "×") }
    }

    public let groups: [Group]
    public let plannedRecordings: Int
    public let targetHours: Double?
    public let targetSpeakers: Int?
    public let speakerCapShare: Double

    public init(spec: CampaignSpec, promptCount: Int) {
        plannedRecordings = promptCount * spec.speakersPerPrompt
        targetHours = spec.targetHours
        targetSpeakers = spec.targetSpeakers
        speakerCapShare = spec.speakerCap
        var groups: [Group] = []
        for name in CampaignSpec.dimensionNames {
            guard let dimension = spec.dimensions[name] else { continue }
            groups.append(Group(dimensions: [name], unit: dimension.unit ?? .recordings, targets: dimension.targets ?? [:],
                                values: [Self.values(of: name, in: spec)]))
        }
        for joint in spec.jointQuotas {
            groups.append(Group(dimensions: joint.dimensions, unit: joint.unit ?? .recordings, targets: joint.targets,
                                values: joint.dimensions.map { Self.values(of: $0, in: spec) }))
        }
        self.groups = groups
    }

    /// The values listed for a dimension: the spec's list, or the noise conditions.
    static func values(of dimension: String, in spec: CampaignSpec) -> [String]? {
        if let values = spec.dimensions[dimension]?.values { return values }
        if dimension == "noise_condition" { return NoiseCondition.allCases.map(\.rawValue) }
        return nil
    }

    /// Checks the quota parts of a spec; the error names the faulty target.
    public static func validate(_ spec: CampaignSpec) throws(ParloirError) {
        func bad(_ message: String) -> ParloirError { .badRequest(message, code: "invalid_spec") }
        var checked: [(String, QuotaUnit, [String: QuotaTarget])] = []
        for (name, dimension) in spec.dimensions {
            checked.append((name, dimension.unit ?? .recordings, dimension.targets ?? [:]))
            if let values = dimension.values, let target = dimension.targets?.keys.first(where: { $0 != "*" && $0 != "other" && $0 != "undeclared" && !values.contains($0) }) {
                throw bad("dimensions.\(name).targets: \"\(target)\" is not one of its values")
            }
        }
        for (index, joint) in spec.jointQuotas.enumerated() {
            guard joint.dimensions.count >= 2, Set(joint.dimensions).count == joint.dimensions.count,
                  joint.dimensions.allSatisfy(CampaignSpec.dimensionNames.contains) else {
                throw bad("joint_quotas[\(index)].dimensions must name two or more distinct dimensions among \(CampaignSpec.dimensionNames.joined(separator: ", "))")
            }
            if let key = joint.targets.keys.first(where: { $0 != "*" && $0.split(separator: "/", omittingEmptySubsequences: false).count != joint.dimensions.count }) {
                throw bad("joint_quotas[\(index)].targets: \"\(key)\" must join \(joint.dimensions.count) values with /, such as \"belge/female\"")
            }
            checked.append((joint.dimensions.joined(separator: "×"), joint.unit ?? .recordings, joint.targets))
        }
        for (name, unit, targets) in checked {
            for (value, target) in targets {
                let place = "\(name).targets.\(value)"
                if target.count != nil && target.share != nil { throw bad("\(place): give a count or a share, not both") }
                if target.count == nil && target.share == nil && target.min == nil && target.max == nil {
                    throw bad("\(place): give a count, a share, a min or a max")
                }
                let bounds = [target.count, target.share, target.min, target.max].compactMap { $0 }
                if bounds.contains(where: { !($0 >= 0) || !$0.isFinite }) { throw bad("\(place): amounts must be zero or more") }
                if target.share != nil, bounds.contains(where: { $0 > 1 }) { throw bad("\(place): a share and its bounds lie between 0 and 1") }
                if let min = target.min, let max = target.max, min > max { throw bad("\(place): min is above max") }
                if let min = target.min, let goal = target.count ?? target.share, min > goal { throw bad("\(place): min is above the target") }
                if let max = target.max, let goal = target.count ?? target.share, max < goal { throw bad("\(place): max is below the target") }
                if target.share != nil {
                    if unit == .hours && spec.targetHours == nil { throw bad("\(place): a share of hours needs target_hours") }
                    if unit == .speakers && spec.targetSpeakers == nil { throw bad("\(place): a share of speakers needs target_speakers") }
                }
            }
        }
    }

    /// The planned campaign total in `unit`, when known.
    public func planned(_ unit: QuotaUnit) -> Double? {
        switch unit {
        case .recordings: return Double(plannedRecordings)
        case .hours: return targetHours
        case .speakers: return targetSpeakers.map(Double.init)
        }
    }

    /// Accepted recordings (with assignments under way) a speaker may reach: the cap share of
    /// the planned recordings, and at least one.
    public var speakerCapRecordings: Int {
        Swift.max(1, Int((speakerCapShare * Double(plannedRecordings)).rounded(.up)))
    }

    /// Takes per worker under which the per-speaker cap deserves a warning: fewer, and workers
    /// are turned away after a handful of prompts.
    public static let fewTakesPerWorker = 10

    /// What to tell the team when the per-speaker cap lets a worker record fewer than
    /// `fewTakesPerWorker` takes; nil otherwise, or while no prompt is planned.
    public var speakerCapWarning: String? {
        let cap = speakerCapRecordings
        guard plannedRecordings > 0, cap < Self.fewTakesPerWorker else { return nil }
        return "speaker_cap \(speakerCapShare.formatted(.number.precision(.significantDigits(1...4)).grouping(.never))) of \(plannedRecordings) planned recordings = "
            + "\(cap) take\(cap == 1 ? "" : "s") per worker; raise speaker_cap or add prompts so that each worker may record at least \(Self.fewTakesPerWorker)"
    }

    /// The cell value a stored value falls in on one dimension of a group.
    public static func cellValue(_ raw: String?, listed: [String]?) -> String {
        guard let raw else { return "undeclared" }
        if let listed, !listed.contains(raw) { return "other" }
        return raw
    }

    /// The cell with `value` (`belge`, `belge/female`) in `group`, with bounds when it has a target.
    public func cell(_ group: Group, value: String) -> QuotaCell {
        let parts = value.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let matches = zip(group.dimensions, zip(parts, group.values)).map { dimension, pair in
            let (part, listed) = pair
            switch (part, listed) {
            case ("undeclared", _): return DimensionMatch(dimension: dimension, match: .undeclared)
            case ("other", let listed?): return DimensionMatch(dimension: dimension, match: .other(excluding: listed))
            default: return DimensionMatch(dimension: dimension, match: .equals(part))
            }
        }
        var cell = QuotaCell(dimensions: group.dimensions, value: value, unit: group.unit, target: nil, min: nil, max: nil, matches: matches)
        guard let target = group.targets[value] ?? group.targets["*"] else { return cell }
        let scale: Double
        if target.share != nil {
            guard let planned = planned(group.unit) else { return cell }
            scale = planned
        } else {
            scale = 1
        }
        cell.target = (target.count ?? target.share).map { $0 * scale }
        cell.min = target.min.map { $0 * scale }
        cell.max = target.max.map { $0 * scale }
        return cell
    }

    /// The worker's cell in every group where that cell has bounds: the cells that can refuse
    /// them (those with a ceiling) or that still need them (those under their minimum).
    public func cells(for profile: WorkerProfile, noise: NoiseCondition?) -> [QuotaCell] {
        groups.compactMap { group in
            let value = zip(group.dimensions, group.values).map { dimension, listed in
                Self.cellValue(Self.declared(dimension, profile: profile, noise: noise), listed: listed)
            }.joined(separator: "/")
            let cell = cell(group, value: value)
            return cell.hasBounds ? cell : nil
        }
    }

    /// What a worker declared on `dimension` (the noise condition is declared per assignment).
    public static func declared(_ dimension: String, profile: WorkerProfile, noise: NoiseCondition?) -> String? {
        switch dimension {
        case "accent": return profile.accent
        case "region": return profile.region
        case "gender": return profile.gender
        case "age_band": return profile.ageBand
        case "noise_condition": return noise?.rawValue
        default: return nil
        }
    }

    /// Whether one more assignment fits in `cell`, given what is accepted in it, what is
    /// assigned and not yet recorded, whether the worker already counts as one of its
    /// speakers, and the seconds a take lasts on average.
    public static func admits(_ cell: QuotaCell, accepted: QuotaTally, inFlight: QuotaTally, workerCounted: Bool, meanSeconds: Double) -> Bool {
        guard let ceiling = cell.ceiling else { return true }
        let next: Double
        switch cell.unit {
        case .recordings: next = Double(accepted.recordings + inFlight.recordings + 1)
        case .hours: next = (accepted.seconds + Double(inFlight.recordings + 1) * meanSeconds) / 3600
        case .speakers:
            if workerCounted { return true }
            next = Double(accepted.speakers + inFlight.speakers + 1)
        }
        return next <= ceiling + 1e-9
    }

    /// The refusal for a full cell.
    public static func full(_ cell: QuotaCell) -> CollectionError {
        let amount = cell.ceiling.map { cell.unit == .hours ? String(format: "%.2f h", $0) : "\(Int($0.rounded())) \(cell.unit.rawValue)" } ?? ""
        return .quotaFull(cell: cell.key, amount: amount)
    }
}
