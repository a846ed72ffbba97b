import Foundation

extension StrategyResult {
    /// The evidence and spend as plain text, for a terminal: the samples (shortened to one
    /// line of at most `width` characters each), the vote or scores, the synthesis inputs.
    public func summary(width: Int = 100) -> String {
        var lines: [String] = []
        func short(_ text: String) -> String {
            let line = text.split(whereSeparator: \.isNewline).joined(separator: " ⏎ ")
            return line.count <= width ? line : String(line.prefix(width - 1)) + "…"
        }
        switch evidence {
        case .single(let sample):
            lines.append("one sample (seed \(sample.seed.map(String.init) ?? "-"), \(sample.completionTokens) tokens, \(sample.finishReason))")
        case .vote(let vote):
            lines.append("vote over \(vote.samples.count) samples, grouped by \(vote.grouping.rawValue), weighted by \(vote.weighting):")
            for (c, voteClass) in vote.classes.enumerated() {
                let mark = c == vote.winner ? "→" : " "
                lines.append(" \(mark) class \(c): \(short(voteClass.answer))  weight \(format(voteClass.weight))  samples \(voteClass.members.map(String.init).joined(separator: ","))")
            }
            if !vote.abstained.isEmpty {
                lines.append("   no answer found in samples \(vote.abstained.map(String.init).joined(separator: ","))")
            }
            if !vote.tiedClasses.isEmpty {
                lines.append("   tie between classes \(vote.tiedClasses.map(String.init).joined(separator: ", ")): \(vote.tieRule)")
            }
            if vote.winner == nil { lines.append("   no sample had an answer; sample 0 is returned") }
            for sample in vote.samples {
                lines.append("   [\(sample.index)] \(short(sample.text))")
            }
        case .bestOfN(let best):
            lines.append("best-of-\(best.samples.count) by \(best.scorer) (\(best.rule)):")
            for sample in best.samples {
                let mark = sample.index == best.chosen ? "→" : " "
                let score = sample.score.map(format) ?? "unscored"
                lines.append(" \(mark) [\(sample.index)] score \(score): \(short(sample.text))")
                if let detail = sample.scoreDetail { lines.append("       \(short(detail))") }
            }
            for comparison in best.comparisons ?? [] {
                let outcome = comparison.winner.map { "sample \($0) wins" } ?? "tie"
                let advanced = comparison.advanced.map { ", \($0) advances" } ?? ""
                let verdicts = comparison.judgements.map { j in
                    "\(j.shownFirst) vs \(j.shownSecond): \(j.verdict?.rawValue ?? "no verdict") (\(short(j.reply)))"
                }
                lines.append("   round \(comparison.round), samples \(comparison.candidates.map(String.init).joined(separator: " and ")): "
                             + "\(outcome)\(advanced); " + verdicts.joined(separator: "; "))
            }
            lines.append(contentsOf: best.notes.map { "   note: \($0)" })
        case .synthesis(let synthesis):
            lines.append("\(synthesis.method), \(synthesis.layers.count) layers; largest aggregator prompt \(synthesis.largestAggregatorPrompt) tokens"
                + (synthesis.contextLimit.map { " of a \($0)-token context" } ?? ""))
            for (l, layer) in synthesis.layers.enumerated() {
                lines.append(" layer \(l + 1): \(layer.role)")
                for call in layer.calls {
                    lines.append("   \(call.model), prompt \(call.promptTokens) tokens, \(call.references.count) references")
                    for (r, reference) in call.references.enumerated() { lines.append("     ref \(r + 1): \(short(reference))") }
                    for output in call.outputs { lines.append("     out: \(short(output))") }
                }
            }
        case .adaptive(let adaptive):
            let parameters = adaptive.parameters.keys.sorted().map { "\($0)=\(adaptive.parameters[$0]!)" }.joined(separator: ", ")
            lines.append("adaptive sampling, rule \(adaptive.rule)\(parameters.isEmpty ? "" : " (\(parameters))"), "
                         + "min \(adaptive.minSamples), max \(adaptive.maxSamples), waves of \(adaptive.wave):")
            for wave in adaptive.waves {
                lines.append("   after \(wave.samples) samples: \(wave.detail)")
            }
            let why = adaptive.stopReason == "rule" ? "the rule fired" : "the maximum was reached"
            lines.append("drew \(adaptive.samplesDrawn) of at most \(adaptive.maxSamples) samples: \(why); answer by \(adaptive.selection) (sample \(adaptive.chosenSample))")
            let vote = adaptive.vote
            for (c, voteClass) in vote.classes.enumerated() {
                let mark = c == vote.winner ? "→" : " "
                lines.append(" \(mark) class \(c): \(short(voteClass.answer))  weight \(format(voteClass.weight))  samples \(voteClass.members.map(String.init).joined(separator: ","))")
            }
            if !vote.abstained.isEmpty {
                lines.append("   no answer found in samples \(vote.abstained.map(String.init).joined(separator: ","))")
            }
        }
        lines.append(String(format: "spend: %d model calls, %d samples, %d prompt tokens, %d completion tokens, %.2f s",
                            spend.modelCalls, spend.samples, spend.promptTokens, spend.completionTokens, spend.seconds))
        return lines.joined(separator: "\n")
    }

    private func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : String(format: "%.4g", value)
    }
}
