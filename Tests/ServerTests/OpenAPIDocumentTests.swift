import Foundation
import OpenAIAPI
import ScalingCore
import Server
import Testing

/// `/openapi.json` against the Codable wire types it describes, field by field: every key
/// the types emit for representative values (every optional field set) is declared in the
/// document's schema with a compatible type, every property the schema requires is emitted,
/// and every property the schema declares is emitted by some value (so the document names no
/// field the types lack). schemathesis (ServerTests) then fuzzes the server from this document.
struct OpenAPIDocumentTests {
    static let maxN = 8, maxTokens = 4096

    /// The served document, parsed (a syntax error in the hand-written JSON fails here).
    static func document() throws -> JSONValue {
        let text = OpenAPIDocument.json(modelNames: ["smollm2"], maxN: maxN, maxTokens: maxTokens, authenticated: true)
        return try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    // MARK: Representative values

    static let tokenLogprob = TokenLogprob(token: "Hi", logprob: -0.25, bytes: [72, 105],
                                           topLogprobs: [TopLogprob(token: "Hi", logprob: -0.25, bytes: [72, 105])])
    static let evidence: JSONValue = .object(["votes": .array([.object(["answer": .string("36"), "count": .number(5)])])])
    static let spend: JSONValue = .object(["calls": .number(1), "promptTokens": .number(40), "completionTokens": .number(96)])
    static let quorumInfo = QuorumResponseInfo(
        strategy: "self-consistency:8", progress: StrategyProgress(completedSamples: 3, requestedSamples: 8, vote: [VoteTally(answer: "36", count: 2)]),
        answer: "36", evidence: evidence, spend: spend)
    static let usage = Usage(promptTokens: 12, completionTokens: 30)

    static let chatRequest = ChatCompletionRequest(
        model: "smollm2", messages: [ChatCompletionMessage(role: "user", content: "What is 12 * 3?", name: "ada")],
        temperature: 0.7, topP: 0.9, n: 2, stream: true, streamOptions: StreamOptions(includeUsage: true), stop: ["\n\n"],
        maxTokens: 64, maxCompletionTokens: 64, seed: 7, logprobs: true, topLogprobs: 2, presencePenalty: 0.5,
        frequencyPenalty: 0.5, user: "ada", quorum: QuorumRequestOptions(strategy: "self-consistency:8", progress: true),
        topK: 40, minP: 0.05)
    static let textRequest = TextCompletionRequest(
        model: "smollm2", prompt: .text("def add(a, b):"), temperature: 0.7, topP: 0.9, n: 2, stream: true,
        streamOptions: StreamOptions(includeUsage: true), stop: ["\n\n"], maxTokens: 64, seed: 7, logprobs: 2, echo: true,
        presencePenalty: 0.5, frequencyPenalty: 0.5, user: "ada", quorum: QuorumRequestOptions(strategy: "self-consistency:8", progress: false),
        topK: 40, minP: 0.05)
    static let chatResponse = ChatCompletionResponse(
        id: "chatcmpl-1", created: 1_700_000_000, model: "smollm2",
        choices: [ChatCompletionChoice(index: 0, message: ChatCompletionMessage(role: "assistant", content: "36"),
                                       logprobs: ChatLogprobs(content: [tokenLogprob]), finishReason: "stop")],
        usage: usage, systemFingerprint: "quorum", quorum: quorumInfo)
    static let chatChunk = ChatCompletionChunk(
        id: "chatcmpl-1", created: 1_700_000_000, model: "smollm2",
        choices: [ChatCompletionChunkChoice(index: 0, delta: ChatCompletionDelta(role: "assistant", content: "3"),
                                            logprobs: ChatLogprobs(content: [tokenLogprob]), finishReason: nil)],
        usage: usage, quorum: quorumInfo)
    static let textResponse = TextCompletionResponse(
        id: "cmpl-1", created: 1_700_000_000, model: "smollm2",
        choices: [TextCompletionChoice(index: 0, text: " return a + b",
                                       logprobs: TextLogprobs(tokens: [" return"], tokenLogprobs: [-0.5], topLogprobs: [[" return": -0.5]],
                                                              textOffset: [0]),
                                       finishReason: "length")],
        usage: usage, systemFingerprint: "quorum", quorum: quorumInfo)
    /// A streamed legacy chunk: the response's shape, `finish_reason` null until the choice ends.
    static let textChunk = TextCompletionResponse(
        id: "cmpl-1", created: 1_700_000_000, model: "smollm2",
        choices: [TextCompletionChoice(index: 0, text: " return", finishReason: nil)], usage: nil)

    /// Each wire type with the schema that describes it.
    static let cases: [(schema: String, value: any Encodable & Sendable)] = [
        ("ChatCompletionRequest", chatRequest),
        ("CompletionRequest", textRequest),
        ("ChatCompletion", chatResponse),
        ("ChatCompletionChunk", chatChunk),
        ("Completion", textResponse),
        ("Completion", textChunk),
        ("ModelList", ModelList(data: [ModelInfo(id: "smollm2", created: 1_700_000_000)])),
        ("Error", ErrorResponse(message: "n must be at most 8", param: "n", code: "invalid_value")),
        ("Error", ErrorResponse(message: "the server is busy", type: "rate_limit_error")),
    ]

    @Test(arguments: cases.indices)
    func everyEmittedKeyIsDeclaredAndEveryRequiredOneEmitted(_ index: Int) throws {
        let (schema, value) = Self.cases[index]
        let json = try JSONDecoder().decode(JSONValue.self, from: OpenAIJSON.makeEncoder().encode(value))
        var checker = SchemaChecker(document: try Self.document())
        checker.check(json, against: .object(["$ref": .string("#/components/schemas/\(schema)")]), at: schema)
        #expect(checker.mismatches.isEmpty, "\(type(of: value)) against \(schema):\n\(checker.mismatches.joined(separator: "\n"))")
    }

    /// The other direction: a property the document declares that no wire type emits is a
    /// field clients would send or expect in vain.
    @Test func everyDeclaredPropertyIsEmittedBySomeValue() throws {
        var checker = SchemaChecker(document: try Self.document())
        for (schema, value) in Self.cases {
            let json = try JSONDecoder().decode(JSONValue.self, from: OpenAIJSON.makeEncoder().encode(value))
            checker.check(json, against: .object(["$ref": .string("#/components/schemas/\(schema)")]), at: schema)
        }
        #expect(checker.mismatches.isEmpty, "\(checker.mismatches.joined(separator: "\n"))")
        let unused = checker.declared.subtracting(checker.emitted).sorted()
        #expect(unused.isEmpty, "declared in /openapi.json but emitted by no wire type: \(unused)")
        #expect(checker.declared.count > 60, "the walk reached only \(checker.declared.count) properties")
    }

    /// The checker itself catches what it is for, so a passing test means something.
    @Test func theCheckerFindsUndeclaredKeysWrongTypesAndMissingRequiredKeys() throws {
        var checker = SchemaChecker(document: try Self.document())
        checker.check(.object(["object": .string("list"), "data": .array([.object([
            "id": .number(1), "object": .string("model"), "owned_by": .string("quorum"), "colour": .string("red"),
        ])])]), against: .object(["$ref": .string("#/components/schemas/ModelList")]), at: "ModelList")
        let found = checker.mismatches.joined(separator: "\n")
        #expect(found.contains("ModelList.data[0].id"), "\(found)")       // a number where a string is declared
        #expect(found.contains("ModelList.data[0].colour"), "\(found)")   // not declared
        #expect(found.contains("ModelList.data[0].created"), "\(found)")  // required, missing
        #expect(checker.mismatches.count == 3, "\(found)")
    }
}

/// A walk of a JSON value through the subset of JSON Schema (2020-12) the document uses:
/// `$ref`, `allOf`, `oneOf`, `type`, `const`, `enum`, `properties`, `required`,
/// `additionalProperties`, `items`, numeric bounds and lengths. An object schema's declared
/// properties are the whole list: a key outside them is a mismatch unless the schema says
/// `additionalProperties`.
struct SchemaChecker {
    let document: JSONValue
    private(set) var mismatches: [String] = []
    /// `Schema.property` names declared in, and emitted against, the schemas walked.
    private(set) var declared: Set<String> = []
    private(set) var emitted: Set<String> = []

