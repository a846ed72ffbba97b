import Foundation
import ScalingCore
import Tokenizers

/// One supervised example before tokenisation: a prompt (chat messages the model's
/// template renders, or raw text) and the completion the model should learn to produce.
public struct SFTExample: Sendable, Equatable {
    public var prompt: ProblemPrompt
    public var completion: String

    public init(prompt: ProblemPrompt, completion: String) {
        self.prompt = prompt
        self.completion = completion
    }

    /// Tokens as the engine sees them when sampling: the prompt rendered and encoded as the
    /// embedded provider does, then the completion encoded on its own (special-token text in
    /// it stays text) followed by the end-of-turn token, so the model learns to stop.
    public func tokenized(with tokenizer: Tokenizer) -> TrainingSequence {
        let promptTokens: [Int]
        switch prompt {
        case .text(let text): promptTokens = tokenizer.encode(text)
        case .messages(let messages): promptTokens = tokenizer.encode(tokenizer.renderChat(messages).text)
        }
        var completionTokens = tokenizer.encode(completion, addSpecial: false, parseSpecial: false)
        if let end = tokenizer.eosID { completionTokens.append(end) }
        // A prompt that encodes to nothing still needs one row to predict the first completion token from.
        let prefix = promptTokens.isEmpty ? [tokenizer.bosID ?? completionTokens[0]] : promptTokens
        return TrainingSequence(tokens: prefix + completionTokens, completionStart: prefix.count)
    }
}

/// Reads TRL's SFT data formats from JSONL: `{"messages": [...]}` (the last message, an
/// assistant's, is the completion), `{"prompt": "...", "completion": "..."}` (standard) and
/// `{"prompt": [messages], "completion": [assistant message]}` (conversational).
public enum SFTDataFile {
    public static func read(path: String) throws(TrainingError) -> [SFTExample] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .io(path: path, reason: "cannot read the data file (missing or unreadable)")
        }
        var examples: [SFTExample] = []
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
            let object: [String: Any]
            do {
                guard let parsed = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                    throw TrainingError.invalidData(path: path, line: lineNumber, reason: "the line is not a JSON object")
                }
                object = parsed
            } catch let error as TrainingError {
                throw error
            } catch {
                throw .invalidData(path: path, line: lineNumber, reason: "the line is not valid JSON")
            }
            examples.append(try example(object, path: path, line: lineNumber))
        }
        guard !examples.isEmpty else { throw .invalidData(path: path, line: lineNumber, reason: "the file holds no examples") }
        return examples
    }

    static func example(_ object: [String: Any], path: String, line: Int) throws(TrainingError) -> SFTExample {
        func messages(_ value: Any?, field: String) throws(TrainingError) -> [ChatMessage] {
            guard let list = value as? [[String: Any]], !list.isEmpty else {
                throw .invalidData(path: path, line: line, reason: "\"\(field)\" must be a non-empty list of {\"role\", \"content\"} objects")
            }
            var result: [ChatMessage] = []
            for (i, m) in list.enumerated() {
                guard let role = m["role"] as? String, let content = m["content"] as? String else {
                    throw .invalidData(path: path, line: line, reason: "\"\(field)\"[\(i)] needs string \"role\" and \"content\"")
                }
                result.append(ChatMessage(role: role, content: content))
            }
            return result
        }
        if let value = object["messages"] {
            var list = try messages(value, field: "messages")
            guard let last = list.last, last.role == "assistant", list.count >= 2 else {
                throw .invalidData(path: path, line: line, reason: "\"messages\" must end with an assistant message after at least one other message")
            }
            list.removeLast()
            return SFTExample(prompt: .messages(list), completion: last.content)
        }
        guard let prompt = object["prompt"], let completion = object["completion"] else {
            throw .invalidData(path: path, line: line, reason: "expected \"messages\", or \"prompt\" and \"completion\" (TRL's SFT formats)")
        }
        switch (prompt, completion) {
        case (let p as String, let c as String):
            return SFTExample(prompt: .text(p), completion: c)
        default:
            let promptMessages = try messages(prompt, field: "prompt")
            let completionMessages = try messages(completion, field: "completion")
            guard completionMessages.count == 1, completionMessages[0].role == "assistant" else {
                throw .invalidData(path: path, line: line, reason: "\"completion\" must hold one assistant message")
            }
            return SFTExample(prompt: .messages(promptMessages), completion: completionMessages[0].content)
        }
    }
}
