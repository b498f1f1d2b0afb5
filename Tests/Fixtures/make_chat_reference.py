#!/usr/bin/env python3
"""Writes the chat-template golden files under Tests/Fixtures/chat/:

  chat_reference.json   conversations rendered by jinja2 with each template in chat/templates/, plus token ids
  jinja_cases.json      small template snippets and what jinja2 renders for them (or the error it raises)

Rendering follows transformers' apply_chat_template exactly: jinja2's ImmutableSandboxedEnvironment with
trim_blocks=True, lstrip_blocks=True and the loopcontrols extension; `tojson` replaced by
json.dumps(x, ensure_ascii=False, indent=..., separators=..., sort_keys=...); the globals raise_exception,
strftime_now, namespace (no underscore attributes) and dict; messages with None-valued keys dropped; the call
render(messages=..., tools=tools or None, documents=None, add_generation_prompt=..., **special_tokens, **kwargs).
When transformers is installed, every render is cross-checked against its own render_jinja_template.

strftime_now reads a fixed clock, 2025-03-14 09:26:53 (FIXED_NOW), so Llama 3.2's default date is reproducible;
the Swift tests pass the same instant.

Token ids:
  * SmolLM2 (template "smollm2"): Hugging Face `tokenizers` on the GGUF's vocabulary and merges with SmolLM2's
    own pre-tokenizer, as make_tokenizer_reference.py builds it ("hf_smollm2"); needs the GGUF in .models/.
  * Llama 3.1/3.2: tiktoken with .models/llama3/tokenizer.model, Meta's pre-tokenizer pattern and the Llama 3.1
    special tokens, encoding with allowed_special="all" ("ids_llama3"). LlamaKit compares these once it can
    load tokenizer.model.

Template sources are listed in chat/templates/SOURCES.md.

Usage: HF_HUB_OFFLINE=1 python3 Tests/Fixtures/make_chat_reference.py
"""

import copy
import datetime as _datetime
import importlib.metadata
import json
import os
import sys
from pathlib import Path

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Tests" / "Fixtures"
TEMPLATES = FIXTURES / "chat" / "templates"
OUT = FIXTURES / "chat" / "chat_reference.json"
JINJA_OUT = FIXTURES / "chat" / "jinja_cases.json"
SMOLLM2 = ROOT / ".models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
LLAMA3_TOKENIZER = ROOT / ".models" / "llama3" / "tokenizer.model"
FIXED_NOW = _datetime.datetime(2025, 3, 14, 9, 26, 53)


# ---------------------------------------------------------------------------------------------------------
# transformers' environment

def make_environment():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(format):
        return FIXED_NOW.strftime(format)

    class TemplateNamespace(jinja2.utils.Namespace):
        def __init__(*args, **kwargs):
            self, args = args[0], args[1:]
            attrs = dict(*args, **kwargs)
            for name in attrs:
                TemplateNamespace._check_name(name)
            jinja2.utils.Namespace.__init__(self, attrs)

        def __setitem__(self, name, value):
            TemplateNamespace._check_name(name)
            jinja2.utils.Namespace.__setitem__(self, name, value)

        @staticmethod
        def _check_name(name):
            if isinstance(name, str) and name.startswith("_"):
                raise jinja2.exceptions.SecurityError(f"underscore attribute {name!r}")

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    env.globals["dict"] = dict
    env.globals["namespace"] = TemplateNamespace
    return env


ENV = make_environment()


def normalize(messages):
    return [{k: v for k, v in m.items() if v is not None} for m in messages]


def render(template_source, messages, tools, add_generation_prompt, special_tokens, kwargs):
    template = ENV.from_string(template_source)
    return template.render(messages=normalize(messages), tools=tools, documents=None,
                           add_generation_prompt=add_generation_prompt, **{**special_tokens, **kwargs})


