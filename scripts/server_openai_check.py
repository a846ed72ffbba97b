#!/usr/bin/env python3
"""Talks to a running `quorum serve` with the official `openai` Python package.

Pinned: openai==3.54.0 (scripts/server_python_setup installs it). Run by
Tests/ServerTests; usable by hand:

    python3 scripts/server_openai_check.py --base-url http://127.0.0.1:8080/v1 --model smollm2-135m-instruct

Each check asserts what a user of the OpenAI API relies on; the script prints one
JSON line per check ({"check", "ok", "detail"}) and exits 1 if any failed.
"""
import argparse
import json
import math
import socket
import urllib.parse
import sys
import threading
import time
import traceback

try:  # openai 3.x depends on httpx2 (httpx's successor, same API)
    import httpx2 as httpx
except ImportError:
    import httpx
import openai

parser = argparse.ArgumentParser()
parser.add_argument("--base-url", required=True)
parser.add_argument("--model", required=True)
parser.add_argument("--api-key", default="unused")
parser.add_argument("--context", type=int, required=True, help="the model's context length, tokens")
parser.add_argument("--only", default="", help="comma-separated check names (default: all but 'overload', 'timeout', 'disconnect', 'disconnect_whole', 'strategy_limits', 'idle_connections', 'adaptive_strategy')")
args = parser.parse_args()

client = openai.OpenAI(base_url=args.base_url, api_key=args.api_key, max_retries=0, timeout=120)
MODEL = args.model
results = []
checks = []


def check(function):
    checks.append(function)
    return function


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def error_body(response):
    body = response.json()
    expect(set(body) == {"error"}, f"error body has keys {sorted(body)}")
    detail = body["error"]
    expect({"message", "type", "param", "code"} <= set(detail), f"error object has keys {sorted(detail)}")
    expect(isinstance(detail["message"], str) and detail["message"], "error message is empty")
    return detail


def expect_api_error(kind, status, call, param=None, code=None):
    try:
        call()
    except kind as error:
        expect(error.status_code == status, f"status {error.status_code}, expected {status}")
        detail = error_body(error.response)
        if param is not None:
            expect(detail["param"] == param, f"param {detail['param']!r}, expected {param!r}: {detail['message']}")
        if code is not None:
            expect(detail["code"] == code, f"code {detail['code']!r}, expected {code!r}: {detail['message']}")
        return detail["message"]
    raise AssertionError(f"no {kind.__name__} raised")


USER = [{"role": "user", "content": "Name a colour of the sky."}]


@check
def models():
    listed = [m.id for m in client.models.list()]
    expect(MODEL in listed, f"{MODEL} not in {listed}")
    return listed


@check
def chat():
    r = client.chat.completions.create(model=MODEL, messages=USER, max_tokens=12, temperature=0, seed=1)
    expect(r.object == "chat.completion", r.object)
    expect(len(r.choices) == 1, f"{len(r.choices)} choices")
    choice = r.choices[0]
    expect(choice.message.role == "assistant", choice.message.role)
    expect(choice.message.content, "empty content")
    expect(choice.finish_reason in ("stop", "length"), choice.finish_reason)
    expect(r.usage.prompt_tokens > 0 and 0 < r.usage.completion_tokens <= 12, r.usage)
    expect(r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens, r.usage)
    if choice.finish_reason == "length":
        expect(r.usage.completion_tokens == 12, "length finish without reaching max_tokens")
    return choice.message.content


@check
def seeded_sampling_repeats():
    kwargs = dict(model=MODEL, messages=USER, max_tokens=12, temperature=0.9, seed=42)
    a = client.chat.completions.create(**kwargs).choices[0].message.content
    b = client.chat.completions.create(**kwargs).choices[0].message.content
    expect(a == b, f"same seed gave {a!r} and {b!r}")
    return a


