extension Duration {
    /// The duration in seconds, as a `Double`: how Quorum reports wall time (spend, timings, costs).
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
