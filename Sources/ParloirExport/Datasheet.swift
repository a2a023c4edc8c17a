import Foundation
import ParloirCore

/// The export's `README.md`: what is in the dataset, how it was checked, how its speakers were
/// paid, and on what terms — the questions of "Datasheets for Datasets", answered from the store.
enum Datasheet {
    static func markdown(bundle: ExportBundle, clips: [ExportedClip], options: ExportOptions, leftOut: Int) -> String {
        let spec = bundle.campaign.spec
        let report = bundle.report
        let delivered = clips.filter { $0.split != nil }
        var out: [String] = []
        func line(_ text: String = "") { out.append(text) }
        func hours(_ clips: [ExportedClip]) -> String { String(format: "%.3f", clips.reduce(0) { $0 + $1.duration } / 3600) }
        func table(_ header: [String], _ rows: [[String]]) {
            line("| " + header.joined(separator: " | ") + " |")
            line("|" + header.indices.map { $0 == 0 ? " --- |" : " ---: |" }.joined())
            for row in rows { line("| " + row.joined(separator: " | ") + " |") }
            line()
        }

        line("# \(spec.name): French utterances for speech recognition")
        line()
        line("Exported by Parloir from campaign `\(bundle.campaign.id)` (\(spec.language)) as **\(options.format.rawValue)**, "
             + "with the \(options.status.rawValue) takes" + (options.sampleRate.map { ", converted to mono 16-bit PCM WAV at \($0) Hz" } ?? ", audio as recorded") + ".")
        line()
        line("**Purpose, as told to every speaker:** " + spec.purpose.trimmingCharacters(in: .whitespacesAndNewlines))
        line()
        line("## Composition")
        line()
        table(["split", "utterances", "hours", "speakers"], Split.allCases.map { split in
            let members = delivered.filter { $0.split == split }
            return [split.rawValue, String(members.count), hours(members), String(Set(members.map(\.speaker)).count)]
        } + [["all", String(delivered.count), hours(delivered), String(Set(delivered.map(\.speaker)).count)]])
        line("Splits are speaker-disjoint (no speaker in two splits), drawn with seed \(options.plan.seed) in the proportions "
             + options.plan.shares.map { String(format: "%.0f", $0 * 100) }.joined(separator: "/")
             + ", and balanced by accent × gender (each stratum is spread over the splits in those proportions)."
             + (options.plan.promptDisjoint ? " They are also prompt-disjoint: \(leftOut) utterances of prompts held by another split were left out." : ""))
        line()
        for (name, value) in [("accent", \ExportItem.accent), ("region", \ExportItem.region), ("gender", \ExportItem.gender),
                              ("age band", \ExportItem.ageBand), ("noise condition", \ExportItem.noiseCondition)] as [(String, KeyPath<ExportItem, String?>)] {
            var counts: [String: (utterances: Int, speakers: Set<String>, seconds: Double)] = [:]
            for clip in delivered {
                let key = clip.item[keyPath: value] ?? "undeclared"
                var entry = counts[key] ?? (0, [], 0)
                entry.utterances += 1
                entry.speakers.insert(clip.speaker)
                entry.seconds += clip.duration
                counts[key] = entry
            }
            let quota = report.quotas.first { $0.name == name.replacingOccurrences(of: " ", with: "_") }
            line("### By \(name)")
            line()
            table(["value", "utterances", "hours", "speakers", "campaign target", "campaign state"], counts.keys.sorted().map { key in
                let entry = counts[key]!
                let cell = quota?.cells.first { $0.value == key }
                let target = cell.map { cell in
                    [cell.min.map { "min \(Self.number($0))" }, cell.target.map { "target \(Self.number($0))" }, cell.max.map { "max \(Self.number($0))" }]
                        .compactMap { $0 }.joined(separator: ", ") + (quota.map { " \($0.unit.rawValue)" } ?? "")
                } ?? "–"
                return [key, String(entry.utterances), String(format: "%.3f", entry.seconds / 3600), String(entry.speakers.count),
                        target.isEmpty ? "–" : target, cell?.state?.rawValue ?? "–"]
            })
        }
        line("## Quality control")
        line()
        line("Every take was judged on arrival by Parloir's DSP core (libsndfile decoding, FFTW spectra). The campaign's rules:")
        line()
        let rules = (try? JSONSerialization.jsonObject(with: JSONEncoder().encode(spec.rules))) as? [String: Any] ?? [:]
        table(["rule", "value"], rules.keys.sorted().map { [$0, "\(rules[$0]!)"] })
        line("Of \(report.totals.takes) takes, \(report.totals.accepted) were accepted and \(report.totals.rejected) rejected. Rejections by reason (a take can have several):")
        line()
        table(["reason", "takes"], report.rejections.map { [$0.code, String($0.takes)] })
        line("## Verification")
        line()
        let v = report.verification
        line("Accepted takes were transcribed by ASR and sampled for human verification: always when the ASR disagreed with the prompt, "
             + "for each worker's first takes and for thin accent × region cells, otherwise at a base rate scaled by the worker's record; "
             + "10 % of sampled takes were reviewed twice and gold items scored the verifiers.")
        line()
        line("- verified takes: \(v.verified); double reviews: \(v.doubleReviews)"
             + (v.verdictAgreement.map { String(format: "; verdict agreement %.1f %%", $0 * 100) } ?? ""))
        if let rate = v.errorRate, let low = v.intervalLow, let high = v.intervalHigh {
            line(String(format: "- estimated share of accepted takes whose words are not the prompt's: %.2f %% (95 %% interval %.2f–%.2f %%)", rate * 100, low * 100, high * 100))
        } else {
            line("- the error rate is not estimated yet: too few takes were verified")
        }
        line("- `sentence` is the verified transcript where a verifier corrected it, the prompt otherwise; takes a verifier found unusable are not delivered.")
        line()
        line("## How speakers were paid")
        line()
        let hourly = report.workers.compactMap(\.effectiveHourlyCents).sorted()
        line("A piece rate of \(Euros.text(spec.pieceRateCents)) per accepted take, booked with the take; upheld appeals were paid too. "
             + "\(Euros.text(report.totals.paidCents)) were paid in all.")
        if !hourly.isEmpty {
            line(String(format: "Estimated effective pay (audio time plus %.0f s per take): median %.2f €/h, lowest %.2f €/h, highest %.2f €/h.",
                        spec.overheadSecondsPerTake, hourly[hourly.count / 2] / 100, hourly.first! / 100, hourly.last! / 100))
        }
        line()
        line("## Consent and erasure")
        line()
        line("Every speaker consented to the campaign's terms before recording and was told what their voice is for. Speakers are "
             + "pseudonymous: the service never stored a name or contact, and this export's speaker ids (`spk-…`, `client_id`) are "
             + "hashes that do not match the service's own ids. A speaker who asks for erasure has their takes removed from the "
             + "service; the next export no longer contains them, and recipients are asked to replace earlier copies.")
        line()
        let erased = report.erasures
        if erased.members == 0 {
            line("No speaker of this campaign had been erased when this export was made.")
        } else {
            line("\(erased.members) \(erased.members == 1 ? "speaker" : "speakers") of this campaign had their data erased before this "
                 + "export was made: their \(erased.takes) \(erased.takes == 1 ? "take was" : "takes were") removed, "
                 + String(format: "%d of them accepted (%.3f hours)", erased.acceptedTakes, erased.acceptedSeconds / 3600)
                 + ", and are in none of the figures above; only their pay (\(Euros.text(erased.paidCents))) is kept, within the total paid.")
        }
        line()
        line("## Files")
        line()
        line("`SHA256SUMS` lists every file with its SHA-256 (`sha256sum -c SHA256SUMS`).")
        return out.joined(separator: "\n") + "\n"
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.2f", value)
    }
}
