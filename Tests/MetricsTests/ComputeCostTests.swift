import Testing
import Metrics

struct ComputeCostTests {
    @Test func flopsAndDollarsMatchReference() throws {
        let fixture: CostFixture = try Fixtures.load("cost.json")
        let price = TokenPrice(promptDollarsPerMillion: fixture.price.prompt, completionDollarsPerMillion: fixture.price.completion)
        for expected in fixture.cases {
            let shape = ModelShape(parameters: expected.parameters, layers: expected.layers, width: expected.width)
            #expect(isClose(shape.flopsPerToken(contextLength: expected.contextLength), expected.flopsPerToken))
            let perCompletion = CostModel(shape: shape, contextLength: expected.contextLength, price: price).cost(fixture.usage)
            #expect(isClose(perCompletion.flops, expected.flops), "\(expected.name): \(perCompletion.flops) vs \(expected.flops)")
            #expect(isClose(perCompletion.dollars ?? -1, expected.dollarsPerCompletionBilling))
            let perProblem = CostModel(shape: shape, contextLength: expected.contextLength, price: price,
                                       promptBilledPerCompletion: false).cost(fixture.usage)
            #expect(isClose(perProblem.dollars ?? -1, expected.dollarsPerProblemBilling))
            #expect(perProblem.flops == perCompletion.flops)   // FLOPs count the prompt once either way
            #expect(CostModel(shape: shape, contextLength: expected.contextLength).cost(fixture.usage).dollars == nil)
        }
    }
}