@check
def n_choices_are_seeded_samples():
    # n > 1 is one batch with seeds seed, seed+1, ...: each choice equals the single request with its seed.
    r = client.chat.completions.create(model=MODEL, messages=USER, max_tokens=10, temperature=1.0, seed=100, n=3)
    expect([c.index for c in r.choices] == [0, 1, 2], [c.index for c in r.choices])
    singles = [client.chat.completions.create(model=MODEL, messages=USER, max_tokens=10, temperature=1.0, seed=100 + i)
               for i in range(3)]
    for choice, single in zip(r.choices, singles):
        expect(choice.message.content == single.choices[0].message.content,
               f"choice {choice.index}: {choice.message.content!r} vs single {single.choices[0].message.content!r}")
    expect(r.usage.prompt_tokens == singles[0].usage.prompt_tokens, "prompt counted more than once")
    expect(r.usage.completion_tokens == sum(s.usage.completion_tokens for s in singles), (r.usage, [s.usage for s in singles]))
    return [c.message.content for c in r.choices]


@check
def streaming_chat():
    kwargs = dict(model=MODEL, messages=USER, max_tokens=16, temperature=0.8, seed=7, n=2)
    whole = client.chat.completions.create(**kwargs)
    texts, finish, usage, chunks = {0: "", 1: ""}, {}, None, 0
    for chunk in client.chat.completions.create(stream=True, stream_options={"include_usage": True}, **kwargs):
        chunks += 1
        expect(chunk.object == "chat.completion.chunk", chunk.object)
        for c in chunk.choices:
            texts[c.index] += c.delta.content or ""
            if c.finish_reason:
                finish[c.index] = c.finish_reason
        if chunk.usage:
            usage = chunk.usage
    for i in range(2):
        expect(texts[i] == whole.choices[i].message.content, f"choice {i}: streamed {texts[i]!r}, whole {whole.choices[i].message.content!r}")
        expect(finish.get(i) == whole.choices[i].finish_reason, (finish, whole.choices[i].finish_reason))
    expect(usage is not None and usage.completion_tokens == whole.usage.completion_tokens, usage)
    expect(chunks > 4, f"only {chunks} chunks: not streamed token by token")
    return {"chunks": chunks}


@check
def completions_legacy():
    r = client.completions.create(model=MODEL, prompt="The capital of France is", max_tokens=8, temperature=0, logprobs=2)
    expect(r.object == "text_completion", r.object)
    choice = r.choices[0]
    expect(choice.text, "empty text")
    lp = choice.logprobs
    expect(len(lp.tokens) == len(lp.token_logprobs) == len(lp.top_logprobs) == len(lp.text_offset), "ragged logprobs")
    expect(len(lp.tokens) == r.usage.completion_tokens, (len(lp.tokens), r.usage))
    expect(all(t <= 0 for t in lp.token_logprobs), lp.token_logprobs)
    expect(all(len(top) <= 2 for top in lp.top_logprobs), lp.top_logprobs)
    # Greedy: the chosen token is the most likely one at every position.
    for token, logprob, top in zip(lp.tokens, lp.token_logprobs, lp.top_logprobs):
        expect(abs(max(top.values()) - logprob) < 1e-6, f"greedy chose {token!r} ({logprob}) below {top}")
    if choice.finish_reason == "length":
        expect("".join(lp.tokens) == choice.text, f"tokens {lp.tokens} do not spell {choice.text!r}")
        expect(lp.text_offset == [sum(len(t) for t in lp.tokens[:i]) for i in range(len(lp.tokens))], lp.text_offset)
    echoed = client.completions.create(model=MODEL, prompt="The capital of France is", max_tokens=8, temperature=0, echo=True)
    expect(echoed.choices[0].text == "The capital of France is" + choice.text, echoed.choices[0].text)
    streamed = "".join(c.choices[0].text for c in client.completions.create(
        model=MODEL, prompt="The capital of France is", max_tokens=8, temperature=0, stream=True) if c.choices)
    expect(streamed == choice.text, f"streamed {streamed!r}, whole {choice.text!r}")
    return choice.text


