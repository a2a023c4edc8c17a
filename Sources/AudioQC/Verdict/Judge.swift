import Foundation

/// Turns measurements into a verdict with every reason found, by the rules of a `RuleSet`.
public struct Judge: Sendable {
    public let rules: RuleSet

    public init(rules: RuleSet) { self.rules = rules }

    /// The verdict for a take that could not be decoded, or whose header is refused.
    public func unreadable(file: String, error: DecodeError) -> AnalysisReport {
        let reason = switch error.kind {
        case .unreadable:
            Reason(code: .unreadable, severity: .reject, value: nil, threshold: nil,
                   message: "the audio cannot be decoded: \(error.message)")
        case .unsupported:
            Reason(code: .unsupportedFormat, severity: .reject, value: nil, threshold: nil,
                   message: "the audio is not in a format Parloir reads: \(error.message)")
        }
        return AnalysisReport(file: file, verdict: .reject, reasons: [reason], metrics: Metrics())
    }

    /// The verdict for measured audio; `stoppedAtS` says where decoding stopped on a recording
    /// known to be too long.
    public func judge(file: String, metrics m: Metrics, stoppedAtS: Double? = nil) -> AnalysisReport {
        var reasons: [Reason] = []
        func add(_ code: ReasonCode, _ severity: Severity, _ value: Double?, _ threshold: Double?, _ message: String) {
            reasons.append(Reason(code: code, severity: severity, value: value, threshold: threshold, message: message))
        }
        let r = rules
        if let rate = m.sampleRate, Double(rate) < r.minSampleRateHz {
            add(.sampleRate, .reject, Double(rate), r.minSampleRateHz,
                "sample rate \(rate) Hz is under the minimum of \(Int(r.minSampleRateHz)) Hz")
        }
        if let stopped = stoppedAtS {
            add(.tooLong, .reject, stopped, r.maxDurationS,
                "the recording runs past \(fmt(stopped)) s, over the maximum of \(fmt(r.maxDurationS)) s; the rest was not analysed")
        } else if let duration = m.durationS {
            if duration < r.minDurationS {
                add(.tooShort, .reject, duration, r.minDurationS,
                    "duration \(fmt(duration)) s is under the minimum of \(fmt(r.minDurationS)) s")
            } else if duration > r.maxDurationS {
                add(.tooLong, .reject, duration, r.maxDurationS,
                    "duration \(fmt(duration)) s is over the maximum of \(fmt(r.maxDurationS)) s")
            }
        }
        if let fraction = m.clippedFraction {
            let runs = m.clippedRuns ?? 0
            if fraction >= r.clippingRejectFraction {
                add(.clipping, .reject, fraction, r.clippingRejectFraction,
                    "\(percent(fraction)) of samples are clipped, in \(runs) runs (limit \(percent(r.clippingRejectFraction)))")
            } else if fraction >= r.clippingWarnFraction {
                add(.clipping, .warn, fraction, r.clippingWarnFraction,
                    "\(percent(fraction)) of samples are clipped, in \(runs) runs (warning from \(percent(r.clippingWarnFraction)))")
            }
        }
        let speech = m.speechS ?? 0
        if speech < r.minSpeechS {
            add(.noSpeech, .reject, speech, r.minSpeechS,
                "\(fmt(speech)) s of speech detected, under the minimum of \(fmt(r.minSpeechS)) s")
        } else {
            judgeSpeech(m, add)
        }
        if let dc = m.dcOffset, abs(dc) > r.dcOffsetWarn {
            add(.dcOffset, .warn, dc, r.dcOffsetWarn,
                "mean sample value \(fmt(dc, 4)) exceeds ±\(fmt(r.dcOffsetWarn, 4))")
        }
        if let hum = m.humDB, hum >= r.humWarnDB {
            add(.mainsHum, .warn, hum, r.humWarnDB,
                "tonal excess of \(fmt(hum, 1)) dB at the mains frequency and its harmonics (warning from \(fmt(r.humWarnDB, 1)) dB)")
        }
        let verdict: Verdict = reasons.contains { $0.severity == .reject } ? .reject : .accept
        return AnalysisReport(file: file, verdict: verdict, reasons: reasons, metrics: m)
    }

