"""Function docs in BFCL's XML and Python renderings (expected strings derived by hand)."""

from __future__ import annotations

import json

import pytest

from farm.errors import ConfigError
from farm.prompts.docs import function_doc
from farm.prompts.system import system_prompt

GEO = {
    "name": "geo.find",
    "description": "Find places.",
    "parameters": {
        "type": "dict",
        "properties": {
            "city": {"type": "string", "description": "City, state.", "enum": ["NY, NY", "LA"]},
            "radius": {"type": "integer", "description": "Km.", "default": 5},
            "tags": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Tags.",
                "default": ["a", "b"],
            },
            "filters": {
                "type": "dict",
                "description": "Filters.",
                "properties": {
                    "open": {"type": "boolean", "description": "Open now."},
                    "price": {"type": "float", "description": "Max."},
                },
                "required": ["open"],
            },
            "extra": {
                "type": "dict",
                "additionalProperties": {"type": "integer"},
                "description": "Extra.",
            },
        },
        "required": ["city"],
    },
}
PING = {  # no required list: BFCL's XML marks every parameter required
    "name": "ping",
    "description": "Ping.",
    "parameters": {"type": "dict", "properties": {"host": {"type": "string", "description": "H."}}},
}
NOOP = {"name": "noop", "description": "Nothing.", "parameters": {"type": "dict", "properties": {}}}

GEO_XML = (
    '<function name="geo.find">\n'
    "  <desc>Find places.</desc>\n"
    "  <params>\n"
    '    <param name="city" type="string" required="true">\n'
    "      <desc>City, state. Enum values: ['NY, NY', 'LA'].</desc>\n"
    "    </param>\n"
    '    <param name="radius" type="integer" required="false" default="5">\n'
    "      <desc>Km.</desc>\n"
    "    </param>\n"
    '    <param name="tags" type="array[string]" required="false" default="[\'a\' \'b\']">\n'
    "      <desc>Tags.</desc>\n"
    "    </param>\n"
    '    <param name="filters" type="dict" required="false">\n'
    "      <desc>Filters.</desc>\n"
    "      <params>\n"
    '        <param name="open" type="boolean" required="true">\n'
    "          <desc>Open now.</desc>\n"
    "        </param>\n"
    '        <param name="price" type="float" required="false">\n'
    "          <desc>Max.</desc>\n"
    "        </param>\n"
    "      </params>\n"
    "    </param>\n"
    '    <param name="extra" type="dict[integer]" required="false">\n'
    "      <desc>Extra.</desc>\n"
    "    </param>\n"
    "  </params>\n"
    "</function>\n"
)
PING_XML = (
    '<function name="ping">\n  <desc>Ping.</desc>\n  <params>\n'
    '    <param name="host" type="string" required="true">\n      <desc>H.</desc>\n'
    "    </param>\n  </params>\n</function>\n"
)
GEO_PY = (
    "# Function: geo.find\n"
    '    """\n'
    "    Find places.\n\n"
    "    Args:\n"
    "        city (str): City, state. Enum values: ['NY, NY', 'LA'].\n"
    "        radius (int, default=5): Km.\n"
    "        tags (list[str], default=['a', 'b']): Tags.\n"
    "        filters (dict): Filters.\n"
    "            open (bool): Open now.\n"
    "            price (float): Max.\n"
    "        extra (dict[str, int]): Extra.\n"
    '    """\n'
)
NOOP_PY = '# Function: noop\n    """\n    Nothing.\n\n    """\n'


def test_xml_docs_nest_drop_commas_in_tags_and_default_to_required():
    assert function_doc([GEO], "xml") == GEO_XML
    assert function_doc([GEO, PING], "xml") == GEO_XML + "\n" + PING_XML


def test_python_docs_nest_and_separate_blocks_as_bfcl_joins_them():
    assert function_doc([GEO], "python") == GEO_PY + "\n\n\n"
    assert function_doc([GEO, NOOP], "python") == GEO_PY + "\n\n\n\n\n" + NOOP_PY + "\n\n\n"


def test_json_docs_are_indented_json():
    assert function_doc([GEO, PING], "json") == json.dumps([GEO, PING], indent=4)


def test_the_system_prompt_names_the_doc_format_and_embeds_the_rendering():
    fmt = "ret_fmt=python&tool_call_tag=False&func_doc_fmt={}&prompt_fmt=plaintext&style=classic"
    for doc, rendered in (("xml", GEO_XML), ("python", GEO_PY + "\n\n\n")):
        text = system_prompt([GEO], fmt.format(doc))
        assert text.endswith(
            f"Here is a list of functions in {doc} format that you can invoke.\n" + rendered + "\n"
        )


def test_unrenderable_docs_and_formats_are_config_errors():
    with pytest.raises(ConfigError, match="yaml"):
        function_doc([GEO], "yaml")
    with pytest.raises(ConfigError, match="xml"):
        function_doc([{"name": "f", "description": "no parameters"}], "xml")
    assert (
        function_doc([{"name": "f"}], "python")
        == '# Function: f\n    """\n    \n\n    """\n' + "\n\n\n"
    )