@check
def chat_logprobs():
    r = client.chat.completions.create(model=MODEL, messages=USER, max_tokens=6, temperature=0.7, seed=3, logprobs=True, top_logprobs=3)
    content = r.choices[0].logprobs.content
    expect(len(content) >= 1, "no logprobs")
    for entry in content:
        expect(entry.logprob <= 0 and len(entry.top_logprobs) == 3, entry)
        tops = [t.logprob for t in entry.top_logprobs]
        expect(tops == sorted(tops, reverse=True), f"top_logprobs not most likely first: {tops}")
        expect(sum(math.exp(t) for t in tops) <= 1 + 1e-6, f"top probabilities sum above 1: {tops}")
        expect(bytes(entry.bytes).decode("utf-8", "replace") == entry.token or entry.bytes, entry)
    expect("".join(e.token for e in content) == r.choices[0].message.content or r.choices[0].finish_reason == "stop",
           "tokens do not spell the content")
    return len(content)


@check
def streaming_logprobs():
    # Each content chunk carries the log-probabilities of its own tokens (OpenAI's shape), and
    # the chunks' entries, concatenated, are the whole response's for the same seed.
    def entry(e):
        return (e.token, e.logprob, tuple(e.bytes or []), tuple((t.token, t.logprob) for t in e.top_logprobs))

    kwargs = dict(model=MODEL, messages=USER, max_tokens=24, temperature=0.9, seed=5, n=2, logprobs=True, top_logprobs=2)
    whole = client.chat.completions.create(**kwargs)
    streamed, carrying = {0: [], 1: []}, 0
    for chunk in client.chat.completions.create(stream=True, **kwargs):
        for c in chunk.choices:
            entries = (c.logprobs.content or []) if c.logprobs else []
            streamed[c.index] += [entry(e) for e in entries]
            if c.delta.content:
                expect(entries, f"a content chunk of choice {c.index} without log-probabilities: {c.delta.content!r}")
                spelled = b"".join(bytes(e.bytes) for e in entries).decode("utf-8", "replace")
                expect(spelled == c.delta.content, f"chunk tokens spell {spelled!r}, its content is {c.delta.content!r}")
                carrying += 1
    for i in range(2):
        want = [entry(e) for e in whole.choices[i].logprobs.content]
        expect(streamed[i] == want, f"choice {i}: streamed {streamed[i][:4]}... ({len(streamed[i])}), whole {want[:4]}... ({len(want)})")
    # Legacy completions: per-chunk parallel arrays, text offsets continuing across chunks; a stop
    # string's tokens (never shown) come with the last chunk.
    legacy = dict(model=MODEL, prompt="Count: one, two, three,", max_tokens=16, temperature=0.9, seed=9, logprobs=2, stop=[" five"], echo=False)
    whole_text = client.completions.create(**legacy).choices[0].logprobs
    tokens, values, tops, offsets = [], [], [], []
    for chunk in client.completions.create(stream=True, **legacy):
        for c in chunk.choices:
            if c.logprobs:
                tokens += c.logprobs.tokens
                values += c.logprobs.token_logprobs
                tops += c.logprobs.top_logprobs
                offsets += c.logprobs.text_offset
    expect(tokens == whole_text.tokens and values == whole_text.token_logprobs, (tokens, whole_text.tokens))
    expect(tops == whole_text.top_logprobs and offsets == whole_text.text_offset, (offsets, whole_text.text_offset))
    return {"content_chunks_with_logprobs": carrying, "legacy_tokens": len(tokens)}


QUESTION = [{"role": "user", "content": "What is 2 + 3? Put the final answer in \\boxed{}."}]