    /// Under the SNR that rejects a take, the worker's speech cannot be told from the noise
    /// around it well enough to judge its edges or its rate: the take is refused for the noise
    /// alone, so the worker's hint says what is sure (a quieter place) and not a guess.
    private func judgeSpeech(_ m: Metrics, _ add: (ReasonCode, Severity, Double?, Double?, String) -> Void) {
        let r = rules
        if let level = m.speechLevelDBFS, level < r.minSpeechLevelDBFS {
            add(.tooQuiet, .reject, level, r.minSpeechLevelDBFS,
                "active speech level \(fmt(level, 1)) dBFS is under \(fmt(r.minSpeechLevelDBFS, 1)) dBFS")
        }
        let edgesAreTrusted = (m.snrDB ?? .infinity) >= r.snrRejectDB
        if edgesAreTrusted, let leading = m.leadingSilenceS {
            if leading > r.maxLeadingSilenceS {
                add(.leadingSilence, .reject, leading, r.maxLeadingSilenceS,
                    "\(fmt(leading)) s of silence before the speech (limit \(fmt(r.maxLeadingSilenceS)) s)")
            } else if leading < r.truncationMarginS {
                add(.truncatedStart, .reject, leading, r.truncationMarginS,
                    "speech is already under way in the first \(Int(r.truncationMarginS * 1000)) ms")
            }
        }
        if edgesAreTrusted, let trailing = m.trailingSilenceS {
            if trailing > r.maxTrailingSilenceS {
                add(.trailingSilence, .reject, trailing, r.maxTrailingSilenceS,
                    "\(fmt(trailing)) s of silence after the speech (limit \(fmt(r.maxTrailingSilenceS)) s)")
            } else if trailing < r.truncationMarginS {
                add(.truncatedEnd, .reject, trailing, r.truncationMarginS,
                    "speech is still under way in the last \(Int(r.truncationMarginS * 1000)) ms")
            }
        }
        if let snr = m.snrDB {
            if snr < r.snrRejectDB {
                add(.lowSNR, .reject, snr, r.snrRejectDB,
                    "speech-to-noise ratio \(fmt(snr, 1)) dB is under \(fmt(r.snrRejectDB, 1)) dB")
            } else if snr < r.snrWarnDB {
                add(.lowSNR, .warn, snr, r.snrWarnDB,
                    "speech-to-noise ratio \(fmt(snr, 1)) dB is under \(fmt(r.snrWarnDB, 1)) dB")
            }
        }
        if edgesAreTrusted, let rate = m.speakingRateSPS, rate < r.minSpeakingRateSPS || rate > r.maxSpeakingRateSPS {
            let bound = rate < r.minSpeakingRateSPS ? r.minSpeakingRateSPS : r.maxSpeakingRateSPS
            add(.speakingRate, .reject, rate, bound,
                "the prompt read at \(fmt(rate, 1)) syllables per second of speech, outside \(fmt(r.minSpeakingRateSPS, 1))–\(fmt(r.maxSpeakingRateSPS, 1)): "
                + (rate > r.maxSpeakingRateSPS ? "part of the sentence seems missing" : "the take seems to say more than the sentence"))
        }
        if let bandwidth = m.bandwidthHz, let rate = m.sampleRate,
           Double(rate) >= r.narrowbandMinSampleRateHz, bandwidth < r.narrowbandRejectHz {
            add(.narrowband, .reject, bandwidth, r.narrowbandRejectHz,
                "speech reaches only \(Int(bandwidth.rounded())) Hz at \(rate) Hz sampling (minimum \(Int(r.narrowbandRejectHz)) Hz): telephone-band audio")
        }
    }
}

private func fmt(_ value: Double, _ digits: Int = 2) -> String {
    String(format: "%.\(digits)f", value)
}

private func percent(_ fraction: Double) -> String {
    String(format: "%.3g %%", fraction * 100)
}
