import Foundation
import OpenAIAPI
import Testing

/// The wire types read what OpenAI's API reference shows its server sending, and write
/// what its clients expect. The JSON below is copied from the API reference's examples.
struct WireTypesTests {
    let decoder = OpenAIJSON.makeDecoder()

    @Test func decodesTheReferenceChatCompletionWithFieldsItDoesNotKnow() throws {
        let json = """
            {"id": "chatcmpl-123", "object": "chat.completion", "created": 1677652288, "model": "gpt-4o-mini",
             "system_fingerprint": "fp_44709d6fcb",
             "choices": [{"index": 0, "message": {"role": "assistant", "content": "\\n\\nHello there, how may I assist you today?",
                          "refusal": null, "annotations": []}, "logprobs": null, "finish_reason": "stop"}],
             "service_tier": "default",
             "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21,
                       "completion_tokens_details": {"reasoning_tokens": 0, "accepted_prediction_tokens": 0}}}
            """
        let response = try decoder.decode(ChatCompletionResponse.self, from: Data(json.utf8))
        #expect(response.choices.first?.message.content == "\n\nHello there, how may I assist you today?")
        #expect(response.choices.first?.finishReason == "stop")
        #expect(response.usage == Usage(promptTokens: 9, completionTokens: 12, totalTokens: 21))
        #expect(response.systemFingerprint == "fp_44709d6fcb")
    }

    @Test func decodesReferenceChunksAndChatLogprobs() throws {
        let first = """
            {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini",
             "system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}
            """
        let chunk = try decoder.decode(ChatCompletionChunk.self, from: Data(first.utf8))
        #expect(chunk.choices.first?.delta == ChatCompletionDelta(role: "assistant", content: ""))
        #expect(chunk.choices.first?.finishReason == nil)
        let logprobs = """
            {"content": [{"token": "Hello", "logprob": -0.31725305, "bytes": [72, 101, 108, 108, 111],
              "top_logprobs": [{"token": "Hello", "logprob": -0.31725305, "bytes": [72, 101, 108, 108, 111]},
                               {"token": "Hi", "logprob": -1.3190403, "bytes": [72, 105]}]}]}
            """
        let decoded = try decoder.decode(ChatLogprobs.self, from: Data(logprobs.utf8))
        #expect(decoded.content?.first?.topLogprobs.map(\.token) == ["Hello", "Hi"])
        #expect(decoded.content?.first?.bytes == [72, 101, 108, 108, 111])
    }

    @Test func decodesReferenceLegacyCompletionWithLogprobs() throws {
        let json = """
            {"id": "cmpl-uqkvlQyYK7bGYrRHQ0eXlWi7", "object": "text_completion", "created": 1589478378, "model": "gpt-3.5-turbo-instruct",
             "choices": [{"text": "\\n\\nThis is indeed a test", "index": 0,
                          "logprobs": {"tokens": ["\\n\\n", "This"], "token_logprobs": [-0.1, null],
                                       "top_logprobs": [{"\\n\\n": -0.1, "\\n": -2.5}, null], "text_offset": [16, 18]},
                          "finish_reason": "length"}],
             "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}}
            """
        let response = try decoder.decode(TextCompletionResponse.self, from: Data(json.utf8))
        let logprobs = try #require(response.choices.first?.logprobs)
        #expect(logprobs.tokens == ["\n\n", "This"])
        #expect(logprobs.tokenLogprobs == [-0.1, nil])
        #expect(logprobs.topLogprobs.first??["\n"] == -2.5)
        #expect(logprobs.textOffset == [16, 18])
    }

    @Test func requestsTakeStopAsStringOrArrayAndContentAsParts() throws {
        let json = """
            {"model": "m", "stop": "END", "max_completion_tokens": 9, "store": true, "metadata": {"a": "b"},
             "messages": [{"role": "user", "content": [{"type": "text", "text": "Hello, "}, {"type": "text", "text": "world"}]},
                          {"role": "assistant", "content": null}],
             "stream_options": {"include_usage": true}, "quorum": {"strategy": "self-consistency:4"}}
            """
        let request = try decoder.decode(ChatCompletionRequest.self, from: Data(json.utf8))
        #expect(request.stop?.values == ["END"])
        #expect(request.messages.map(\.content) == ["Hello, world", nil])
        #expect(request.effectiveMaxTokens == 9)
        #expect(request.streamOptions?.includeUsage == true)
        #expect(request.quorum?.strategy == "self-consistency:4")
        let array = try decoder.decode(StopSequences.self, from: Data(#"["a", "b"]"#.utf8))
        #expect(array.values == ["a", "b"])
        #expect(throws: DecodingError.self) { try decoder.decode(StopSequences.self, from: Data("3".utf8)) }
        #expect(throws: DecodingError.self) {
            try decoder.decode(ChatCompletionRequest.self, from: Data(#"{"model": "m", "messages": [], "n": "two"}"#.utf8))
        }
    }

    @Test func errorBodiesWriteNullParamAndCodeAsOpenAIDoes() throws {
        let data = try OpenAIJSON.makeEncoder().encode(ErrorResponse(message: "bad", param: nil, code: nil))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
        let error = try #require(object["error"])
        #expect(Set(error.keys) == ["message", "type", "param", "code"])
        #expect(error["param"] is NSNull && error["code"] is NSNull)
        let reference = #"{"error": {"message": "Incorrect API key provided: sk-abc.", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}"#
        let decoded = try decoder.decode(ErrorResponse.self, from: Data(reference.utf8))
        #expect(decoded.error.code == "invalid_api_key" && decoded.error.param == nil)
    }

    @Test func modelNamesSplitAtTheStrategyDelimiter() {
        let reference = ModelReference(parsing: "best-of-n:8,score=logprob@smollm2-135m-instruct")
        #expect(reference.strategy == "best-of-n:8,score=logprob")
        #expect(reference.model == "smollm2-135m-instruct")
        #expect(ModelReference(parsing: "smollm2-135m-instruct").strategy == nil)
    }
}