@check
def strategy_by_model_name():
    r = client.chat.completions.create(model=f"self-consistency:4@{MODEL}", messages=QUESTION, max_tokens=48, temperature=0.7, seed=11)
    q = r.model_extra["quorum"]
    expect(q["strategy"].startswith("self-consistency:4"), q["strategy"])
    vote = q["evidence"]["vote"]
    expect(q["evidence"]["kind"] == "vote" and len(vote["samples"]) == 4, q["evidence"]["kind"])
    spent = sum(s["completionTokens"] for s in vote["samples"])
    expect(r.usage.completion_tokens == spent, f"usage {r.usage.completion_tokens} vs samples {spent}")
    expect(r.usage.completion_tokens == q["spend"]["completionTokens"], q["spend"])
    if vote["winner"] is not None:
        winner = vote["classes"][vote["winner"]]
        expect(r.choices[0].message.content in [vote["samples"][i]["text"] for i in winner["members"]],
               "the answer is not a member of the winning class")
    return {"answer": q.get("answer"), "classes": [(c["answer"], len(c["members"])) for c in vote["classes"]]}


@check
def strategy_by_request_field_streamed():
    progress, content, final = [], "", None
    stream = client.chat.completions.create(model=MODEL, messages=QUESTION, max_tokens=48, temperature=0.7, seed=11, stream=True,
                                            extra_body={"quorum": {"strategy": "best-of-n:3,score=logprob"}})
    for chunk in stream:
        extra = (chunk.model_extra or {}).get("quorum")
        if extra and extra.get("progress"):
            expect(not content, "progress after the answer started")
            progress.append(extra["progress"])
        for c in chunk.choices:
            content += c.delta.content or ""
            if c.finish_reason:
                final = extra
    expect([p["completed_samples"] for p in progress] == [1, 2, 3], progress)
    expect(all(p["requested_samples"] == 3 for p in progress), progress)
    expect(final and final["evidence"]["kind"] == "bestOfN", final)
    chosen = final["evidence"]["bestOfN"]
    expect(content == chosen["samples"][chosen["chosen"]]["text"], "streamed answer is not the chosen sample")
    # quorum.progress false: the same stream without progress chunks.
    quiet = list(client.chat.completions.create(model=MODEL, messages=QUESTION, max_tokens=8, seed=2, stream=True,
                                                extra_body={"quorum": {"strategy": "self-consistency:2", "progress": False}}))
    expect(not any(((c.model_extra or {}).get("quorum") or {}).get("progress") for c in quiet), "progress chunks despite progress: false")
    expect(any(((c.model_extra or {}).get("quorum") or {}).get("evidence") for c in quiet), "no evidence in the quiet stream")
    return {"progress_events": len(progress), "vote_after_last": progress[-1]["vote"]}


