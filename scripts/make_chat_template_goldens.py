#!/usr/bin/env python3
"""Renders the chat-template goldens with the real Jinja, set up as HF transformers sets it up
(transformers/utils/chat_template_utils.py: ImmutableSandboxedEnvironment with trim_blocks and
lstrip_blocks, the loopcontrols extension, `raise_exception`, `strftime_now`, and a `tojson` that
does not escape HTML).

    pip install Jinja2==3.1.6 gguf==0.19.0
    python3 scripts/make_chat_template_goldens.py [path/to/SmolLM2-135M-Instruct.Q4_1.gguf]

Reads the templates in Tests/Fixtures/tokenizer/chat_templates/*.jinja (the models' own
`chat_template` from their tokenizer_config.json; smollm2.jinja is (re)written here from the
default model's GGUF) and writes Tests/Fixtures/tokenizer/chat_template_goldens.json: for each
template and message list, the rendered text, or the exception the template raises.
"""
import glob, json, os, sys
from datetime import datetime

import gguf
import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "tokenizer")
TEMPLATES = os.path.join(ROOT, "chat_templates")
MODEL = sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser(
    "~/.cache/quorum/models/SmolLM2-135M-Instruct.Q4_1.gguf")

# BOS/EOS spellings per template family.
SPECIALS = {
    "smollm2": ("<|im_start|>", "<|im_end|>"),
    "llama3": ("<|begin_of_text|>", "<|eot_id|>"),
    "llama3_1": ("<|begin_of_text|>", "<|eot_id|>"),
    "llama3_2": ("<|begin_of_text|>", "<|eot_id|>"),
    "qwen2_5": ("", "<|im_end|>"),
    "mistral_v0_1": ("<s>", "</s>"),
    "mistral_v0_3": ("<s>", "</s>"),
    "gemma2": ("<bos>", "<eos>"),
    "gemma3": ("<bos>", "<eos>"),
}

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "City name, e.g. Zürich"},
                           "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["city"],
        },
    },
}

CONVERSATIONS = {
    "user_only": [{"role": "user", "content": "Hello!"}],
    "system_user": [{"role": "system", "content": "You are a terse assistant."},
                    {"role": "user", "content": "What is 2+2?"}],
    "multi_turn": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello! How can I help?"},
                   {"role": "user", "content": "Tell me a joke."}],
    "system_multi_turn": [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi"},
                          {"role": "assistant", "content": "Hello."}, {"role": "user", "content": "Bye"}],
    "whitespace_and_unicode": [{"role": "user", "content": "  padded question?\n\n"},
                               {"role": "assistant", "content": " Привет 🍕 日本語 \n"},
                               {"role": "user", "content": "line1\nline2\ttab \"quotes\" 'single'"}],
    "two_users_in_a_row": [{"role": "user", "content": "first"}, {"role": "user", "content": "second"}],
}

TOOL_CONVERSATION = [
    {"role": "user", "content": "What's the weather in Zürich?"},
    {"role": "assistant", "content": "", "tool_calls": [
        {"id": "call12345", "type": "function",
         "function": {"name": "get_weather", "arguments": {"city": "Zürich", "unit": "celsius"}}}]},
    {"role": "tool", "content": "{\"temperature\": 21.5, \"sky\": \"clear\"}", "tool_call_id": "call12345"},
]
TOOL_TEMPLATES = {"llama3_1", "llama3_2", "qwen2_5", "mistral_v0_3"}

# Small templates for the Jinja semantics the chat templates lean on, rendered with this context.
SNIPPET_CONTEXT = {"xs": [3, 1, 2], "name": "  Quorum  ", "d": {"b": 1, "a": [1, 2.5, None, True]},
                   "msgs": CONVERSATIONS["system_multi_turn"], "empty": [], "text": "a,b,,c"}
