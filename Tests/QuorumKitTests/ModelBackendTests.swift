import Engine
import Foundation
import GGUF
import ModelHub
import OpenAIClient
import QuorumKit
import ScalingCore
import Testing
import TestSupport

/// `ModelBackend`: the one way commands, the server and programs get a model.
@Suite(.serialized)
struct ModelBackendTests {
    @Test func anEmbeddedModelComesWithItsContextWindowAndIdentity() async throws {
        let file = try TestPaths.defaultModel()
        let spec = ModelCatalog.defaultModel
        let byName = try ModelBackend.embedded(spec.name, batchWidth: 4)
        let byPath = try ModelBackend.embedded(file.path, batchWidth: 4)
        // The context length the GGUF declares, read here straight from the file.
        let gguf = try GGUFFile(path: file.path)
        let declared = try gguf.int("\(gguf.architecture!).context_length")
        #expect(byName.contextWindow?.limit == declared)
        // A catalog model keeps its catalog name and pinned hash however it is named.
        #expect(byName.modelName == spec.name && byPath.modelName == spec.name)
        #expect(byName.modelSHA256 == spec.sha256 && byPath.modelSHA256 == spec.sha256)
        #expect(byName.backendName == "embedded" && byName.file?.standardizedFileURL == file.standardizedFileURL)
        // The window counts tokens through the chat template, as the engine will see them.
        let prompt = ProblemPrompt.messages([ChatMessage(role: "user", content: "What is 2 + 2?")])
        let counted = try await byName.contextWindow!.countTokens(prompt)
        let engine = try #require(byName.provider as? EmbeddedCompletionProvider)
        #expect(counted == (await engine.promptTokens(for: prompt)).count && counted > 5)
    }

    /// The same file's bytes, handed over in memory (as training does), sample exactly what
    /// the file on disk samples, and carry the file's hash.
    @Test func aModelInMemorySamplesAsItsFileDoes() async throws {
        let file = try TestPaths.defaultModel()
        let bytes = Array(try Data(contentsOf: file))
        let inMemory = try ModelBackend.embedded(inMemory: bytes, name: "smollm2 (in memory)", batchWidth: 4)
        let onDisk = try ModelBackend.embedded(file.path, batchWidth: 4)
        #expect(inMemory.modelSHA256 == ModelCatalog.defaultModel.sha256)
        #expect(inMemory.file == nil && inMemory.modelName == "smollm2 (in memory)")
        let request = CompletionRequest(prompt: .messages([ChatMessage(role: "user", content: "Name a colour.")]),
                                        parameters: SamplingParameters(temperature: 0.8, maxTokens: 24), seeds: [1, 2, 3])
        let a = try await inMemory.provider.complete(request)
        let b = try await onDisk.provider.complete(request)
        #expect(a.map(\.text) == b.map(\.text))
        #expect(a.map(\.completionTokens) == b.map(\.completionTokens))
    }

    @Test func aServedModelIsNamedByTheServerAndSeedMode() throws {
        let configuration = OpenAIClientConfiguration(baseURLs: ["http://127.0.0.1:9/v1"], model: "qwen", seedMode: .perSample)
        let backend = try ModelBackend.openAI(configuration)
        #expect(backend.modelName == "qwen" && backend.backendName == "openai:per-sample")
        #expect(backend.modelSHA256 == nil && backend.contextWindow == nil)
    }

    @Test func aMissingModelSaysHowToGetOne() throws {
        do {
            _ = try ModelBackend.embedded("no-such-model-anywhere")
            Issue.record("a missing model was accepted")
        } catch {
            #expect("\(error)".contains("no-such-model-anywhere"), "\(error)")
        }
    }
}
