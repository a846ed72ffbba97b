import ScalingCore

// `ChatMessage` is ScalingCore's: one type for messages from data sets, the server and templates.
extension ChatMessage {
    /// The message as a template object: `{"role": ..., "content": ...}`.
    public var templateValue: TemplateValue { ["role": .string(role), "content": .string(content)] }
}

/// A prompt rendered from chat messages, and whether the model's template had to be replaced.
public struct RenderedPrompt: Sendable, Equatable {
    /// The prompt text, special tokens spelled out (encode it with `parseSpecial: true`).
    public var text: String
    /// Nil when the model's own template rendered; otherwise why it could not and which fallback
    /// was used instead (for logs and for the user).
    public var usedFallback: String?
}

/// A model's chat template (`tokenizer.chat_template`), parsed once and rendered for message lists.
///
/// The interpreter covers the Jinja subset that chat templates use (SmolLM2, Llama 3/3.1/3.2,
/// Qwen2.5, Mistral, Gemma): `{{ }}`, `if/elif/else`, `for` with `loop.*` and filters, `set`
/// (including `namespace()` attributes and `{% set %}` blocks), macros, `break`/`continue`,
/// whitespace control, string/number/list/dict literals, slices, `is` tests, common filters
/// (`trim`, `length`, `tojson`, `selectattr`, `map`, `join`, ...) and string/dict methods
/// (`strip`, `startswith`, `split`, `items`, ...). It renders as HF transformers does:
/// `trim_blocks` and `lstrip_blocks` on, `raise_exception`, `strftime_now`, and `tojson` without
/// HTML escaping.
///
/// ```swift
/// let template = try ChatTemplate(tokenizer.chatTemplate!)
/// let prompt = try template.render(messages: [ChatMessage(role: "user", content: "Hi").templateValue],
///                                  addGenerationPrompt: true)
/// ```
public struct ChatTemplate: Sendable {
    public let source: String
    private let nodes: [TemplateNode]

    /// Parses `source`.
    /// - Throws: ``TokenizerError/templateSyntax(message:line:column:)`` naming the construct that
    ///   could not be parsed (an unsupported tag, a malformed expression).
    public init(_ source: String) throws(TokenizerError) {
        self.source = source
        var lexer = TemplateLexer(source)
        var parser = TemplateParser(tokens: try lexer.tokenize())
        nodes = try parser.parseTemplate()
    }

    /// Renders the template.
    ///
    /// - Parameters:
    ///   - messages: the conversation; each an object with at least `role` and `content`
    ///     (tool calls and other fields are passed through to the template).
    ///   - addGenerationPrompt: end with the header of an assistant turn, so the model answers.
    ///   - bosToken, eosToken: the spellings of the model's BOS/EOS tokens (`bos_token`, `eos_token`).
    ///   - variables: anything else the template reads (`tools`, `date_string`, ...).
    /// - Throws: ``TokenizerError`` for a failed render, including the template's own
    ///   `raise_exception` (``TokenizerError/templateRaised(message:)``).
    public func render(messages: [TemplateValue], addGenerationPrompt: Bool, bosToken: String = "",
                       eosToken: String = "", variables: [String: TemplateValue] = [:]) throws(TokenizerError) -> String {
        var all = variables
        all["messages"] = .array(messages)
        all["add_generation_prompt"] = .boolean(addGenerationPrompt)
        all["bos_token"] = .string(bosToken)
        all["eos_token"] = .string(eosToken)
        var interpreter = TemplateInterpreter(variables: all)
        return try interpreter.render(nodes)
    }

    /// ChatML (`<|im_start|>role\ncontent<|im_end|>\n`), the fallback when a model's own template
    /// is missing or cannot be rendered.
    public static let chatML: ChatTemplate = {
        // The literal parses; a failure here is a programming error.
        try! ChatTemplate("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")
    }()

    /// Renders `source` if possible, else ChatML, saying why in ``RenderedPrompt/usedFallback``.
    public static func renderWithFallback(source: String?, messages: [TemplateValue], addGenerationPrompt: Bool,
                                          bosToken: String = "", eosToken: String = "",
                                          variables: [String: TemplateValue] = [:]) -> RenderedPrompt {
        let reason: String
        if let source {
            do {
                let text = try ChatTemplate(source).render(messages: messages, addGenerationPrompt: addGenerationPrompt,
                                                           bosToken: bosToken, eosToken: eosToken, variables: variables)
                return RenderedPrompt(text: text, usedFallback: nil)
            } catch {
                reason = error.description
            }
        } else {
            reason = "the model has no tokenizer.chat_template"
        }
        let text = (try? chatML.render(messages: messages, addGenerationPrompt: addGenerationPrompt,
                                       bosToken: bosToken, eosToken: eosToken)) ?? ""
        return RenderedPrompt(text: text, usedFallback: "\(reason); used the ChatML fallback template instead")
    }
}

extension Tokenizer {
    /// Renders `messages` with this model's own chat template (`tokenizer.chat_template`), with its
    /// BOS/EOS spellings; falls back to ChatML, and says so, when the template is missing or fails.
    ///
    /// The result is meant for `encode(text, addSpecial: true)`: when the model adds BOS (or EOS)
    /// itself, a BOS the template wrote at the start (or an EOS at the end) is removed, so the
    /// tokens hold it once, as llama.cpp does for templates that print `bos_token`.
    /// - Parameter template: a template to use instead of the model's own.
    public func renderChat(_ messages: [ChatMessage], addGenerationPrompt: Bool = true, template: String? = nil,
                           variables: [String: TemplateValue] = [:]) -> RenderedPrompt {
        let bosText = bosID.flatMap(tokenText) ?? ""
        let eosText = eosID.flatMap(tokenText) ?? ""
        var prompt = ChatTemplate.renderWithFallback(source: template ?? chatTemplate, messages: messages.map(\.templateValue),
                                                     addGenerationPrompt: addGenerationPrompt,
                                                     bosToken: bosText, eosToken: eosText, variables: variables)
        if addsBOS && !bosText.isEmpty && prompt.text.hasPrefix(bosText) {
            prompt.text.removeFirst(bosText.count)
        }
        if addsEOS && !eosText.isEmpty && prompt.text.hasSuffix(eosText) {
            prompt.text.removeLast(eosText.count)
        }
        return prompt
    }
}
