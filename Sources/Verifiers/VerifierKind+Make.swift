import ScalingCore

extension VerifierKind {
    /// The built-in verifier of this kind with its default settings; `pythonTests` opens
    /// the code sandbox (default limits).
    /// - Throws: `SandboxError` when the sandbox cannot be set up on this machine;
    ///   `ScalingCoreError.unknownVerifier` for a `.custom` kind (only its caller has it).
    public func makeVerifier() throws -> any Verifier {
        switch self {
        case .math: MathVerifier()
        case .pythonTests: PythonTestsVerifier(sandbox: try Sandbox())
        case .exact: ExactMatchVerifier()
        case .custom(let name): throw ScalingCoreError.unknownVerifier(name: name)
        }
    }
}