@check
def bad_requests():
    messages = {}
    bad = openai.BadRequestError
    messages["n too large"] = expect_api_error(bad, 400, lambda: client.chat.completions.create(model=MODEL, messages=USER, n=1000), param="n")
    messages["empty messages"] = expect_api_error(bad, 400, lambda: client.chat.completions.create(model=MODEL, messages=[]), param="messages")
    messages["temperature"] = expect_api_error(bad, 400, lambda: client.chat.completions.create(model=MODEL, messages=USER, temperature=7), param="temperature")
    messages["unknown strategy"] = expect_api_error(bad, 400, lambda: client.chat.completions.create(model=f"telepathy:3@{MODEL}", messages=USER), param="model", code="invalid_strategy")
    messages["strategy field"] = expect_api_error(bad, 400, lambda: client.chat.completions.create(model=MODEL, messages=USER, extra_body={"quorum": {"strategy": "self-consistency:abc=1"}}), param="quorum.strategy")
    messages["unknown model"] = expect_api_error(openai.NotFoundError, 404, lambda: client.chat.completions.create(model="gpt-17", messages=USER), code="model_not_found")
    messages["max_tokens over context"] = expect_api_error(bad, 400, lambda: client.chat.completions.create(model=MODEL, messages=USER, max_tokens=args.context + 1), param="max_tokens")
    messages["wrong type"] = expect_api_error(bad, 400, lambda: client.chat.completions.create(model=MODEL, messages=USER, extra_body={"max_tokens": "ten"}), param="max_tokens")
    messages["role"] = expect_api_error(bad, 400, lambda: client.chat.completions.create(model=MODEL, messages=[{"role": "wizard", "content": "hi"}]), param="messages[0].role")
    messages["top_logprobs without logprobs"] = expect_api_error(bad, 400, lambda: client.chat.completions.create(model=MODEL, messages=USER, top_logprobs=2), param="top_logprobs")
    # A control character the tokenizer has no token for: a prompt of no tokens is the client's to fix.
    messages["prompt without tokens"] = expect_api_error(bad, 400, lambda: client.completions.create(model=MODEL, prompt="\u0006"), param="prompt")
    messages["legacy prompt batch"] = expect_api_error(bad, 400, lambda: client.completions.create(model=MODEL, prompt=["a", "b"]), param="prompt")
    raw = httpx.Client(base_url=args.base_url, headers={"Authorization": f"Bearer {args.api_key}"}, timeout=60)
    r = raw.post("/chat/completions", content=b'{"model": "x", "messages": [', headers={"content-type": "application/json"})
    expect(r.status_code == 400, r.status_code)
    messages["bad JSON"] = error_body(r)["message"]
    r = raw.post("/chat/completions", json={"messages": USER})
    expect(r.status_code == 400 and error_body(r)["param"] == "model", r.text)
    messages["missing model"] = error_body(r)["message"]
    r = raw.post("/chat/completions", content=b"[1, 2]", headers={"content-type": "application/json"})
    expect(r.status_code == 400, r.status_code)
    messages["not an object"] = error_body(r)["message"]
    r = raw.post("/chat/completions", content=b'{"model": "' + b"a" * (2 << 20) + b'"}', headers={"content-type": "application/json"})
    expect(r.status_code == 413, r.status_code)
    messages["body too large"] = error_body(r)["message"]
    r = raw.get("/embeddings")
    expect(r.status_code == 404, r.status_code)
    messages["unknown route"] = error_body(r)["message"]
    # A known route asked with the wrong method: 405 and the method it takes.
    r = raw.get("/chat/completions")
    expect(r.status_code == 405 and r.headers.get("allow") == "POST", (r.status_code, r.headers))
    messages["wrong method"] = error_body(r)["message"]
    r = raw.request("HEAD", "/completions")
    expect(r.status_code == 405 and r.headers.get("allow") == "POST" and r.content == b"", (r.status_code, r.headers))
    # Valid JSON whose number does not fit its field is named as such, not as invalid JSON.
    r = raw.post("/chat/completions", content=b'{"model": "%s", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1e30}' % MODEL.encode(),
                 headers={"content-type": "application/json"})
    detail = error_body(r)
    expect(r.status_code == 400 and detail["param"] == "max_tokens" and "not valid JSON" not in detail["message"], r.text)
    messages["number out of range"] = detail["message"]
    # vLLM's top_k and min_p (which Quorum's client sends) are checked, not ignored.
    messages["top_k"] = expect_api_error(bad, 400, lambda: client.chat.completions.create(model=MODEL, messages=USER, extra_body={"top_k": -3}), param="top_k")
    messages["min_p"] = expect_api_error(bad, 400, lambda: client.completions.create(model=MODEL, prompt="Hi", extra_body={"min_p": 2}), param="min_p")
    ok = client.chat.completions.create(model=MODEL, messages=USER, max_tokens=2, seed=1, extra_body={"top_k": 5, "min_p": 0.05})
    expect(ok.choices[0].message.content is not None, ok)
    # A legacy prompt over the context names `prompt`, not `messages`.
    messages["legacy prompt over context"] = expect_api_error(bad, 400, lambda: client.completions.create(
        model=MODEL, prompt="sea " * (args.context + 10), max_tokens=4), param="prompt", code="context_length_exceeded")
    return messages


