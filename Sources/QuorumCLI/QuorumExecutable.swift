import ArgumentParser
import QuorumCommands

// The `quorum` executable: every command lives in the QuorumCommands library. `@main` on
// the command type (not a top-level `Quorum.main()` call, which resolves to the synchronous
// entry point and would print help instead of running async subcommands).
@main extension Quorum {}
