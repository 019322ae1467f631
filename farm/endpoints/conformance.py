"""The tool-calling conformance probe's fixed requests and the checks of their replies.

Twenty requests cover what a BFCL run relies on: one call, parallel calls, choosing among
tools, no call needed, nested object and array arguments, enums, integers/numbers/booleans,
unicode, a long argument, a tool without parameters, ``tool_choice`` none/required/named,
a tool-result turn, a system prompt and an earlier exchange. Each reply is checked for
structure only (never for the right answer): the HTTP status and body shape, tool calls
where expected (and none where not), each call naming an offered tool, arguments a JSON
string (not an object), decoding to an object valid against the tool's JSON schema, and a
finish reason that matches (``tool_calls``/``stop``; ``length`` is truncation). Calls
written into the text instead of ``tool_calls`` are reported with the family call format
that reads them (:func:`farm.formats.families.suggest`).

:func:`probe_answer` is the ground truth the farm's simulator answers the probe with.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from jsonschema import Draft7Validator

from farm.formats.families import client_calls, suggest
from farm.formats.pydecode import DecodeError, decode_python_calls

Expect = Literal["one", "several", "some", "none"]


def _tool(
    name: str, description: str, properties: dict[str, Any], required: list[str]
) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": properties, "required": required},
        },
    }


WEATHER = _tool(
    "get_weather",
    "Current weather of a city.",
    {
        "city": {"type": "string", "description": "City name, in any language."},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
    },
    ["city"],
)
FLIGHTS = _tool(
    "search_flights",
    "Search flights between two airports.",
    {
        "origin": {"type": "string", "description": "IATA code"},
        "destination": {"type": "string", "description": "IATA code"},
        "passengers": {"type": "integer"},
        "filters": {
            "type": "object",
            "properties": {
                "max_price": {"type": "number"},
                "airlines": {"type": "array", "items": {"type": "string"}},
                "nonstop": {"type": "boolean"},
            },
        },
    },
    ["origin", "destination"],
)
EVENT = _tool(
    "create_event",
    "Create a calendar event.",
    {
        "title": {"type": "string"},
        "attendees": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "email": {"type": "string"}},
                "required": ["name"],
            },
        },
        "time": {
            "type": "object",
            "properties": {"start": {"type": "string"}, "end": {"type": "string"}},
            "required": ["start"],
        },
    },
    ["title", "attendees"],
)
TRANSLATE = _tool(
    "translate",
    "Translate a text.",
    {"text": {"type": "string"}, "target": {"type": "string", "enum": ["en", "de", "fr", "ja"]}},
    ["text", "target"],
)
SUMMARIZE = _tool(
    "summarize",
    "Summarize a text.",
    {"text": {"type": "string"}, "max_words": {"type": "integer"}},
    ["text"],
)
CLOCK = _tool("get_time", "The current time.", {}, [])
ALARM = _tool(
    "set_alarm",
    "Set an alarm.",
    {
        "hour": {"type": "integer"},
        "minute": {"type": "integer"},
        "label": {"type": "string"},
        "repeat": {"type": "boolean"},
    },
    ["hour", "minute"],
)
ALL_TOOLS = [WEATHER, FLIGHTS, EVENT, TRANSLATE, SUMMARIZE, CLOCK, ALARM]

LONG_TEXT = " ".join(
    f"Paragraph {i}: the farm measures how language models call functions, case by case."
    for i in range(40)
)


@dataclass(frozen=True)
class Probe:
    """One fixed request and what its reply must look like.

    Attributes:
        name: short name, shown in the table.
        messages: the chat messages sent.
        tools: the tools offered.
        expect: ``one`` call, ``several`` (two or more), ``some`` (one or more) or ``none``.
        tool_choice: sent when not None.
        names: the tool names an expected call must use (empty: any offered tool).
        answer: the calls a conforming model makes (the simulator's ground truth).
    """

    name: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    expect: Expect
    tool_choice: str | dict[str, Any] | None = None
    names: tuple[str, ...] = ()
    answer: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def _user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


PROBES: tuple[Probe, ...] = (
    Probe("one_call", _user("What is the weather in Paris?"), [WEATHER], "one", None,
          ("get_weather",), [("get_weather", {"city": "Paris"})]),
    Probe("parallel_calls", _user("What is the weather in Paris and in Tokyo?"), [WEATHER],
          "several", None, ("get_weather",),
          [("get_weather", {"city": "Paris"}), ("get_weather", {"city": "Tokyo"})]),
    Probe("choose_tool", _user("Translate 'good morning' into German."), ALL_TOOLS, "one",
          None, ("translate",), [("translate", {"text": "good morning", "target": "de"})]),
    Probe("no_call_needed", _user("What is 2 + 2? Answer directly, without tools."),
          [WEATHER, CLOCK], "none"),
    Probe("chitchat", _user("Hello! Please just say hi back."), ALL_TOOLS, "none"),
    Probe("nested_object", _user("Find nonstop flights from SFO to JFK for 2 under $400."),
          [FLIGHTS], "one", None, ("search_flights",),
          [("search_flights", {"origin": "SFO", "destination": "JFK", "passengers": 2,
                               "filters": {"max_price": 400, "nonstop": True}})]),
    Probe("array_of_strings", _user("Flights LHR to CDG, only on Air France or British Airways."),
          [FLIGHTS], "one", None, ("search_flights",),
          [("search_flights", {"origin": "LHR", "destination": "CDG",
                               "filters": {"airlines": ["Air France", "British Airways"]}})]),
    Probe("array_of_objects", _user(
        "Create an event 'Review' with Ana (ana@example.com) and Bo, from 10:00 to 11:00."),
          [EVENT], "one", None, ("create_event",),
          [("create_event", {"title": "Review",
                             "attendees": [{"name": "Ana", "email": "ana@example.com"},
                                           {"name": "Bo"}],
                             "time": {"start": "10:00", "end": "11:00"}})]),
    Probe("enum", _user("Weather in Chicago in fahrenheit, please."), [WEATHER], "one", None,
          ("get_weather",), [("get_weather", {"city": "Chicago", "unit": "fahrenheit"})]),
    Probe("scalar_types", _user("Set an alarm for 7:30, repeating, labelled 'gym'."), [ALARM],
          "one", None, ("set_alarm",),
          [("set_alarm", {"hour": 7, "minute": 30, "label": "gym", "repeat": True})]),
    Probe("unicode_argument", _user("東京の天気を教えてください。"), [WEATHER], "one", None,
          ("get_weather",), [("get_weather", {"city": "東京"})]),
    Probe("unicode_text", _user("Translate « Ça va très bien, merci » into Japanese."),
          [TRANSLATE], "one", None, ("translate",),
          [("translate", {"text": "Ça va très bien, merci", "target": "ja"})]),
    Probe("long_argument", _user("Summarize this text in 20 words:\n" + LONG_TEXT), [SUMMARIZE],
          "one", None, ("summarize",),
          [("summarize", {"text": LONG_TEXT, "max_words": 20})]),
    Probe("no_parameters", _user("What time is it?"), [CLOCK], "one", None, ("get_time",),
          [("get_time", {})]),
    Probe("tool_choice_none", _user("What is the weather in Rome?"), [WEATHER], "none", "none",
          (), [("get_weather", {"city": "Rome"})]),
    Probe("tool_choice_required", _user("I wonder about the weather in Oslo."), [WEATHER],
          "some", "required", ("get_weather",), [("get_weather", {"city": "Oslo"})]),
    Probe("tool_choice_named", _user("Wake me at 6:15."), [WEATHER, ALARM], "one",
          {"type": "function", "function": {"name": "set_alarm"}}, ("set_alarm",),
          [("set_alarm", {"hour": 6, "minute": 15})]),
    Probe("tool_result_turn", [
        {"role": "user", "content": "What is the weather in Lima?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_probe_1", "type": "function",
             "function": {"name": "get_weather", "arguments": "{\"city\": \"Lima\"}"}}]},
        {"role": "tool", "tool_call_id": "call_probe_1",
         "content": "{\"temperature\": 19, \"unit\": \"celsius\", \"sky\": \"cloudy\"}"},
    ], [WEATHER], "none"),
    Probe("system_prompt", [
        {"role": "system", "content": "You are a travel assistant. Use tools when useful."},
        {"role": "user", "content": "Weather in Cairo?"},
    ], [WEATHER, FLIGHTS], "one", None, ("get_weather",), [("get_weather", {"city": "Cairo"})]),
    Probe("earlier_exchange", [
        {"role": "user", "content": "Hi, I am planning a trip."},
        {"role": "assistant", "content": "Great! Where are you going?"},
        {"role": "user", "content": "Berlin. What is the weather there?"},
    ], [WEATHER, FLIGHTS], "one", None, ("get_weather",), [("get_weather", {"city": "Berlin"})]),
)  # fmt: skip

#: Probes that only make sense with native tools (skipped in prompt mode).
FC_ONLY = frozenset({"tool_choice_none", "tool_choice_required", "tool_choice_named",
                     "tool_result_turn"})  # fmt: skip

#: The probes of the short check made when a run or a worker starts.
SHORT = ("one_call", "parallel_calls", "no_call_needed", "nested_object")


def probe_payload(probe: Probe, model: str, mode: str = "fc") -> dict[str, Any]:
    """The chat completion body of ``probe`` for ``model`` (temperature 0).

    Prompt mode sends no tools: BFCL's system prompt lists the functions instead.
    """
    body: dict[str, Any] = {"model": model, "temperature": 0, "max_tokens": 2048}
    if mode == "prompt":
        from farm.prompts.system import with_system_prompt

        docs = [dict(t["function"]) for t in probe.tools]
        body["messages"] = with_system_prompt(probe.messages, docs, f"probe_{probe.name}")
        return body
    body["messages"] = probe.messages
    body["tools"] = probe.tools
    if probe.tool_choice is not None:
        body["tool_choice"] = probe.tool_choice
    return body


@dataclass
class Check:
    """The verdict on one probe reply.

    Attributes:
        probe: the probe's name.
        ok: whether the reply conforms.
        issues: one short text per non-conformance (``calls_as_text:hermes``,
            ``arguments_object``, ``invalid_json``, ``schema:...``, ``finish_reason:length``).
        calls: tool calls returned by the server.
        finish_reason: the reply's finish reason.
        text_format: the family format the reply text holds calls in, if any.
    """

    probe: str
    ok: bool = True
    issues: list[str] = field(default_factory=list)
    calls: int = 0
    finish_reason: str | None = None
    text_format: str | None = None

    def fail(self, issue: str) -> None:
        """Record a non-conformance."""
        self.ok = False
        if issue not in self.issues:
            self.issues.append(issue)


def _schemas(tools: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {t["function"]["name"]: t["function"].get("parameters") or {} for t in tools}


def check_prompt_reply(probe: Probe, status: int, body: Any) -> Check:
    """Check a prompt-mode reply: text holding a Python call list where calls are expected."""
    check = Check(probe.name)
    if status != 200:
        check.fail(f"http_{status}")
        return check
    try:
        choice = body["choices"][0]
        content = choice["message"].get("content")
    except (KeyError, IndexError, TypeError, AttributeError):
        check.fail("malformed_response")
        return check
    check.finish_reason = choice.get("finish_reason")
    if check.finish_reason != "stop":
        check.fail(f"finish_reason:{check.finish_reason or 'missing'}")
    if not isinstance(content, str):
        check.fail("content_not_text")
        return check
    try:
        calls = decode_python_calls(content)
    except DecodeError:
        calls = []
    check.calls = len(calls)
    if probe.expect == "none":
        if calls:
            check.fail(f"unexpected_calls:{len(calls)}")
        return check
    if not calls:
        check.fail("no_python_calls")
        return check
    schemas = _schemas(probe.tools)
    for call in calls:
        for name, args in call.items():
            if name not in schemas:
                check.fail(f"unknown_tool:{name}")
            elif list(Draft7Validator(schemas[name]).iter_errors(args)):
                check.fail(f"schema:{name}")
    if probe.expect == "one" and len(calls) != 1:
        check.fail(f"expected_1_call_got_{len(calls)}")
    if probe.expect == "several" and len(calls) < 2:
        check.fail(f"expected_parallel_calls_got_{len(calls)}")
    return check


def check_reply(probe: Probe, status: int, body: Any) -> Check:
    """Check one FC reply (HTTP ``status`` and decoded JSON ``body``) against ``probe``."""
    check = Check(probe.name)
    if status != 200:
        check.fail(f"http_{status}")
        return check
    try:
        choice = body["choices"][0]
        message = choice["message"]
        raw_calls = message.get("tool_calls") or []
        content = message.get("content")
        if not isinstance(raw_calls, list):
            raise TypeError("tool_calls is not a list")
    except (KeyError, IndexError, TypeError, AttributeError):
        check.fail("malformed_response")
        return check
    check.finish_reason = choice.get("finish_reason")
    check.calls = len(raw_calls)
    schemas = _schemas(probe.tools)
    for call in raw_calls:
        _check_call(check, call, schemas)
    text = content if isinstance(content, str) else ""
    if not raw_calls and text:
        docs = [t["function"] for t in probe.tools]
        family = suggest(text, docs)
        if family is not None and client_calls(text, family, docs):
            check.text_format = family
    _check_expectation(check, probe, raw_calls)
    return check


def _check_call(check: Check, call: Any, schemas: Mapping[str, Any]) -> None:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        check.fail("malformed_tool_call")
        return
    name = function["name"]
    if name not in schemas:
        check.fail(f"unknown_tool:{name}")
        return
    arguments = function.get("arguments")
    if isinstance(arguments, str):
        try:
            value = json.loads(arguments)
        except (ValueError, RecursionError):
            check.fail("invalid_json")
            return
    elif arguments is None:
        check.fail("arguments_missing")
        return
    else:
        check.fail("arguments_object")
        value = arguments
    if not isinstance(value, dict):
        check.fail("arguments_not_object")
        return
    errors = sorted(Draft7Validator(schemas[name]).iter_errors(value), key=str)
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or name
        check.fail(f"schema:{where}")


def _check_expectation(check: Check, probe: Probe, raw_calls: list[Any]) -> None:
    n = len(raw_calls)
    if check.finish_reason == "length":
        check.fail("finish_reason:length")
    elif check.finish_reason is None:
        check.fail("finish_reason:missing")
    if probe.expect == "none":
        if n:
            check.fail(f"unexpected_calls:{n}")
        elif check.text_format is not None and probe.tool_choice != "none":
            check.fail(f"calls_as_text:{check.text_format}")
        return
    if n == 0:
        check.fail(f"calls_as_text:{check.text_format}" if check.text_format else "no_tool_calls")
        return
    if probe.expect == "one" and n != 1:
        check.fail(f"expected_1_call_got_{n}")
    if probe.expect == "several" and n < 2:
        check.fail(f"expected_parallel_calls_got_{n}")
    if probe.names:
        names = {c.get("function", {}).get("name") for c in raw_calls if isinstance(c, dict)}
        if not names <= set(probe.names):
            check.fail("wrong_tool")
    if check.finish_reason not in (None, "length", "tool_calls", "stop"):
        check.fail(f"finish_reason:{check.finish_reason}")


def probe_answer(messages: Sequence[Mapping[str, Any]]) -> list[tuple[str, dict[str, Any]]] | None:
    """The conforming calls for a probe's ``messages`` (``[]``: answer text), else None.

    System messages are left out of the comparison (prompt mode prepends BFCL's prompt).
    """
    asked = [m for m in messages if m.get("role") != "system"]
    for probe in PROBES:
        if asked == [m for m in probe.messages if m.get("role") != "system"]:
            return list(probe.answer) if probe.expect != "none" else []
    return None
