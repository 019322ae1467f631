from __future__ import annotations

import ast
import itertools
import json
import zipfile

import pytest

from farm.errors import ConfigError
from farm.prompts.system import (
    DEFAULT_FORMAT,
    prompt_format_for,
    system_prompt,
    with_system_prompt,
)
from farm.prompts.tools import to_openai_tools, with_language_hints

DOC = {
    "name": "math.hypot",
    "description": "Hypotenuse.",
    "parameters": {
        "type": "dict",
        "properties": {"x": {"type": "float", "description": "Side."}},
        "required": ["x"],
    },
}

EXPECTED_DEFAULT = (
    "You are an expert in composing functions.You are given a question and a set of possible "
    "functions. Based on the question, you will need to make one or more function/tool calls to "
    "achieve the purpose. If none of the functions can be used, point it out. If the given "
    "question lacks the parameters required by the function, also point it out.\n\n"
    "You should only return the function calls in your response.\n\n"
    "If you decide to invoke any of the function(s), you MUST put it in the format of "
    "[func_name1(params_name1=params_value1, params_name2=params_value2...), func_name2(params)]."
    "  You SHOULD NOT include any other text in the response.\n\n"
    "At each turn, you should try your best to complete the tasks requested by the user within "
    "the current turn. Continue to output functions to call until you have fulfilled the user's "
    "request to the best of your ability. Once you have no more functions to call, the system "
    "will consider the current turn complete and proceed to the next turn or task.\n\n"
    "Here is a list of functions in json format that you can invoke.\n"
    + json.dumps([DOC], indent=4)
    + "\n"
)


def test_the_default_system_prompt_is_bfcls_byte_for_byte():
    assert system_prompt([DOC]) == EXPECTED_DEFAULT


def test_the_prompt_is_prepended_to_an_existing_system_message():
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]
    out = with_system_prompt(messages, [DOC], "live_simple_1-1-0")
    assert out[0]["content"] == EXPECTED_DEFAULT + "\n\nBe brief."
    assert messages[0]["content"] == "Be brief."  # input untouched
    out = with_system_prompt([{"role": "user", "content": "hi"}], [DOC], "simple_python_0")
    assert out[0] == {"role": "system", "content": EXPECTED_DEFAULT}
    assert out[1] == {"role": "user", "content": "hi"}


def test_format_sensitivity_ids_carry_their_own_configuration():
    fmt = "ret_fmt=json&tool_call_tag=True&func_doc_fmt=json&prompt_fmt=markdown&style=experimental"
    assert prompt_format_for(f"simple_python_3:{fmt}:0") == fmt
    assert prompt_format_for("simple_python_3") == DEFAULT_FORMAT
    text = system_prompt([DOC], fmt)
    assert text.startswith(
        "You are an expert in generating structured function calls.\n\n## Task\n"
    )
    assert "<TOOLCALL>```json" in text
    with pytest.raises(ConfigError):
        system_prompt([DOC], "ret_fmt=yaml")
    xml = system_prompt([DOC], fmt.replace("func_doc_fmt=json", "func_doc_fmt=xml"))
    assert 'callable functions in the xml style:\n<function name="math.hypot">' in xml


def _wheel_constants(wheel) -> dict:
    with zipfile.ZipFile(wheel) as archive:
        source = archive.read("bfcl_eval/constants/default_prompts.py").decode()
    values = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue
    return values


@pytest.mark.bfcl_wheel
def test_every_json_doc_prompt_matches_the_real_wheels_templates(bfcl_wheel):
    c = _wheel_constants(bfcl_wheel)
    docs = json.dumps([DOC], indent=4)
    for ret, tag, layout, style in itertools.product(
        c["OUTPUT_FORMAT_MAPPING"],
        (True, False),
        ("plaintext", "markdown"),
        ("classic", "experimental"),
    ):
        s = c["PROMPT_STYLE_TEMPLATES"][style]
        call = s["tool_call_with_tag" if tag else "tool_call_no_tag"].format(
            output_format=c["OUTPUT_FORMAT_MAPPING"][ret], param_types=c["PARAM_TYPE_MAPPING"][ret]
        )
        template = {
            "plaintext": c["_PLAINTEXT_SYSTEM_PROMPT_TEMPLATE"],
            "markdown": c["_MARKDOWN_SYSTEM_PROMPT_TEMPLATE"],
        }[layout]
        expected = template.format(
            persona=s["persona"],
            task=s["task"],
            tool_call_format=call,
            multiturn_behavior=s["multiturn_behavior"],
            available_tools=s["available_tools"].format(format="json", functions=docs),
        )
        fmt = (
            f"ret_fmt={ret}&tool_call_tag={tag}&func_doc_fmt=json&prompt_fmt={layout}&style={style}"
        )
        assert system_prompt([DOC], fmt) == expected, fmt
    assert c["DEFAULT_SYSTEM_PROMPT_FORMAT"] == DEFAULT_FORMAT


