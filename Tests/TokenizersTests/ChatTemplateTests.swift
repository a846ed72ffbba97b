import Foundation
import ScalingCore
import Testing
import TestSupport
import Tokenizers

/// Tests/Fixtures/tokenizer/chat_template_goldens.json, rendered by the real Jinja2 as HF
/// transformers configures it (scripts/make_chat_template_goldens.py).
struct ChatTemplateGoldens {
    let root: TemplateValue

    static func load() throws -> ChatTemplateGoldens {
        let url = TestPaths.fixtures.appendingPathComponent("tokenizer/chat_template_goldens.json")
        // Our own order-preserving JSON reader: tool definitions must keep their key order for tojson.
        return ChatTemplateGoldens(root: try TemplateValue(json: String(decoding: Data(contentsOf: url), as: UTF8.self)))
    }

    static func templateSource(_ name: String) throws -> String {
        let url = TestPaths.fixtures.appendingPathComponent("tokenizer/chat_templates/\(name).jinja")
        return String(decoding: try Data(contentsOf: url), as: UTF8.self)
    }

    var cases: [TemplateValue] { if case .array(let a) = root["cases"] { a } else { [] } }
    var snippets: [TemplateValue] { if case .array(let a) = root["snippets"] { a } else { [] } }
}

@Suite struct ChatTemplateTests {
    @Test func rendersEveryModelTemplateLikeJinja() throws {
        let goldens = try ChatTemplateGoldens.load()
        #expect(goldens.cases.count >= 100)
        var templates: [String: ChatTemplate] = [:]
        var rendered = 0, raised = 0
        for c in goldens.cases {
            let name = c["template"].text
            if templates[name] == nil { templates[name] = try ChatTemplate(ChatTemplateGoldens.templateSource(name)) }
            guard case .array(let messages) = c["messages"] else { Issue.record("case without messages"); continue }
            var variables: [String: TemplateValue] = [:]
            if case .object(let o) = c["variables"] { for (k, v) in o.entries { variables[k] = v } }
            let label = "\(name) / \(c["conversation"].text) / add_generation_prompt=\(c["add_generation_prompt"].isTruthy)"
            do {
                let text = try templates[name]!.render(messages: messages, addGenerationPrompt: c["add_generation_prompt"].isTruthy,
                                                       bosToken: c["bos_token"].text, eosToken: c["eos_token"].text,
                                                       variables: variables)
                #expect(c["error"] == .undefined, "\(label): Jinja raised '\(c["error"].text)', we rendered")
                #expect(text == c["text"].text, "\(label)")
                rendered += 1
            } catch {
                #expect(error == .templateRaised(message: c["error"].text), "\(label): \(error)")
                raised += 1
            }
        }
        #expect(raised == 16)
    }

    @Test func jinjaSemanticsMatchJinja() throws {
        let goldens = try ChatTemplateGoldens.load()
        var context: [String: TemplateValue] = [:]
        if case .object(let o) = goldens.root["snippet_context"] { for (k, v) in o.entries { context[k] = v } }
        #expect(goldens.snippets.count >= 10)
        for snippet in goldens.snippets {
            let template = try ChatTemplate(snippet["template"].text)
            var variables = context
            let messages: [TemplateValue] = []
            variables.removeValue(forKey: "messages")
            let text = try template.render(messages: messages, addGenerationPrompt: false, variables: variables)
            #expect(text == snippet["text"].text, "snippet '\(snippet["name"].text)'")
        }
    }

    @Test func defaultModelRendersItsOwnTemplate() throws {
        let tokenizer = try Tokenizer(path: TestPaths.defaultModel().path)
        let goldens = try ChatTemplateGoldens.load()
        let golden = goldens.cases.first { $0["template"].text == "smollm2" && $0["conversation"].text == "multi_turn" && $0["add_generation_prompt"].isTruthy }!
        let prompt = tokenizer.renderChat([ChatMessage(role: "user", content: "Hi"),
                                           ChatMessage(role: "assistant", content: "Hello! How can I help?"),
                                           ChatMessage(role: "user", content: "Tell me a joke.")])
        #expect(prompt.usedFallback == nil)
        #expect(prompt.text == golden["text"].text)
        // The rendered prompt tokenizes with its special tokens recognised.
        #expect(tokenizer.encode(prompt.text).first == 1)
    }

