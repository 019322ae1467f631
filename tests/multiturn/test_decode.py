"""Model steps decode into BFCL's call strings, with BFCL's quirks and without eval."""

from __future__ import annotations

import json

import pytest

from farm.formats.execute import DecodeError, decode_execute, is_empty_response


def test_fc_tool_calls_render_with_repr_values_and_no_spaces() -> None:
    step = [{"cd": json.dumps({"folder": "docs"})}, {"mv": {"source": "a", "destination": "b"}}]
    assert decode_execute(step, mode="fc") == [
        "cd(folder='docs')",
        "mv(source='a',destination='b')",
    ]
    assert decode_execute({"ls": "{}"}, mode="fc") == ["ls()"]


@pytest.mark.parametrize(
    "step",
    ["I am done.", [{"cd": "{not json"}], [{"cd": "[1, 2]"}], ["cd"], [{"cd": 5}]],
)
def test_fc_steps_bfcl_cannot_decode_are_refused(step) -> None:
    with pytest.raises(DecodeError):
        decode_execute(step, mode="fc")


def test_fc_empty_replies_decode_to_no_call() -> None:
    assert decode_execute([], mode="fc") == []
    assert decode_execute("", mode="fc") == []
    assert is_empty_response([])


def test_prompt_text_decodes_keyword_calls_and_drops_positional_arguments() -> None:
    assert decode_execute("[cd(folder='docs'), ls(a=True)]", mode="prompt") == [
        "cd(folder='docs')",
        "ls(a=True)",
    ]
    assert decode_execute("cd('docs', x=1)", mode="prompt") == ["cd(x=1)"]
    assert decode_execute("```\n[pwd()]\n```", mode="prompt") == ["pwd()"]
    assert decode_execute("[]", mode="prompt") == []
    assert decode_execute("[f(a=1, a=2)]", mode="prompt") == ["f(a=2)"]


def test_prompt_values_follow_bfcls_resolution_rules() -> None:
    assert decode_execute("[f(a=true, b=foo, c=-5, d=+5)]", mode="prompt") == [
        "f(a='true', b='foo', c=-5, d=-5)"
    ]
    assert decode_execute("[f(a=2*3, b='x'+'y', c=(1, 2), d=...)]", mode="prompt") == [
        "f(a=6, b='xy', c=(1, 2), d='...')"
    ]
    assert decode_execute("[f(a=g(), b=g(x=1), c=l[0])]", mode="prompt") == [
        "f(a='g()', b=g(x=1), c='l[0]')"
    ]
    assert decode_execute("[f(d={1: {'k': 2}}, e={'a': 1, 2: [3]})]", mode="prompt") == [
        "f(d=1(k=2), e={'a': 1, '2': [3]})"
    ]


@pytest.mark.parametrize(
    "text",
    [
        "```python\n[pwd()]\n```",
        "Sure! I will call pwd.",
        "[pwd(), 3]",
        "[f(a=x.y)]",
        "[f(a={})]",
        "[f(a=lambda: 1)]",
        "[f(a=-x)]",
        "[f(a=2**100000)]",
        "[f(a='x'*10**9)]",
        "[f(a=len('x')+1)]",
    ],
)
def test_prompt_steps_bfcl_cannot_decode_are_refused(text) -> None:
    with pytest.raises(DecodeError):
        decode_execute(text, mode="prompt")


def test_a_prompt_mode_step_that_is_not_text_is_refused() -> None:
    with pytest.raises(DecodeError):
        decode_execute([{"cd": "{}"}], mode="prompt")