def test_fc_tools_are_converted_as_bfcl_converts_them():
    docs = [
        {
            "name": "shop.order",
            "description": "Order.",
            "parameters": {
                "type": "dict",
                "properties": {
                    "price": {"type": "float", "description": "Price."},
                    "count": {"type": "long", "description": "Count."},
                    "note": {"description": "No type."},
                    "odd": {"type": "weird", "description": "Unknown."},
                    "grid": {
                        "type": "array",
                        "description": "G.",
                        "items": {"type": "list", "items": {"type": "double"}},
                    },
                    "rows": {
                        "type": "tuple",
                        "description": "R.",
                        "items": {
                            "type": "dict",
                            "properties": {"w": {"type": "float", "description": "W."}},
                        },
                    },
                    "opts": {
                        "type": "dict",
                        "description": "O.",
                        "properties": {"fast": {"type": "bool", "description": "F."}},
                    },
                },
                "required": ["price"],
            },
            "response": {"type": "dict"},
        }
    ]
    original = json.dumps(docs)
    (tool,) = to_openai_tools(docs)
    assert json.dumps(docs) == original  # input untouched
    fn = tool["function"]
    assert tool["type"] == "function" and fn["name"] == "shop_order"
    assert fn["response"] == {"type": "dict"}  # left as an extra key for OpenAI
    params = fn["parameters"]
    assert params["type"] == "object" and params["required"] == ["price"]
    p = params["properties"]
    assert p["price"] == {
        "type": "number",
        "format": "float",
        "description": "Price. This is a float type value.",
    }
    assert p["count"]["type"] == "integer"
    assert p["note"]["type"] == "string" and p["odd"]["type"] == "string"
    assert p["grid"]["items"] == {"type": "array", "items": {"type": "number"}}
    assert p["rows"]["type"] == "array" and p["rows"]["items"]["type"] == "object"
    assert p["rows"]["items"]["properties"]["w"]["format"] == "float"
    assert p["opts"] == {
        "type": "object",
        "description": "O.",
        "properties": {"fast": {"type": "boolean", "description": "F."}},
    }


def test_an_unknown_item_type_fails_as_in_bfcl():
    doc = {
        "name": "f",
        "description": "",
        "parameters": {
            "type": "dict",
            "properties": {"xs": {"type": "array", "description": "", "items": {"type": "blob"}}},
        },
    }
    with pytest.raises(KeyError):
        to_openai_tools([doc])


def test_language_hints_follow_bfcl_for_python_java_and_javascript():
    (py,) = with_language_hints([DOC], "simple_python")
    assert py["description"] == "Hypotenuse. Note that the provided function is in Python 3 syntax."
    assert py["parameters"]["properties"]["x"]["type"] == "float"
    java_doc = {
        "name": "A.b",
        "description": "D.",
        "parameters": {
            "type": "dict",
            "properties": {
                "n": {"type": "long", "description": "N."},
                "xs": {"type": "ArrayList", "description": "Xs.", "items": {"type": "String"}},
                "o": {"type": "any", "description": "O."},
            },
        },
    }
    (java,) = with_language_hints([java_doc], "simple_java")
    props = java["parameters"]["properties"]
    assert java["description"].endswith("in Java 8 SDK syntax.")
    assert props["n"] == {
        "type": "string",
        "description": "N. This is Java long type parameter in string representation.",
    }
    assert props["xs"]["description"].endswith(
        "The list elements are of type String; they are not in string representation."
    )
    assert "items" not in props["xs"]
    assert props["o"]["description"].endswith("any type of Java object in string representation.")
    js_doc = {
        "name": "f",
        "description": "D.",
        "parameters": {
            "type": "dict",
            "properties": {
                "cfg": {
                    "type": "dict",
                    "description": "C.",
                    "properties": {"a": {"type": "integer"}},
                }
            },
        },
    }
    (js,) = with_language_hints([js_doc], "simple_javascript")
    cfg = js["parameters"]["properties"]["cfg"]
    assert cfg["type"] == "string" and "properties" not in cfg
    assert cfg["description"] == (
        "C. This is JavaScript dict type parameter in string representation. The dictionary "
        "entries have the following schema; they are not in string representation. "
        '{"a": {"type": "integer"}}'
    )
    assert js_doc["parameters"]["properties"]["cfg"]["type"] == "dict"  # input untouched