@check
def api_key():
    if args.api_key == "unused":
        return "server runs without a key"
    wrong = openai.OpenAI(base_url=args.base_url, api_key=args.api_key + "x", max_retries=0)
    expect_api_error(openai.AuthenticationError, 401, lambda: wrong.models.list(), code="invalid_api_key")
    missing = httpx.get(args.base_url + "/models")
    expect(missing.status_code == 401, missing.status_code)
    expect(args.api_key not in missing.text, "the key appears in an error body")
    return "401 without or with a wrong key"


def overload():
    # Run against a server started with --max-concurrency 1 --max-queue 0.
    statuses, headers = [], []

    def one():
        r = httpx.post(args.base_url + "/chat/completions", timeout=120, headers={"Authorization": f"Bearer {args.api_key}"}, json={
            "model": MODEL, "messages": USER, "max_tokens": 64, "temperature": 0.7, "seed": 1, "stop": ["NEVER"]})
        statuses.append(r.status_code)
        if r.status_code == 429:
            headers.append(r.headers.get("retry-after"))
            error_body(r)

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expect(statuses.count(200) >= 1 and statuses.count(429) >= 1, statuses)
    expect(all(h and h.isdigit() for h in headers), f"Retry-After headers {headers}")
    return sorted(statuses)


def timeout():
    # Run against a server started with --timeout 1: a long generation ends in 504 (whole
    # response) or an error event (stream), with OpenAI's error body, and the server keeps serving.
    # A 6,000-token prompt: its prefill alone takes several seconds (the int8 engine prefills about
    # 1,800 tok/s on 2 idle cores, slower as the prompt grows), however soon the model stops.
    long = dict(model=MODEL, messages=[{"role": "user", "content": "sea " * 6000}], max_tokens=8, temperature=0.7, seed=1)
    message = expect_api_error(openai.InternalServerError, 504, lambda: client.chat.completions.create(**long), code="timeout")
    try:
        for _ in client.chat.completions.create(stream=True, **long):
            pass
        raise AssertionError("the stream ended without an error event")
    except openai.APIError as error:
        expect("did not finish" in str(error), f"stream error {error}")
    # Each timed-out request was cancelled in the engine before its error reached the client.
    engine = engine_load()
    expect(engine["running"] == 0 and engine["cancelled"] >= 2, f"after two timeouts the engine shows {engine}")
    return message


def engine_load():
    health = httpx.get(args.base_url.removesuffix("/v1") + "/health", timeout=30)
    expect(health.status_code == 200, health.status_code)
    return health.json()["engine"]


def disconnect():
    # A client that leaves mid-stream: the server notices at its next write and cancels the
    # generation, which would otherwise run on for thousands of tokens. Waits for the outcome
    # (the engine counts a cancelled request and runs none) with a generous bound, never for a speed.
    before = engine_load()["cancelled"]
    # A story prompt without the chat template, four samples: all ending on their own within
    # the few tokens the server writes before it notices is not a real risk.
    body = {"model": MODEL, "prompt": "Once upon a time, in a small village by the sea,", "max_tokens": 4000,
            "temperature": 1.2, "seed": 3, "n": 4, "stream": True}
    with httpx.Client(timeout=120, headers={"Authorization": f"Bearer {args.api_key}"}) as raw:
        with raw.stream("POST", args.base_url + "/completions", json=body) as response:
            expect(response.status_code == 200, response.status_code)
            for line in response.iter_lines():
                if line.startswith("data: {") and any(c.get("text") for c in json.loads(line[6:]).get("choices", [])):
                    break   # generation is under way
    deadline = time.monotonic() + 120
    engine = engine_load()
    while not (engine["cancelled"] > before and engine["running"] == 0) and time.monotonic() < deadline:
        time.sleep(0.2)
        engine = engine_load()
    expect(engine["cancelled"] > before and engine["running"] == 0, f"the abandoned stream was not cancelled: {engine}")
    return engine


