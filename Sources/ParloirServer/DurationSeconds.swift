extension Duration {
    /// The duration in seconds, as a `Double` (for metrics, budgets, messages and logs).
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
