import Foundation
import ScalingCore
import Testing

/// Verifier kinds by name: what `--verifier` accepts, and the stored form of a run's verifier.
struct VerifierKindTests {
    @Test func builtInKindsHaveTheirDocumentedNames() throws {
        #expect(VerifierKind.builtIn.map(\.name) == ["math", "python-tests", "exact"])
        for kind in VerifierKind.builtIn {
            #expect(try VerifierKind(parsing: kind.name) == kind)
            #expect(VerifierKind(name: kind.name) == kind)
        }
    }

    @Test func anUnknownNameIsRefusedWithTheValidOnes() {
        #expect(throws: ScalingCoreError.unknownVerifier(name: "maths")) { try VerifierKind(parsing: "maths") }
        let message = ScalingCoreError.unknownVerifier(name: "maths").description
        #expect(message.contains("'maths'") && message.contains("math, python-tests, exact"), "\(message)")
        // A typed name is never taken as a custom verifier.
        #expect(throws: ScalingCoreError.self) { try VerifierKind(parsing: "last-digit") }
    }

    @Test func storedAsItsNameAndEveryNameReadsBack() throws {
        let kinds: [VerifierKind] = [.math, .pythonTests, .exact, .custom("last-digit")]
        let json = String(decoding: try JSONEncoder().encode(kinds), as: UTF8.self)
        #expect(json == #"["math","python-tests","exact","last-digit"]"#)
        #expect(try JSONDecoder().decode([VerifierKind].self, from: Data(json.utf8)) == kinds)
    }

    @Test func theDefaultIsTheTestsWhenTheDataSetHasThem() {
        let math = Problem(id: "m", prompt: .text("1+1?"), reference: ProblemReference(answer: "2"))
        let code = Problem(id: "c", prompt: .text("def add"), reference: ProblemReference(
            tests: CodeTests(tests: "assert add(1, 2) == 3\n", testCases: ["assert add(1, 2) == 3"], entryPoint: "add")))
        #expect(VerifierKind.default(for: [code]) == .pythonTests)
        #expect(VerifierKind.default(for: [math]) == .math)
        #expect(VerifierKind.default(for: []) == .math)
    }
}