def disconnect_whole():
    # A client that asks for a whole (non-streamed) response and closes its socket while the
    # server generates it: the server notices the closed connection and cancels the generation.
    # Waits for outcomes (the request running, then cancelled), never for a speed.
    before = engine_load()["cancelled"]
    url = urllib.parse.urlparse(args.base_url)
    body = json.dumps({"model": MODEL, "prompt": "Once upon a time, in a small village by the sea,", "max_tokens": 4000,
                       "temperature": 1.2, "seed": 5, "n": 4}).encode()
    head = (f"POST {url.path}/completions HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {args.api_key}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    sock = socket.create_connection((url.hostname, url.port), timeout=120)
    sock.sendall(head + body)
    deadline = time.monotonic() + 120
    engine = engine_load()
    while engine["running"] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
        engine = engine_load()
    expect(engine["running"] >= 1, f"the request never reached the engine: {engine}")
    sock.close()
    deadline = time.monotonic() + 120
    while not (engine["cancelled"] > before and engine["running"] == 0) and time.monotonic() < deadline:
        time.sleep(0.2)
        engine = engine_load()
    expect(engine["cancelled"] > before and engine["running"] == 0, f"the abandoned request was not cancelled: {engine}")
    health = httpx.get(args.base_url.removesuffix("/v1") + "/health", timeout=30).json()
    expect(health["running"] == 0, f"the request still holds a server slot: {health}")
    return engine


def idle_connections():
    # Run against a server started with --idle-timeout 1: a connection that sends nothing, and
    # one that stops in the middle of its request head, are closed by the server (recv sees the
    # end of the stream). The bound is generous; only the outcome is checked.
    url = urllib.parse.urlparse(args.base_url)
    outcomes = {}
    for name, data in [("silent", b""), ("half-sent head", b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Ty")]:
        sock = socket.create_connection((url.hostname, url.port), timeout=60)
        if data:
            sock.sendall(data)
        try:
            received = sock.recv(1024)
        except socket.timeout:
            raise AssertionError(f"{name}: the server kept the connection open for 60 s")
        finally:
            sock.close()
        outcomes[name] = received.decode(errors="replace")
    # A request that takes longer than the idle timeout to answer is not cut off.
    answer = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "sea " * 3000}], max_tokens=4, seed=1)
    expect(answer.choices[0].message.content is not None, answer)
    return outcomes


def strategy_limits():
    # Run against a server started with --max-moa-layers 3 --max-strategy-calls 20 --max-strategy-tokens 1000:
    # every parameter that multiplies work is bounded, with a 400 naming it and the server option.
    bad = openai.BadRequestError
    found = {}
    found["layers"] = expect_api_error(bad, 400, lambda: client.chat.completions.create(
        model=f"moa:layers=1000000@{MODEL}", messages=USER, max_tokens=4), param="model", code="invalid_strategy")
    expect("layers=1000000" in found["layers"] and "--max-moa-layers" in found["layers"], found["layers"])
    found["window"] = expect_api_error(bad, 400, lambda: client.chat.completions.create(
        model=MODEL, messages=USER, max_tokens=4, extra_body={"quorum": {"strategy": "self-moa-seq:8,window=100"}}),
        param="quorum.strategy", code="invalid_strategy")
    expect("window=100" in found["window"] and "--max-moa-window" in found["window"], found["window"])
    found["repeats"] = expect_api_error(bad, 400, lambda: client.chat.completions.create(
        model=f"self-moa-seq:8,repeats=50@{MODEL}", messages=USER, max_tokens=4), param="model")
    expect("repeats=50" in found["repeats"] and "--max-moa-repeats" in found["repeats"], found["repeats"])
    found["bracket"] = expect_api_error(bad, 400, lambda: client.chat.completions.create(
        model=f"best-of-n:8,score=pairwise,bracket=round-robin@{MODEL}", messages=USER, max_tokens=4), param="model")
    expect("57 model calls" in found["bracket"] and "--max-strategy-calls" in found["bracket"], found["bracket"])
    found["tokens"] = expect_api_error(bad, 400, lambda: client.chat.completions.create(
        model=f"self-consistency:8@{MODEL}", messages=USER, max_tokens=200), param="model")
    expect("--max-strategy-tokens" in found["tokens"], found["tokens"])
    # Within the limits, the same strategies answer.
    answer = client.chat.completions.create(model=f"moa:layers=3@{MODEL}", messages=USER, max_tokens=4, seed=1)
    expect(answer.choices[0].message.content is not None, answer)
    health = httpx.get(args.base_url.removesuffix("/v1") + "/health", timeout=30).json()
    expect(health["running"] == 0 and health["engine"]["running"] == 0, health)
    return found