def transformers_render(template_source, messages, tools, add_generation_prompt, special_tokens, kwargs):
    """transformers' own renderer with the clock fixed, or None when transformers is not installed."""
    try:
        from transformers.utils import chat_template_utils as ctu
    except ImportError:
        return None

    class FixedDatetime(_datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return FIXED_NOW

    def clear_cache():
        for function in (ctu._compile_jinja_template, ctu._cached_compile_jinja_template):
            if hasattr(function, "cache_clear"):
                function.cache_clear()

    saved = ctu.datetime
    ctu.datetime = FixedDatetime
    clear_cache()
    try:
        rendered, _ = ctu.render_jinja_template(
            conversations=[normalize(copy.deepcopy(messages))], tools=copy.deepcopy(tools), chat_template=template_source,
            add_generation_prompt=add_generation_prompt, **{**special_tokens, **kwargs})
        return rendered[0]
    finally:
        ctu.datetime = saved
        clear_cache()


# ---------------------------------------------------------------------------------------------------------
# Tools and conversations

WEATHER = {"type": "function", "function": {
    "name": "get_current_weather",
    "description": "Get the current weather in a given location",
    "parameters": {"type": "object", "properties": {
        "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        "required": ["location"]}}}
TIME = {"type": "function", "function": {
    "name": "get_time", "description": "Current time in an IANA time zone",
    "parameters": {"type": "object", "properties": {"tz": {"type": "string"}}, "required": ["tz"]},
    "return": {"type": "string", "description": "HH:MM"}}}
NUMBERS = {"type": "function", "function": {
    "name": "scale", "description": "Scales a value — with «quotes», emoji 😀 and 日本語",
    "parameters": {"type": "object", "properties": {
        "factor": {"type": "number", "minimum": 0.5, "maximum": 1e21, "default": 1.0, "epsilon": 1e-07},
        "steps": {"type": "integer", "default": 3}, "strict": {"type": "boolean", "default": False},
        "label": {"type": ["string", "null"], "default": None, "pattern": "^[a-z]+\\d*$\t\"end\""}},
        "required": []}}}
BARE = {"name": "lookup", "description": "Look a word up", "parameters": {"type": "object", "properties": {"word": {"type": "string"}}}}

LLAMA_SPECIAL = {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"}


def call(name, arguments, id=None):
    c = {"type": "function", "function": {"name": name, "arguments": arguments}}
    if id is not None:
        c = {"id": id, **c}
    return c


def llama31_cases():
    u = lambda t: {"role": "user", "content": t}
    a = lambda t: {"role": "assistant", "content": t}
    s = lambda t: {"role": "system", "content": t}
    cases = [
        ("single_user", [u("Hello!")], None, True, {}),
        ("single_user_no_prompt", [u("Hello!")], None, False, {}),
        ("system_user", [s("You are a pirate."), u("Who are you?")], None, True, {}),
        ("system_whitespace", [s("\n  Be brief.  \n"), u("  What is 2+2?\n\n")], None, True, {}),
        ("multi_turn", [s("Answer in French."), u("Hi"), a("Bonjour !"), u("How are you?")], None, True, {}),
        ("date_string", [u("What day is it?")], None, True, {"date_string": "01 Jan 2030"}),
        ("tools_in_user_message", [u("Weather in Paris?")], [WEATHER], True, {}),
        ("tools_in_system", [s("Be helpful."), u("Weather in Paris?")], [WEATHER], True, {"tools_in_user_message": False}),
        ("two_tools_with_system", [s("Use tools."), u("Time in Tokyo and weather in Oslo?")], [WEATHER, TIME], True, {}),
        ("tool_call_and_result", [u("Weather in Paris?"), {"role": "assistant", "tool_calls": [call("get_current_weather", {"location": "Paris, France", "unit": "celsius"})]},
                                  {"role": "tool", "content": "22 degrees and sunny"}], [WEATHER], True, {}),
        ("ipython_dict_result", [u("Weather?"), {"role": "assistant", "tool_calls": [call("get_current_weather", {"location": "Oslo"})]},
                                 {"role": "ipython", "content": {"temperature": -3.5, "conditions": "snow", "wind": [10, 12]}}], [WEATHER], True, {}),
        ("tool_number_result", [u("Count?"), {"role": "assistant", "tool_calls": [call("lookup", {"word": "x"})]},
                                {"role": "tool", "content": 42}], [BARE], True, {}),
        ("builtin_tools", [u("Search the news.")], None, True, {"builtin_tools": ["brave_search", "wolfram_alpha"]}),
        ("builtin_code_interpreter", [s("Think step by step."), u("Plot x^2.")], None, True,
         {"builtin_tools": ["code_interpreter", "brave_search"]}),
        ("builtin_call", [u("Latest news on Mars?"), {"role": "assistant", "tool_calls": [call("brave_search", {"query": "Mars news"})]}],
         None, False, {"builtin_tools": ["brave_search", "wolfram_alpha"]}),
        ("builtin_call_result", [u("Integrate x^2"), {"role": "assistant", "tool_calls": [call("wolfram_alpha", {"query": "integrate x^2", "format": "plain"})]},
                                 {"role": "ipython", "content": "x^3/3 + C"}], None, True, {"builtin_tools": ["brave_search", "wolfram_alpha"]}),
        ("builtin_and_custom_call", [s("Sys"), u("Weather?"), {"role": "assistant", "tool_calls": [call("get_current_weather", {"location": "Rome"})]},
                                     {"role": "tool", "content": {"temp": 30}}, a("It is 30 degrees.")],
         [WEATHER], False, {"builtin_tools": ["brave_search"]}),
        ("custom_tools_kwarg", [u("Time?")], None, True, {"custom_tools": [TIME]}),
        ("empty_tools_list", [u("No tools here.")], [], True, {}),
        ("error_two_tool_calls", [u("Both?"), {"role": "assistant", "tool_calls": [call("get_time", {"tz": "UTC"}), call("get_time", {"tz": "CET"})]}],
         [TIME], True, {}),
        ("error_tools_without_user", [s("Only a system message.")], [WEATHER], True, {}),
        ("arguments_as_string", [u("Weather?"), {"role": "assistant", "tool_calls": [call("get_current_weather", "{\"location\": \"Paris\"}")]}],
         [WEATHER], True, {}),
        ("unicode", [s("Réponds en 日本語 😀"), u("مرحبا — “quotes” ‘single’ \u00a0nbsp\u2028sep"), a("こんにちは"), u("Ça va ? 🇫🇷")], [NUMBERS], True, {}),
        ("tool_call_with_content", [u("Weather?"), {"role": "assistant", "content": "Let me check.", "tool_calls": [call("get_current_weather", {"location": "Lima"})]}],
         [WEATHER], True, {}),
        ("ipython_string_escapes", [u("Run it"), {"role": "assistant", "tool_calls": [call("lookup", {"word": "q"})]},
                                    {"role": "ipython", "content": "line 1\nline \"2\"\t\\end"}], [BARE], True, {}),
        ("nested_arguments", [u("Scale it"), {"role": "assistant", "tool_calls": [call("scale", {"factor": 2.5, "steps": 10, "strict": True, "label": None,
                                                                                               "extra": {"list": [1, 2.0, 3e-05, "x"], "empty": {}, "none": []}})]}],
         [NUMBERS], True, {}),
        ("error_builtin_non_string_argument", [u("Search"), {"role": "assistant", "tool_calls": [call("brave_search", {"query": "x", "count": 5})]}],
         None, True, {"builtin_tools": ["brave_search"]}),
        ("full_tool_exchange", [s("You are a weather bot."), u("Weather in NYC?"),
                                {"role": "assistant", "tool_calls": [call("get_current_weather", {"location": "New York, NY", "unit": "fahrenheit"})]},
                                {"role": "tool", "content": "{\"temperature\": 75}"}, a("It is 75°F in New York.")], [WEATHER], False, {}),
        ("custom_role", [u("Hi"), {"role": "observer", "content": "noted"}, u("Continue")], None, True, {}),
        ("jinja_looking_content", [u("{{ not_a_tag }} {% if %} {# no #}"), a("{{ x }}")], None, True, {}),
        ("float_schema", [u("Scale 3 by 2")], [NUMBERS], True, {"tools_in_user_message": False}),
        ("bare_tool", [u("Define 'ephemeral'")], [BARE], True, {}),
        ("system_only", [s("Just a system prompt.")], None, True, {}),
        ("builtin_tools_empty", [u("Hi")], None, True, {"builtin_tools": []}),
        ("everything_in_system", [s("Be precise."), u("Weather and news?")], [WEATHER, TIME], True,
         {"tools_in_user_message": False, "builtin_tools": ["brave_search", "code_interpreter"], "date_string": "29 Feb 2028"}),
        ("null_values_dropped", [{"role": "user", "content": "Hi", "name": None}, {"role": "assistant", "content": "Hello", "tool_calls": None}, u("Bye")],
         None, True, {}),
        ("tool_role_string_with_unicode", [u("Quote?"), {"role": "assistant", "tool_calls": [call("lookup", {"word": "ennui"})]},
                                           {"role": "tool", "content": "Ennui — “a feeling” 😀"}], [BARE], True, {}),
    ]
    return cases


def llama32_extra_cases():
    u = lambda t: {"role": "user", "content": t}
    return [
        ("default_date_from_clock", [u("What is today's date?")], None, True, {}),
        ("clock_date_with_tools", [{"role": "system", "content": "Sys"}, u("Weather?")], [WEATHER], True, {}),
    ]


def shared_cases():
    u = lambda t: {"role": "user", "content": t}
    a = lambda t: {"role": "assistant", "content": t}
    s = lambda t: {"role": "system", "content": t}
    return [
        ("user_only", [u("Hello there")], None, True, {}),
        ("system_user", [s("You are concise."), u("Name a color.")], None, True, {}),
        ("alternating_no_prompt", [u("Hi"), a("Hello! How can I help?"), u("Tell me a joke."), a("Why did the chicken cross the road?")], None, False, {}),
        ("multi_turn_prompt", [s("Be kind."), u("Hi"), a("Hello."), u("Bye")], None, True, {}),
        ("tools_offered", [u("What's the weather in Berlin?")], [WEATHER, TIME], True, {}),
        ("tool_call_flow", [u("Weather in Berlin?"),
                            {"role": "assistant", "content": "", "tool_calls": [call("get_current_weather", {"location": "Berlin", "unit": "celsius"}, id="call12345")]},
                            {"role": "tool", "content": "18 and cloudy", "tool_call_id": "call12345", "name": "get_current_weather"}], [WEATHER], True, {}),
        ("two_tool_calls", [u("Weather and time in Oslo?"),
                            {"role": "assistant", "tool_calls": [call("get_current_weather", {"location": "Oslo"}, id="abcdefghi"), call("get_time", {"tz": "Europe/Oslo"}, id="ABCDEFGHI")]},
                            {"role": "tool", "content": "-2", "tool_call_id": "abcdefghi"}, {"role": "tool", "content": "14:05", "tool_call_id": "ABCDEFGHI"}],
         [WEATHER, TIME], True, {}),
        ("unicode", [u("¿Qué tal? 你好 😀 \u200b zero-width"), a("Très bien ✓"), u("🇯🇵")], None, True, {}),
        ("system_and_tools", [s("Use the tools when needed."), u("Time in Lima?")], [TIME], True, {}),
        ("not_alternating", [u("First"), u("Second")], None, True, {}),
    ]


# ---------------------------------------------------------------------------------------------------------
# Tokenizers

def smollm2_encoder():
    if not SMOLLM2.exists():
        return None
    sys.path.insert(0, str(FIXTURES))
    import make_tokenizer_reference as mtr
    mtr.MODEL = SMOLLM2
    _, hf_smollm2, _ = mtr.hf_references()
    return lambda text: hf_smollm2(text, True)


def llama3_encoder():
    if not LLAMA3_TOKENIZER.exists():
        return None
    try:
        import tiktoken
        from tiktoken.load import load_tiktoken_bpe
    except ImportError:
        return None
    ranks = load_tiktoken_bpe(str(LLAMA3_TOKENIZER))
    pattern = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
    names = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
             "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>", "<|start_header_id|>", "<|end_header_id|>",
             "<|eom_id|>", "<|eot_id|>", "<|python_tag|>"]
    names += [f"<|reserved_special_token_{i}|>" for i in range(3, 256 - len(names) + 3)]
    special = {name: len(ranks) + i for i, name in enumerate(names)}
    encoding = tiktoken.Encoding(name="llama3", pat_str=pattern, mergeable_ranks=ranks, special_tokens=special)
    return lambda text: encoding.encode(text, allowed_special="all")


# ---------------------------------------------------------------------------------------------------------

def version(package):
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def smollm2_special_tokens():
    if not SMOLLM2.exists():
        return {}
    from gguf import GGUFReader
    reader = GGUFReader(str(SMOLLM2))
    tokens = reader.fields["tokenizer.ggml.tokens"].contents()
    out = {}
    for name, key in (("bos_token", "tokenizer.ggml.bos_token_id"), ("eos_token", "tokenizer.ggml.eos_token_id"),
                      ("unk_token", "tokenizer.ggml.unknown_token_id"), ("pad_token", "tokenizer.ggml.padding_token_id")):
        if key in reader.fields:
            out[name] = tokens[int(reader.fields[key].contents())]
    return out


def main():
    templates = {
        "llama3.1": ("llama-3.1-instruct.jinja", LLAMA_SPECIAL),
        "llama3.2": ("llama-3.2-instruct.jinja", LLAMA_SPECIAL),
        "qwen2.5": ("qwen2.5-instruct.jinja", {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"}),
        "mistral-nemo": ("mistral-nemo-instruct-2407.jinja", {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}),
        "smollm2": ("smollm2-135m-instruct.jinja", smollm2_special_tokens()),
    }
    sources = {name: (TEMPLATES / file).read_text(encoding="utf-8") for name, (file, _) in templates.items()}
    encoders = {"smollm2": smollm2_encoder(), "llama3": llama3_encoder()}

    plan = []
    for case in llama31_cases():
        plan.append(("llama3.1", "l31-" + case[0], case))
    for case in llama31_cases() + llama32_extra_cases():
        plan.append(("llama3.2", "l32-" + case[0], case))
    for case in shared_cases():
        for name in templates:
            plan.append((name, f"shared-{name}-{case[0]}", case))

    records = []
    cross_checked = 0
    for template_name, case_id, (_, messages, tools, generation, kwargs) in plan:
        special = templates[template_name][1]
        record = {"id": case_id, "template": template_name, "messages": messages, "add_generation_prompt": generation}
        if tools is not None:
            record["tools"] = tools
        if kwargs:
            record["template_kwargs"] = kwargs
        try:
            text = render(sources[template_name], copy.deepcopy(messages), copy.deepcopy(tools), generation, special, copy.deepcopy(kwargs))
            record["text"] = text
        except Exception as error:  # the template raised: record that it must fail
            record["error"] = f"{type(error).__name__}: {error}"
            text = None
        via_transformers = None
        try:
            via_transformers = transformers_render(sources[template_name], messages, tools, generation, special, kwargs)
        except Exception:
            via_transformers = "<error>"
        if via_transformers is not None:
            expected = text if text is not None else "<error>"
            if via_transformers != expected:
                sys.exit(f"{case_id}: this script and transformers disagree:\n{expected!r}\n{via_transformers!r}")
            cross_checked += 1
        if text is not None:
            if template_name == "smollm2" and encoders["smollm2"]:
                record["ids"] = encoders["smollm2"](text)
            if template_name.startswith("llama3") and encoders["llama3"]:
                record["ids_llama3"] = encoders["llama3"](text)
        records.append(record)

    header = {
        "generator": "Tests/Fixtures/make_chat_reference.py",
        "fixed_now": FIXED_NOW.isoformat(),
        "templates": {name: {"file": f"templates/{file}", "special_tokens": special} for name, (file, special) in templates.items()},
        "versions": {name: version(name) for name in ("jinja2", "transformers", "tokenizers", "tiktoken", "gguf")},
        "cross_checked_with_transformers": cross_checked,
        "note": "'text' is the jinja2 render; 'error' means the template raised. 'ids' (SmolLM2, hf_smollm2) and "
                "'ids_llama3' (tiktoken on .models/llama3/tokenizer.model) have special tokens parsed and no BOS added.",
    }
    OUT.write_text(json.dumps({"header": header, "cases": records}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {len(records)} cases, {sum('error' in r for r in records)} errors, "
          f"{cross_checked} cross-checked with transformers; smollm2 ids: {bool(encoders['smollm2'])}, llama3 ids: {bool(encoders['llama3'])}")

    write_jinja_cases()


# ---------------------------------------------------------------------------------------------------------
# Engine snippets: (template, context). Each is rendered by the same environment; errors keep their type name.

JINJA_CONTEXT = {
    "s": "  Hello, World  ", "n": 7, "f": 2.5, "neg": -7, "t": True, "none": None, "empty": "", "lst": [3, 1, 2],
    "words": ["b", "A", "c"], "d": {"b": 2, "a": 1, "c": {"x": [1, {"y": "z"}]}},
    "msgs": [{"role": "system", "content": "S"}, {"role": "user", "content": "U1"}, {"role": "assistant", "content": "A1"},
             {"role": "user", "content": "U2", "extra": 1}],
    "people": [{"name": "Ann", "age": 31, "tags": ["x"]}, {"name": "bob", "age": 25}, {"name": "Cy", "age": 31, "tags": []}],
    "uni": "héllo wörld ß ǆ ﬁ 😀",
}

JINJA_SNIPPETS = [
    # output and literals
    "{{ 'a' ~ 1 ~ none ~ true }}", "{{ [1, 'two', 3.0, none, true, {'k': [1]}] }}", "{{ (1,) }}{{ () }}{{ (1, 'a') }}",
    "{{ 1e3 }} {{ 1.5e-7 }} {{ 10000000000000000.0 }} {{ 0.1 + 0.2 }} {{ 1_000 }} {{ 3.0 }}", "{{ \"it's\" }} {{ 'say \"hi\"' }} {{ ['it\\'s', \"q\\\"\"] }}",
    "{{ '\\x41\\u00e9\\n\\t|' }}", "{{ 'abc' 'def' }}", "{{ d }}", "{{ uni }}", "{{ -n }} {{ +f }} {{ --n }}",
    # arithmetic and operators
    "{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % -3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 7.5 // 2 }} {{ -7.5 % 2 }}",
    "{{ 1 + 2 * 3 - 4 }} {{ (1 + 2) * 3 }} {{ 'ab' * 3 }} {{ 3 * 'ab' }} {{ [1] * 3 }} {{ [1, 2] + [3] }} {{ true + true }}",
    "{{ n > 5 and n < 10 }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 1 == 1.0 }} {{ [1] == (1,) }}",
    "{{ none or 'x' }} {{ 0 and 'x' }} {{ '' or [] }} {{ 'a' and 'b' }} {{ not none }} {{ not 'x' }}",
    "{{ 'x' if t else 'y' }} {{ 'x' if none else 'y' }} [{{ 'x' if none }}]", "{{ 'ell' in s }} {{ 'z' not in s }} {{ 2 in lst }} {{ 'a' in d }} {{ 'zz' in d }}",
    "{{ 'a' + 'b' | upper }} {{ -3 | abs }} {{ s | trim | length }}", "{{ 'x' + 1 }}", "{{ 1 / 0 }}", "{{ lst < 'a' }}",
    # attribute and item access
    "{{ d.a }} {{ d['b'] }} {{ d.c.x[1].y }} {{ d.c.x.0 }} {{ d.missing }}|{{ d['missing'] }}|", "{{ lst[0] }} {{ lst[-1] }} {{ lst[5] }}|{{ s[2] }}",
    "{{ lst[1:] }} {{ lst[:-1] }} {{ lst[::-1] }} {{ s[::-2] }} {{ lst[10:] }} {{ uni[1:4] }} {{ lst[::2] }}", "{{ none.x }}|{{ d.items is callable }}",
    "{{ missing.attr }}", "{{ missing['k'] }}", "{{ missing() }}", "{{ missing + 1 }}", "{{ missing ~ 'ok' }}{{ missing }}|{{ missing | length }}",
    # string methods
    "{{ s.strip() }}|{{ s.lstrip() }}|{{ s.rstrip() }}|{{ 'xxaxx'.strip('x') }}", "{{ s.upper() }} {{ s.lower() }} {{ \"they're bill's friends\".title() }} {{ 'hELLO wORLD'.capitalize() }}",
    "{{ 'a,b,,c'.split(',') }} {{ '  a  b '.split() }} {{ 'a b c'.split(' ', 1) }} {{ 'a b c'.rsplit(' ', 1) }} {{ 'l1\\nl2\\r\\nl3'.splitlines() }}",
    "{{ s.startswith('  He') }} {{ s.endswith(('x', '  ')) }} {{ 'abcabc'.replace('b', 'X') }} {{ 'abcabc'.replace('b', 'X', 1) }} {{ 'ab'.replace('', '-') }}",
    "{{ '{} and {}'.format(1, 'b') }} {{ '{0}{1}{0}'.format('x', 'y') }} {{ '{name}!'.format(name='Zed') }} {{ '{:>5}|{:<4}|{:^7}|'.format('a', 'b', 'c') }} {{ '{:.2f}'.format(3.14159) }}",
    "{{ ', '.join(['a', 'b']) }} {{ 'abc'.find('c') }} {{ 'abc'.find('z') }} {{ 'aaa'.count('a') }} {{ '42'.isdigit() }} {{ 'ab'.isalpha() }}",
    "{{ uni.upper() }} {{ uni.title() }}", "{{ '%s is %d years, %.1f%%' % ('Ann', 31, 99.5) }} {{ '%(a)s-%(b)s' % {'a': 1, 'b': 2} }}",
    # dict and list methods
    "{{ d.get('a') }} {{ d.get('zz') }} {{ d.get('zz', 'dflt') }} {{ d.keys() | list }} {{ d.values() | list | length }} {{ d.items() | list }}",
    "{{ lst.index(2) }} {{ lst.count(3) }}", "{{ lst.append(4) }}", "{{ d.update({'x': 1}) }}", "{% set x = lst.append %}ok{{ x }}",
    # filters
    "{{ lst | sort }} {{ lst | sort(reverse=true) }} {{ words | sort }} {{ words | sort(case_sensitive=true) }} {{ people | sort(attribute='age') | map(attribute='name') | join(',') }}",
    "{{ lst | first }} {{ lst | last }} {{ lst | length }} {{ lst | count }} {{ lst | sum }} {{ lst | max }} {{ lst | min }} {{ people | sum(attribute='age') }}",
    "{{ lst | join }} {{ lst | join('-') }} {{ people | join(', ', attribute='name') }} {{ lst | reverse | list }} {{ 'abc' | reverse }} {{ 'abc' | list }}",
    "{{ msgs | selectattr('role', 'equalto', 'user') | map(attribute='content') | list }} {{ msgs | rejectattr('role', 'equalto', 'user') | list | length }}",
    "{{ msgs | selectattr('extra') | list | length }} {{ msgs | selectattr('extra', 'defined') | map(attribute='role') | first }} {{ lst | select('odd') | list }} {{ lst | reject('even') | list }}",
    "{{ [1, 'a', none, 0] | select | list }} {{ lst | map('string') | list }} {{ ['a', 'b'] | map('upper') | join }} {{ people | map(attribute='tags', default=['-']) | list }}",
    "{{ d | items | list }} {{ d | dictsort }} {{ {'b': 1, 'A': 2, 'c': 0} | dictsort(by='value') }} {{ {'b': 1, 'A': 2} | dictsort(true) }}",
    "{{ none | default('d') }} {{ missing | default('d') }} {{ '' | default('d', true) }} {{ 0 | d('z', true) }} {{ false | default('d') }}",
    "{{ s | trim }}|{{ 'xxhixx' | trim('x') }}|{{ none | trim }}|{{ 42 | string }}|{{ none | string }}|{{ missing | string }}|{{ [1] | string }}",
    "{{ '3' | int }} {{ '3.9' | int }} {{ 'x' | int }} {{ 'x' | int(7) }} {{ 3.9 | int }} {{ '0x1A' | int(0, 16) }} {{ ' 12 ' | int }} {{ '4.5' | float }} {{ 'a' | float }} {{ 3 | float }}",
    "{{ 2.5 | round }} {{ 3.5 | round }} {{ 2.567 | round(2) }} {{ 2.1 | round(0, 'ceil') }} {{ 2.9 | round(method='floor') }} {{ 12345 | round(-2) }}",
    "{{ 'hello world-foo (bar)' | title }} {{ 'hELLO' | capitalize }} {{ 'ABC' | lower }} {{ 'abc' | upper }} {{ 'a b c d' | wordcount }}",
    "{{ 'a\\nb\\n\\nc' | indent }}|{{ 'a\\nb' | indent(2, true) }}|{{ 'a\\n\\nb' | indent('>>', blank=true) }}|{{ '' | indent(first=true) }}",
    "{{ 'abcabc' | replace('b', '') }} {{ 'aaa' | replace('a', 'b', 2) }} {{ 'x' | center(5) }}|{{ 'xy' | center(5) }}|",
    "{{ [1, 2, 2, 'A', 'a'] | unique | list }} {{ ['A', 'a'] | unique(case_sensitive=true) | list }} {{ lst | batch(2) | list }} {{ lst | batch(2, 0) | list }}",
    "{{ '<a href=\"x\">&\\'' | e }} {{ '<b>' | escape }} {{ '<i>' | safe }} {{ 'x' | attr('upper') is callable }} {{ '%s-%s' | format(1, 2) }}",
    "{{ 'long sentence here for truncation' | truncate(15) }}|{{ 'long sentence here' | truncate(9, true) }}|{{ 'short' | truncate(3, leeway=5) }}",
    "{{ d | tojson }} {{ lst | tojson }} {{ 'é\"\\n' | tojson }} {{ none | tojson }} {{ 1.0 | tojson }} {{ (1, 2) | tojson }}",
    "{{ d | tojson(indent=2) }}", "{{ d | tojson(sort_keys=true) }} {{ d | tojson(separators=(',', ':')) }} {{ 'é' | tojson(ensure_ascii=true) }} {{ {} | tojson(indent=2) }} {{ [] | tojson(indent=2) }}",
    "{{ missing | tojson }}", "{{ none | items | list }}", "{{ missing | items | list }}", "{{ 5 | length }}", "{{ lst | batch(0) | list }}",
    # tests
    "{{ n is odd }} {{ n is even }} {{ n is divisibleby 7 }} {{ n is number }} {{ t is number }} {{ f is float }} {{ n is integer }} {{ t is integer }} {{ t is boolean }}",
    "{{ s is string }} {{ lst is sequence }} {{ d is mapping }} {{ s is iterable }} {{ n is iterable }} {{ missing is iterable }} {{ missing is sequence }} {{ d is iterable }}",
    "{{ missing is defined }} {{ missing is undefined }} {{ none is none }} {{ none is defined }} {{ n is not none }} {{ s is not string }}",
    "{{ n is eq 7 }} {{ n is equalto 7 }} {{ n is ne 7 }} {{ n is gt 3 }} {{ n is ge 7 }} {{ n is lt 3 }} {{ n is le 7 }} {{ 2 is in lst }} {{ n is sameas 7 }} {{ none is sameas none }}",
    "{{ 'abc' is lower }} {{ 'ABC' is upper }} {{ t is true }} {{ t is false }} {{ range is callable }} {{ 'upper' is filter }} {{ 'odd' is test }} {{ 'x' is escaped }}",
    # statements
    "{% for x in lst %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.revindex0 }}/{{ loop.first }}/{{ loop.last }}/{{ loop.length }} {% endfor %}",
    "{% for x in lst %}{{ loop.previtem | default('-') }}>{{ x }}>{{ loop.nextitem | default('-') }} {% endfor %}{% for x in lst %}{{ loop.cycle('a', 'b') }}{% endfor %}",
    "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}|{% for k in d %}{{ k }}{% endfor %}|{% for c in 'abc' %}{{ c }}.{% endfor %}",
    "{% for x in [] %}x{% else %}empty{% endfor %} {% for x in lst if x > 1 %}{{ x }}{{ loop.length }}{% else %}none{% endfor %}",
    "{% for x in lst %}{% if x == 1 %}{% continue %}{% endif %}{% if x == 2 %}{% break %}{% endif %}{{ x }}{% endfor %}",
    "{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }}{% endfor %} {% for (a, b), c in [((1, 2), 3)] %}{{ a }}{{ b }}{{ c }}{% endfor %}",
    "{% for x in lst %}{% for y in 'ab' %}{{ loop.index }}{{ y }}{% endfor %}{{ loop.index }};{% endfor %}", "{% for a, b in [[1, 2, 3]] %}{% endfor %}",
    "{% for x in none %}{% endfor %}", "{% for x in missing %}x{% else %}undefined iterates as empty{% endfor %}",
    "{% set x = 1 %}{% for i in range(3) %}{% set x = x + i %}{{ x }}{% endfor %}{{ x }}", "{% if true %}{% set y = 'set in if' %}{% endif %}{{ y }}",
    "{% set ns = namespace(total=0, items=[]) %}{% for i in range(4) %}{% set ns.total = ns.total + i %}{% set ns.items = ns.items + [i] %}{% endfor %}{{ ns.total }} {{ ns.items }}",
    "{% set ns = namespace() %}{% set ns.found = false %}{% for m in msgs %}{% if m.role == 'user' %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }}",
    "{% set a, b = 1, 2 %}{{ a }}{{ b }} {% set t = 1, 2 %}{{ t }}", "{% set block %}  inner {{ n }}  {% endset %}[{{ block }}]", "{% set up | upper %}shout{% endset %}{{ up }}",
    "{% set ns = namespace(a=1) %}{% set ns.me = ns %}{{ ns }}", "{% set x = 5 %}{% set x.y = 1 %}", "{% set ns = namespace() %}{% set ns._private = 1 %}", "{{ namespace(_x=1) }}",
    "{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}{{ greet('Ann') }} {{ greet('Bob', 'Hi') }} {{ greet(name='Cy', greeting='Yo') }}",
    "{% macro m() %}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, a=3) }}", "{% macro list_items(items) %}{% for i in items %}<{{ caller(i) }}>{% endfor %}{% endmacro %}{% call(x) list_items(lst) %}{{ x * 2 }}{% endcall %}",
    "{% macro outer() %}[{{ caller() }}]{% endmacro %}{% call outer() %}body {{ n }}{% endcall %}", "{% filter upper %}make me loud {{ s | trim }}{% endfilter %}",
    "{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}{{ a }}", "{% raw %}{{ not rendered }} {% if %}{% endraw %}", "{{ range(3) | list }} {{ range(1, 10, 3) | list }} {{ range(5, 0, -2) | list }}",
    "{{ dict(a=1, b='x') }} {{ dict([('k', 'v')]) }} {% set j = joiner(' | ') %}{% for x in lst %}{{ j() }}{{ x }}{% endfor %}",
    "{{ raise_exception('custom failure') }}", "{{ strftime_now('%Y-%m-%d %H:%M:%S %a %A %b %B %j %I%p %y %e') }}",
    # whitespace control
    "a  {{- ' b ' -}}  c\n  {%- if true -%}\n  d  \n{%- endif -%}  e", "line1\n    {% if true %}\n    inner\n    {% endif %}\nline2\n",
    "  {{ 'v' }}  {% if true %}x{% endif %}  \n", "{# comment #}\nA\n  {# indented comment #}\nB {#- trim -#} C", "{%+ if true %}keep lstrip{% endif %}\n  {%+ if true %}\nX{% endif %}",
    "x {% if true %}\ny{% endif +%}\nz", "{% for i in range(2) %}\n  - {{ i }}\n{% endfor %}\n", "{% if true %}  \n{% endif %}end\n\n", "trailing newline kept once\n\n",
    "{{ 'crlf' }}\r\n{% if true %}\r\nin\r\n{% endif %}\r\n", "{%- if true %}\n\t\t{%- if true %}x{% endif %}\n{% endif %}",
    # syntax errors and unknown names (errors recorded by type)
    "{{ 1 + }}", "{% if x %}never closed", "{% for x in lst %}", "{% endfor %}", "{{ x | no_such_filter }}", "{{ x is no_such_test }}",
    "{% unknown_tag %}", "{{ 'unterminated }}", "{% if true %}{% else %}{% else %}{% endif %}", "{{ lst[1:2:0] }}", "{% break %}",
]


def write_jinja_cases():
    records = []
    for source in JINJA_SNIPPETS:
        record = {"template": source}
        try:
            record["output"] = ENV.from_string(source).render(**copy.deepcopy(JINJA_CONTEXT))
        except Exception as error:
            record["error"] = type(error).__name__
            record["message"] = str(error)
        records.append(record)
    JINJA_OUT.write_text(json.dumps({"header": {"generator": "Tests/Fixtures/make_chat_reference.py", "fixed_now": FIXED_NOW.isoformat(),
                                                 "jinja2": version("jinja2"), "context": JINJA_CONTEXT},
                                     "cases": records}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {JINJA_OUT}: {len(records)} snippets, {sum('error' in r for r in records)} errors")


if __name__ == "__main__":
    main()
