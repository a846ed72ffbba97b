import ArgumentParser
import Datasets
import Experiments
import QuorumKit
import RunStore
import ScalingCore

/// A stored run's problems and prompt template, rebuilt from its configuration, so its samples
/// can be trained on with exactly the prompts they answered (`train sft --run`, `train dpo`,
/// `export pairs`).
struct StoredRunPrompts {
    let store: RunStore
    let configuration: RunConfiguration
    let format: DatasetFormat
    let template: PromptTemplate
    /// The run's data set's problems by id.
    let problems: [String: Problem]

    /// Refuses a run whose template no longer renders as it did (its hash differs): its
    /// prompts cannot be rebuilt exactly.
    static func load(runID: String, storePath: String?) throws -> StoredRunPrompts {
        let store = try RunStore(path: storePath ?? RunStore.defaultPath())
        let configuration = try store.configuration(ofRun: runID)
        let loaded = try DatasetCatalog.load(configuration.dataset)
        let template = try RunTemplates.template(named: configuration.promptTemplate, datasetFormat: loaded.format.rawValue,
                                                 seed: configuration.seed)
        guard template.sha256 == configuration.promptTemplateSHA256 else {
            throw ValidationError("Run \(runID)'s prompt template '\(configuration.promptTemplate)' has changed since the run; "
                + "its prompts cannot be rebuilt exactly.")
        }
        return StoredRunPrompts(store: store, configuration: configuration, format: loaded.format, template: template,
                                problems: Dictionary(loaded.problems.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first }))
    }
}