    @Test func bosWrittenByTheTemplateIsNotDoubled() throws {
        // The Llama 3 test vocabulary adds <|begin_of_text|> itself; Llama 3's template prints it too.
        let tokenizer = try GoldenFile.load("llama3_goldens.json").tokenizer()
        #expect(tokenizer.addsBOS)
        let source = try ChatTemplateGoldens.templateSource("llama3")
        let prompt = tokenizer.renderChat([ChatMessage(role: "user", content: "Hi")], template: source)
        #expect(prompt.usedFallback == nil)
        #expect(prompt.text == "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")
        let ids = tokenizer.encode(prompt.text)
        #expect(ids.first == tokenizer.bosID && ids.dropFirst().first != tokenizer.bosID)
    }

    @Test func unsupportedConstructFallsBackToChatMLAndSaysWhy() throws {
        let source = "{% call foo() %}x{% endcall %}"
        #expect(throws: TokenizerError.templateSyntax(message: "unsupported tag '{% call %}'", line: 1, column: 4)) {
            try ChatTemplate(source)
        }
        let messages: [TemplateValue] = [["role": "user", "content": "Hi"]]
        let prompt = ChatTemplate.renderWithFallback(source: source, messages: messages, addGenerationPrompt: true)
        #expect(prompt.text == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
        #expect(prompt.usedFallback?.contains("unsupported tag '{% call %}'") == true)
        #expect(prompt.usedFallback?.contains("ChatML") == true)
        let missing = ChatTemplate.renderWithFallback(source: nil, messages: messages, addGenerationPrompt: false)
        #expect(missing.text == "<|im_start|>user\nHi<|im_end|>\n")
        #expect(missing.usedFallback?.contains("no tokenizer.chat_template") == true)
    }

    @Test func errorsNameTheConstructAndLine() throws {
        #expect(throws: TokenizerError.templateSyntax(message: "'{% if %}' without '{% endif %}'", line: 2, column: 4)) {
            try ChatTemplate("ok\n{% if x %}never closed")
        }
        let filter = try ChatTemplate("line one\n{{ messages | frobnicate }}")
        #expect(throws: TokenizerError.templateRender(message: "unsupported filter 'frobnicate'", line: 2)) {
            try filter.render(messages: [], addGenerationPrompt: false)
        }
        let undefined = try ChatTemplate("{{ nothing.role }}")
        #expect(throws: TokenizerError.templateRender(message: "cannot read attribute 'role' of an undefined value", line: 1)) {
            try undefined.render(messages: [], addGenerationPrompt: false)
        }
    }

    @Test func jsonReaderKeepsKeyOrderAndRejectsBadInput() throws {
        let value = try TemplateValue(json: #"{"z": 1, "a": [true, null, 2.5, "\u00e9\ud83c\udf55"], "m": {}}"#)
        if case .object(let o) = value { #expect(o.keys == ["z", "a", "m"]) } else { Issue.record("not an object") }
        #expect(value["a"] == [true, nil, 2.5, "é🍕"])
        #expect(throws: TokenizerError.invalidJSON(offset: 6, reason: "unexpected character")) { try TemplateValue(json: "{\"a\": }") }
        #expect(throws: TokenizerError.self) { try TemplateValue(json: "[1, 2") }
    }

    @Test func hostileTemplatesFailCleanly() throws {
        let render: (String) throws -> String = { try ChatTemplate($0).render(messages: [], addGenerationPrompt: false) }
        #expect(throws: TokenizerError.self) { try render("{{ 'x' * 10 ** 12 }}") }
        #expect(throws: TokenizerError.self) { try render("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}") }
        #expect(throws: TokenizerError.self) { try render("{{ " + String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000) + " }}") }
        #expect(throws: TokenizerError.self) { try render(String(repeating: "{% if true %}", count: 5000)) }
        #expect(throws: TokenizerError.self) { try render("{{ range(10 ** 12) | length }}") }
        #expect(throws: TokenizerError.self) { try TemplateValue(json: String(repeating: "[", count: 100_000)) }
        // Arithmetic edge cases wrap or saturate instead of trapping.
        #expect(try render("{{ 2 ** (10 ** 18) }}|{{ -9223372036854775807 - 1 }}") == "0|-9223372036854775808")
        #expect(try render("{{ (-9223372036854775807 - 1) // -1 }}|{{ 7 % -1 }}|{{ 'nan' | float | int }}") == "-9223372036854775808|0|0")
    }
}
