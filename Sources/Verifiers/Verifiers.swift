// Verifiers: math answer equivalence and sandboxed code execution.
