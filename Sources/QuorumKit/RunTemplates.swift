import Datasets
import Experiments

/// The prompt template of a run, built the same way for sampling (`quorum run`) and for
/// training on a run's samples (`quorum train sft --run`).
public enum RunTemplates {
    /// `name` (or the data set format's default), with `gsm8k-fewshot`'s examples drawn from
    /// the train split with `seed`, never from the problems being asked.
    public static func template(named name: String?, datasetFormat: String, seed: UInt64) throws -> PromptTemplate {
        if name == "gsm8k-fewshot" {
            return .gsm8kFewShot(.gsm8k(from: try DatasetCatalog.load("gsm8k:train").problems, seed: seed))
        }
        return try name.map { try PromptTemplate.named($0) } ?? PromptTemplate.defaultTemplate(forFormat: datasetFormat)
    }
}
