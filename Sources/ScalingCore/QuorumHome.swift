import Foundation

/// Quorum's state folder: the model cache (`models/`), pulled data (`data/`) and the run
/// store (`runs.sqlite`). `QUORUM_HOME` when set and non-empty, else `~/.cache/quorum`.
public enum QuorumHome {
    public static func path(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let home = environment["QUORUM_HOME"], !home.isEmpty { return home }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.cache/quorum"
    }
}
