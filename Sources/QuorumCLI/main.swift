import QuorumCommands

// The `quorum` executable: every command lives in the QuorumCommands library.
await Quorum.main()