def adaptive_strategy():
    # An easy question answered greedily: every sample agrees, so adaptive-consistency stops after
    # its first wave of 4 (P(leader stays leader) = 31/32 >= 0.95) instead of drawing max=16.
    r = client.chat.completions.create(model=f"adaptive:adaptive-consistency,max=16@{MODEL}", messages=QUESTION,
                                       max_tokens=48, temperature=0, seed=3)
    q = r.model_extra["quorum"]
    expect(q["strategy"].startswith("adaptive:adaptive-consistency,max=16"), q["strategy"])
    expect(q["evidence"]["kind"] == "adaptive", q["evidence"]["kind"])
    adaptive = q["evidence"]["adaptive"]
    expect(adaptive["stopReason"] == "rule", adaptive["stopReason"])
    expect(adaptive["samplesDrawn"] < 16 and adaptive["samplesDrawn"] == len(adaptive["vote"]["samples"]), adaptive["samplesDrawn"])
    expect(q["spend"]["samples"] == adaptive["samplesDrawn"] and q["spend"]["modelCalls"] == len(adaptive["waves"]), q["spend"])
    expect(r.usage.completion_tokens == q["spend"]["completionTokens"], f"usage {r.usage.completion_tokens} vs spend {q['spend']}")
    expect(r.choices[0].message.content in [s["text"] for s in adaptive["vote"]["samples"]], "the answer is not a drawn sample")
    # The same through quorum.strategy, streamed: progress as each wave's samples arrive, then the evidence.
    progress, final = [], None
    for chunk in client.chat.completions.create(model=MODEL, messages=QUESTION, max_tokens=48, temperature=0, seed=3, stream=True,
                                                extra_body={"quorum": {"strategy": "adaptive:esc,max=16,window=4"}}):
        extra = (chunk.model_extra or {}).get("quorum") or {}
        if extra.get("progress"):
            progress.append(extra["progress"]["completed_samples"])
        if extra.get("evidence"):
            final = extra["evidence"]
    expect(final and final["kind"] == "adaptive" and final["adaptive"]["samplesDrawn"] == 4, final)
    expect(progress == [1, 2, 3, 4], progress)
    # A verifier needs a reference answer, which a chat request has none of.
    expect_api_error(openai.BadRequestError, 400, lambda: client.chat.completions.create(
        model=f"adaptive:verified,max=4@{MODEL}", messages=QUESTION, max_tokens=4), param="model", code="invalid_strategy")
    return {"samples": adaptive["samplesDrawn"], "answer": q.get("answer"), "stop": adaptive["stopDetail"]}


selected = [name for name in args.only.split(",") if name]
functions = {f.__name__: f for f in checks + [overload, timeout, disconnect, disconnect_whole, strategy_limits, idle_connections, adaptive_strategy]}
to_run = [functions[name] for name in selected] if selected else checks
failed = 0
for function in to_run:
    try:
        detail = function()
        print(json.dumps({"check": function.__name__, "ok": True, "detail": detail}, default=str), flush=True)
    except Exception as error:  # report every check, then fail
        failed += 1
        print(json.dumps({"check": function.__name__, "ok": False,
                          "detail": f"{type(error).__name__}: {error}", "trace": traceback.format_exc()[-1500:]}), flush=True)
sys.exit(1 if failed else 0)