SNIPPETS = {
    "arithmetic": "{{ 7 // 2 }}|{{ -7 // 2 }}|{{ -7 % 3 }}|{{ 7 / 2 }}|{{ 2 ** 10 }}|{{ 1 + 2 * 3 - 4 }}|{{ 1.5 + 1 }}|{{ 10 / 5 }}",
    "strings": "{{ 'ab' * 3 }}|{{ 'a' ~ 1 ~ none ~ true }}|{{ name | trim }}|{{ name.strip() | upper }}|{{ 'Hello World'.lower() }}|{{ 'x' in 'xyz' }}|{{ 'abc'[1:] }}|{{ 'abc'[::-1] }}|{{ 'abc'[-1] }}",
    "printing": "{{ xs }}|{{ d }}|{{ none }}|{{ true }}|{{ 1.0 }}|{{ 0.1 }}|{{ undefined_name }}|{{ [1, 'it\\'s', \"q\"] }}|{{ 1e3 }}",
    "filters": "{{ xs | length }}|{{ xs | first }}|{{ xs | last }}|{{ xs | join('-') }}|{{ xs | reverse | list }}|{{ xs | sum }}|{{ d | tojson }}|{{ d | tojson(indent=2) }}|{{ undefined_name | default('dflt') }}|{{ '' | default('x', true) }}|{{ 'hello world' | title }}|{{ 'hELLO' | capitalize }}|{{ '3' | int + 1 }}|{{ xs | unique | list }}|{{ 'a-b-c' | replace('-', '+') }}",
    "selectattr_map": "{{ msgs | selectattr('role', 'equalto', 'user') | map(attribute='content') | join(',') }}|{{ msgs | rejectattr('role', 'equalto', 'user') | list | length }}|{{ msgs | map(attribute='role') | unique | list }}",
    "tests": "{{ xs is iterable }}|{{ name is string }}|{{ d is mapping }}|{{ none is none }}|{{ undefined_name is defined }}|{{ 4 is even }}|{{ 9 is divisibleby 3 }}|{{ 'x' is not none }}|{{ xs is sequence }}|{{ 3 is number }}|{{ name is iterable }}",
    "loops": "{% for x in xs %}{{ loop.index }}/{{ loop.length }}:{{ x }}{% if loop.first %}F{% endif %}{% if loop.last %}L{% endif %}{% if not loop.last %},{% endif %}{% endfor %}|{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}|{% for x in empty %}no{% else %}empty{% endfor %}|{% for x in xs if x > 1 %}{{ x }}{% endfor %}|{% for x in xs %}{% if x == 1 %}{% continue %}{% endif %}{% if loop.index > 2 %}{% break %}{% endif %}{{ x }}{% endfor %}",
    "scoping": "{% set y = 0 %}{% for x in xs %}{% set y = y + x %}[{{ y }}]{% endfor %}({{ y }}){% set ns = namespace(total=0) %}{% for x in xs %}{% set ns.total = ns.total + x %}{% endfor %}<{{ ns.total }}>",
    "whitespace": "A\n  {% if true %}\n    B\n  {% endif %}\nC\n{%- if true -%}\n  D  \n{%- endif -%}\n  E\n{# comment #}\nF {{- ' G ' -}} H\n{%+ if true %}I{% endif %}",
    "conditionals": "{{ 'yes' if xs else 'no' }}|{{ 'yes' if empty else 'no' }}|{{ empty or 'fallback' }}|{{ xs and 'both' }}|{% if d.b == 1 and not empty %}ok{% elif true %}elif{% else %}else{% endif %}|{{ msgs[0]['role'] }}|{{ msgs[-1].content }}|{{ msgs[1:3] | length }}|{{ d.missing is defined }}|{{ 'b' in d }}",
    "macros_and_set_blocks": "{% macro greet(who, punct='!') %}Hi {{ who }}{{ punct }}{% endmacro %}{{ greet('you') }} {{ greet('all', punct='?') }}|{% set block %}inside {{ xs | length }}{% endset %}{{ block | upper }}",
    "raw": "{% raw %}{{ not parsed }} {% if %}{% endraw %}|{{ 1 }}",
    "loop_extras": "{% for x in xs %}{{ loop.previtem | default('-') }}>{{ x }}<{{ loop.nextitem | default('-') }} {{ loop.revindex }}{% for y in [10, 20] %}{{ loop.index }}{% endfor %};{% endfor %}",
    "membership": "{{ 1 in xs }}|{{ 5 not in xs }}|{{ 'b' not in d }}|{{ xs[0] > xs[1] and xs[1] < xs[2] }}|{{ not empty }}|{{ -xs[0] }}|{{ (1, 2)[1] }}|{{ {'k': 'v'}['k'] }}|{{ msgs[0] == msgs[0] }}|{{ msgs[0] != msgs[1] }}",
    "lstrip_blocks": "  {% if true %}x{% endif %}\n    {%+ if true %}y{% endif %}\n\t{# c #}\nz\n  {{ 'v' }}\n",
    "string_methods": "{{ text.split(',') }}|{{ 'a b  c'.split() }}|{{ text.startswith('a,') }}|{{ text.endswith(('x', 'c')) }}|{{ text.replace(',', ';') }}|{{ '-'.join(xs | map('string') | list) }}|{{ d.get('b') }}|{{ d.get('z', 'none') }}|{{ d.keys() | list }}|{{ 'x'.rstrip() ~ '  y '.lstrip() }}",
}


def make_environment():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(format):
        return datetime.now().strftime(format)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def main():
    r = gguf.GGUFReader(MODEL)
    with open(os.path.join(TEMPLATES, "smollm2.jinja"), "w", encoding="utf-8") as f:
        f.write(r.fields["tokenizer.chat_template"].contents())

    env = make_environment()
    cases = []
    for path in sorted(glob.glob(os.path.join(TEMPLATES, "*.jinja"))):
        name = os.path.splitext(os.path.basename(path))[0]
        with open(path, encoding="utf-8") as f:
            template = env.from_string(f.read())
        bos, eos = SPECIALS[name]
        conversations = dict(CONVERSATIONS)
        if name in TOOL_TEMPLATES:
            conversations["tool_call"] = TOOL_CONVERSATION
        for conversation, messages in conversations.items():
            for add_generation_prompt in (True, False):
                variables = {"date_string": "26 Jul 2024"} if name.startswith("llama3_") else {}
                if conversation == "tool_call":
                    variables["tools"] = [WEATHER_TOOL]
                case = {"template": name, "conversation": conversation, "add_generation_prompt": add_generation_prompt,
                        "bos_token": bos, "eos_token": eos, "messages": messages, "variables": variables}
                try:
                    case["text"] = template.render(messages=messages, add_generation_prompt=add_generation_prompt,
                                                   bos_token=bos, eos_token=eos, **variables)
                except jinja2.exceptions.TemplateError as e:
                    case["error"] = str(e)
                cases.append(case)
    snippets = [{"name": n, "template": t, "text": env.from_string(t).render(**SNIPPET_CONTEXT)}
                for n, t in SNIPPETS.items()]
    with open(os.path.join(ROOT, "chat_template_goldens.json"), "w", encoding="utf-8") as f:
        json.dump({"generator": f"Jinja2 {jinja2.__version__}", "snippet_context": SNIPPET_CONTEXT,
                   "snippets": snippets, "cases": cases}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(len(cases), "cases,", sum("error" in c for c in cases), "raise")


if __name__ == "__main__":
    main()
