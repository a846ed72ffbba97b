import Foundation

/// The OpenAPI 3.1 document served at `/openapi.json`: the routes, their request and
/// response bodies, and this server's limits (the largest `n` and `max_tokens`, the model
/// names), so a fuzzer such as schemathesis generates requests the server can take.
///
/// Written by hand beside the Codable wire types of `OpenAIAPI`; `OpenAPIDocumentTests`
/// encodes each of them and checks every emitted key against the schema here, and every
/// property declared here against what the types emit. Change both together.
public enum OpenAPIDocument {
    /// The document as JSON text.
    /// - Parameters:
    ///   - modelNames: the served names (the `model` enum).
    ///   - maxN: the largest `n` a request may ask for.
    ///   - maxTokens: the largest `max_tokens`.
    ///   - authenticated: whether the API routes require a bearer key.
    public static func json(modelNames: [String], maxN: Int, maxTokens: Int, authenticated: Bool) -> String {
        let models = modelNames.map { "\"\(escape($0))\"" }.joined(separator: ", ")
        let security = authenticated ? #", "security": [{"bearer": []}]"# : ""
        let errors = """
            "400": {"$ref": "#/components/responses/Error"},
            "401": {"$ref": "#/components/responses/Error"},
            "404": {"$ref": "#/components/responses/Error"},
            "413": {"$ref": "#/components/responses/Error"},
            "429": {"$ref": "#/components/responses/Error"},
            "500": {"$ref": "#/components/responses/Error"},
            "504": {"$ref": "#/components/responses/Error"}
            """
        return """
        {
          "openapi": "3.1.0",
          "info": {
            "title": "Quorum OpenAI-compatible API",
            "version": "1.0.0",
            "description": "The subset of the OpenAI API that quorum serve implements, with Quorum's strategy extension: a model named STRATEGY[:PARAMS]@MODEL, or the request field quorum.strategy, answers with an inference-time strategy and returns its evidence in the response field quorum."
          },
          "paths": {
            "/health": {
              "get": {
                "operationId": "health",
                "responses": {"200": {"description": "The server is up.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}}
              }
            },
            "/v1/models": {
              "get": {
                "operationId": "listModels"\(security),
                "responses": {
                  "200": {"description": "The served models.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ModelList"}}}},
                  "401": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/v1/chat/completions": {
              "post": {
                "operationId": "createChatCompletion"\(security),
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ChatCompletionRequest"}}}},
                "responses": {
                  "200": {
                    "description": "A chat completion, or with stream: true a stream of chat.completion.chunk events ending with data: [DONE].",
                    "content": {
                      "application/json": {"schema": {"$ref": "#/components/schemas/ChatCompletion"}},
                      "text/event-stream": {"schema": {"$ref": "#/components/schemas/ServerSentEvent"}}
                    }
                  },
                  \(errors)
                }
              }
            },
            "/v1/completions": {
              "post": {
                "operationId": "createCompletion"\(security),
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CompletionRequest"}}}},
                "responses": {
                  "200": {
                    "description": "A text completion, or with stream: true a stream of text_completion events ending with data: [DONE].",
                    "content": {
                      "application/json": {"schema": {"$ref": "#/components/schemas/Completion"}},
                      "text/event-stream": {"schema": {"$ref": "#/components/schemas/ServerSentEvent"}}
                    }
                  },
                  \(errors)
                }
              }
            },
            "/openapi.json": {
              "get": {
                "operationId": "openapi",
                "responses": {"200": {"description": "This document.", "content": {"application/json": {"schema": {"type": "object"}}}}}
              }
            }
          },
          "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {
              "Error": {"description": "What was wrong with the request, or what failed.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            },
            "schemas": {
              "ServerSentEvent": {
                "description": "One event of a stream: data is a chunk as JSON (ChatCompletionChunk, or Completion for /v1/completions), or [DONE] at the end.",
                "type": "object",
                "required": ["data"],
                "properties": {"data": {"type": "string"}, "event": {"type": "string"}}
              },
              "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {
                  "error": {
                    "type": "object",
                    "required": ["message", "type", "param", "code"],
                    "properties": {
                      "message": {"type": "string"},
                      "type": {"type": "string"},
                      "param": {"type": ["string", "null"]},
                      "code": {"type": ["string", "null"]}
                    }
                  }
                }
              },
              "Health": {
                "type": "object",
                "required": ["status", "model", "running", "waiting"],
                "properties": {"status": {"const": "ok"}, "model": {"type": "string"}, "running": {"type": "integer"}, "waiting": {"type": "integer"},
                  "engine": {"type": "object", "required": ["running", "queued", "cancelled"],
                             "properties": {"running": {"type": "integer"}, "queued": {"type": "integer"}, "cancelled": {"type": "integer"}}}}
              },
              "ModelList": {
                "type": "object",
                "required": ["object", "data"],
                "properties": {
                  "object": {"const": "list"},
                  "data": {"type": "array", "items": {
                    "type": "object", "required": ["id", "object", "created", "owned_by"],
                    "properties": {"id": {"type": "string"}, "object": {"const": "model"}, "created": {"type": "integer"}, "owned_by": {"type": "string"}}
                  }}
                }
              },
              "Model": {"description": "A served model, or STRATEGY[:PARAMS]@MODEL.", "type": "string", "enum": [\(models)]},
              "Stop": {
                "oneOf": [
                  {"type": "string", "minLength": 1},
                  {"type": "array", "items": {"type": "string", "minLength": 1}, "maxItems": 4},
                  {"type": "null"}
                ]
              },
              "Sampling": {
                "type": "object",
                "properties": {
                  "temperature": {"type": ["number", "null"], "minimum": 0, "maximum": 2},
                  "top_p": {"type": ["number", "null"], "exclusiveMinimum": 0, "maximum": 1},
                  "n": {"type": ["integer", "null"], "minimum": 1, "maximum": \(maxN)},
                  "stream": {"type": ["boolean", "null"]},
                  "stream_options": {"type": ["object", "null"], "properties": {"include_usage": {"type": ["boolean", "null"]}}},
                  "stop": {"$ref": "#/components/schemas/Stop"},
                  "seed": {"type": ["integer", "null"], "minimum": -9223372036854775808, "maximum": 9223372036854775807},
                  "presence_penalty": {"type": ["number", "null"], "minimum": -2, "maximum": 2},
                  "frequency_penalty": {"type": ["number", "null"], "minimum": -2, "maximum": 2},
                  "user": {"type": ["string", "null"]},
                  "top_k": {"type": ["integer", "null"], "minimum": -1, "description": "vLLM's extension: sample from the k most likely tokens; -1 or 0: off."},
                  "min_p": {"type": ["number", "null"], "minimum": 0, "maximum": 1, "description": "vLLM's extension: drop tokens below this fraction of the most likely one's probability."},
                  "quorum": {
                    "type": ["object", "null"],
                    "description": "Quorum's extension: answer with a strategy, NAME[:PARAMS], e.g. self-consistency:8.",
                    "properties": {"strategy": {"type": ["string", "null"]}, "progress": {"type": ["boolean", "null"]}}
                  }
                }
              },
              "ChatMessage": {
                "type": "object",
                "required": ["role", "content"],
                "properties": {
                  "role": {"enum": ["system", "developer", "user", "assistant"]},
                  "content": {
                    "oneOf": [
                      {"type": "string"},
                      {"type": "array", "items": {"type": "object", "required": ["type", "text"], "properties": {"type": {"const": "text"}, "text": {"type": "string"}}}}
                    ]
                  },
                  "name": {"type": "string"}
                }
              },
              "ChatCompletionRequest": {
                "allOf": [{"$ref": "#/components/schemas/Sampling"}],
                "type": "object",
                "required": ["model", "messages"],
                "properties": {
                  "model": {"$ref": "#/components/schemas/Model"},
                  "messages": {"type": "array", "minItems": 1, "items": {"$ref": "#/components/schemas/ChatMessage"}},
                  "max_tokens": {"type": ["integer", "null"], "minimum": 1, "maximum": \(maxTokens)},
                  "max_completion_tokens": {"type": ["integer", "null"], "minimum": 1, "maximum": \(maxTokens)},
                  "logprobs": {"type": ["boolean", "null"]},
                  "top_logprobs": {"type": ["integer", "null"], "minimum": 0, "maximum": 20, "description": "Needs logprobs: true."}
                }
              },
              "CompletionRequest": {
                "allOf": [{"$ref": "#/components/schemas/Sampling"}],
                "type": "object",
                "required": ["model", "prompt"],
                "properties": {
                  "model": {"$ref": "#/components/schemas/Model"},
                  "prompt": {"oneOf": [{"type": "string", "minLength": 1}, {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1, "maxItems": 1}]},
                  "max_tokens": {"type": ["integer", "null"], "minimum": 1, "maximum": \(maxTokens)},
                  "logprobs": {"type": ["integer", "null"], "minimum": 0, "maximum": 5},
                  "echo": {"type": ["boolean", "null"]}
                }
              },
              "Usage": {
                "type": "object",
                "required": ["prompt_tokens", "completion_tokens", "total_tokens"],
                "properties": {"prompt_tokens": {"type": "integer"}, "completion_tokens": {"type": "integer"}, "total_tokens": {"type": "integer"}}
              },
              "ChatCompletion": {
                "type": "object",
                "required": ["id", "object", "created", "model", "choices"],
                "properties": {
                  "id": {"type": "string"},
                  "object": {"const": "chat.completion"},
                  "created": {"type": "integer"},
                  "model": {"type": "string"},
                  "choices": {"type": "array", "items": {
                    "type": "object",
                    "required": ["index", "message", "finish_reason", "logprobs"],
                    "properties": {
                      "index": {"type": "integer"},
                      "message": {"type": "object", "required": ["role", "content"], "properties": {"role": {"const": "assistant"}, "content": {"type": ["string", "null"]}}},
                      "finish_reason": {"enum": ["stop", "length", "error"]},
                      "logprobs": {"oneOf": [{"$ref": "#/components/schemas/ChatLogprobs"}, {"type": "null"}]}
                    }
                  }},
                  "usage": {"$ref": "#/components/schemas/Usage"},
                  "system_fingerprint": {"type": "string"},
                  "quorum": {"$ref": "#/components/schemas/QuorumResponse"}
                }
              },
              "ChatCompletionChunk": {
                "description": "One event of a streamed chat completion; the last may carry usage, and Quorum's progress events have no choices.",
                "type": "object",
                "required": ["id", "object", "created", "model", "choices"],
                "properties": {
                  "id": {"type": "string"},
                  "object": {"const": "chat.completion.chunk"},
                  "created": {"type": "integer"},
                  "model": {"type": "string"},
                  "choices": {"type": "array", "items": {
                    "type": "object",
                    "required": ["index", "delta", "finish_reason"],
                    "properties": {
                      "index": {"type": "integer"},
                      "delta": {"type": "object", "properties": {"role": {"const": "assistant"}, "content": {"type": "string"}}},
                      "logprobs": {"oneOf": [{"$ref": "#/components/schemas/ChatLogprobs"}, {"type": "null"}]},
                      "finish_reason": {"enum": ["stop", "length", "error", null]}
                    }
                  }},
                  "usage": {"$ref": "#/components/schemas/Usage"},
                  "quorum": {"$ref": "#/components/schemas/QuorumResponse"}
                }
              },
              "TokenLogprob": {
                "type": "object",
                "required": ["token", "logprob"],
                "properties": {"token": {"type": "string"}, "logprob": {"type": "number"}, "bytes": {"type": "array", "items": {"type": "integer"}}}
              },
              "ChatLogprobs": {
                "type": "object",
                "required": ["content"],
                "properties": {
                  "content": {"type": ["array", "null"], "items": {
                    "allOf": [{"$ref": "#/components/schemas/TokenLogprob"}],
                    "type": "object",
                    "required": ["top_logprobs"],
                    "properties": {"top_logprobs": {"type": "array", "items": {"$ref": "#/components/schemas/TokenLogprob"}}}
                  }}
                }
              },
              "TextLogprobs": {
                "type": "object",
                "required": ["tokens", "token_logprobs", "top_logprobs", "text_offset"],
                "properties": {
                  "tokens": {"type": "array", "items": {"type": "string"}},
                  "token_logprobs": {"type": "array", "items": {"type": ["number", "null"]}},
                  "top_logprobs": {"type": "array", "items": {"type": ["object", "null"], "additionalProperties": {"type": "number"}}},
                  "text_offset": {"type": "array", "items": {"type": "integer"}}
                }
              },
              "QuorumResponse": {
                "description": "Quorum's extension: the strategy that answered, its progress while streaming, and at the end its extracted answer, evidence and spend.",
                "type": "object",
                "required": ["strategy"],
                "properties": {
                  "strategy": {"type": "string"},
                  "progress": {
                    "type": "object",
                    "required": ["completed_samples", "requested_samples", "vote"],
                    "properties": {
                      "completed_samples": {"type": "integer"},
                      "requested_samples": {"type": "integer"},
                      "vote": {"type": "array", "items": {"type": "object", "required": ["answer", "count"],
                                                          "properties": {"answer": {"type": "string"}, "count": {"type": "integer"}}}}
                    }
                  },
                  "answer": {"type": "string"},
                  "evidence": {"type": "object", "additionalProperties": true, "description": "Why the strategy answered as it did; its shape depends on the strategy."},
                  "spend": {"type": "object", "additionalProperties": true, "description": "Calls, tokens and seconds the strategy spent."}
                }
              },
              "Completion": {
                "type": "object",
                "description": "A text completion, and each event of a streamed one.",
                "required": ["id", "object", "created", "model", "choices"],
                "properties": {
                  "id": {"type": "string"},
                  "object": {"const": "text_completion"},
                  "created": {"type": "integer"},
                  "model": {"type": "string"},
                  "choices": {"type": "array", "items": {
                    "type": "object",
                    "required": ["index", "text", "finish_reason", "logprobs"],
                    "properties": {
                      "index": {"type": "integer"},
                      "text": {"type": "string"},
                      "finish_reason": {"enum": ["stop", "length", "error", null], "description": "null in a streamed event until the choice ends."},
                      "logprobs": {"oneOf": [{"$ref": "#/components/schemas/TextLogprobs"}, {"type": "null"}]}
                    }
                  }},
                  "usage": {"$ref": "#/components/schemas/Usage"},
                  "system_fingerprint": {"type": "string"},
                  "quorum": {"$ref": "#/components/schemas/QuorumResponse"}
                }
              }
            }
          }
        }
        """
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