    init(document: JSONValue) { self.document = document }

    mutating func check(_ value: JSONValue, against schema: JSONValue, at path: String, owner: String? = nil) {
        guard let schema = schema.objectValue else { return }
        if let reference = schema["$ref"]?.stringValue {
            let name = String(reference.split(separator: "/").last ?? "")
            guard let target = document.objectValue?["components"]?.objectValue?["schemas"]?.objectValue?[name] else {
                mismatches.append("\(path): $ref \(reference) names no schema")
                return
            }
            check(value, against: target, at: path, owner: name)
            return
        }
        if let alternatives = schema["oneOf"]?.arrayValue {
            let matching = alternatives.filter { alternative in
                var trial = SchemaChecker(document: document)
                trial.check(value, against: alternative, at: path)
                return trial.mismatches.isEmpty
            }
            if matching.count != 1 { mismatches.append("\(path): matches \(matching.count) of the oneOf alternatives, not exactly one") }
            for alternative in matching.prefix(1) { check(value, against: alternative, at: path, owner: owner) }
        }
        if let types = schema["type"] {
            let allowed = types.arrayValue?.compactMap(\.stringValue) ?? [types.stringValue ?? ""]
            if !allowed.contains(where: { Self.has(value, type: $0) }) {
                mismatches.append("\(path): \(value.typeName) where the schema allows \(allowed.joined(separator: " or "))")
                return
            }
        }
        if let constant = schema["const"], constant != value { mismatches.append("\(path): \(value) where the schema's const is \(constant)") }
        if let options = schema["enum"]?.arrayValue, !options.contains(value) { mismatches.append("\(path): \(value) is not in the enum \(options)") }
        if let number = value.numberValue {
            if let minimum = schema["minimum"]?.numberValue, number < minimum { mismatches.append("\(path): \(number) < minimum \(minimum)") }
            if let maximum = schema["maximum"]?.numberValue, number > maximum { mismatches.append("\(path): \(number) > maximum \(maximum)") }
            if let bound = schema["exclusiveMinimum"]?.numberValue, number <= bound { mismatches.append("\(path): \(number) <= exclusiveMinimum \(bound)") }
        }
        if let text = value.stringValue, let minimum = schema["minLength"]?.numberValue, Double(text.count) < minimum {
            mismatches.append("\(path): shorter than minLength \(minimum)")
        }
        if let elements = value.arrayValue {
            if let minimum = schema["minItems"]?.numberValue, Double(elements.count) < minimum { mismatches.append("\(path): fewer than minItems \(minimum)") }
            if let maximum = schema["maxItems"]?.numberValue, Double(elements.count) > maximum { mismatches.append("\(path): more than maxItems \(maximum)") }
            if let items = schema["items"] {
                for (i, element) in elements.enumerated() { check(element, against: items, at: "\(path)[\(i)]") }
            }
        }
        // A schema that only combines others (`oneOf`) leaves the members to them.
        guard let members = value.objectValue,
              ["properties", "type", "allOf", "additionalProperties"].contains(where: { schema[$0] != nil }) else { return }
        // Own properties and those of allOf parts (ChatCompletionRequest = Sampling + its own).
        var properties: [String: JSONValue] = [:]
        var required: [String] = []
        var additional: JSONValue? = schema["additionalProperties"]
        // Properties are counted by their schema's name, or for an inline schema its path without indices.
        var owners: [(name: String, schema: [String: JSONValue])] = [(owner ?? path.replacing(/\[[0-9]+\]/, with: ""), schema)]
        for part in schema["allOf"]?.arrayValue ?? [] {
            let name = part.objectValue?["$ref"]?.stringValue.map { String($0.split(separator: "/").last ?? "") }
            if let name, let target = document.objectValue?["components"]?.objectValue?["schemas"]?.objectValue?[name]?.objectValue {
                owners.append((name, target))
            }
        }
        for (name, part) in owners {
            for (key, property) in part["properties"]?.objectValue ?? [:] {
                properties[key] = property
                declared.insert("\(name).\(key)")
                if members[key] != nil { emitted.insert("\(name).\(key)") }
            }
            required += part["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
            if additional == nil { additional = part["additionalProperties"] }
        }
        for key in required where members[key] == nil { mismatches.append("\(path).\(key): required by the schema, not emitted") }
        for (key, member) in members.sorted(by: { $0.key < $1.key }) {
            if let property = properties[key] {
                check(member, against: property, at: "\(path).\(key)")
            } else if let additional, additional != .bool(false) {
                if additional != .bool(true) { check(member, against: additional, at: "\(path).\(key)") }
            } else {
                mismatches.append("\(path).\(key): emitted, not declared in the schema")
            }
        }
    }

    static func has(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object), ("number", .number): true
        case ("integer", .number(let n)): n.rounded() == n
        default: false
        }
    }
}
