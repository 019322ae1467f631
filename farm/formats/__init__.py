"""Call formats: how a request offers the functions and how a reply decodes into calls.

A :class:`~farm.formats.base.CallFormat` is one strategy object, registered by name with the
:func:`~farm.formats.registry.call_format` decorator; that decorator is the only list of
formats (every module under ``farm/formats/`` is imported on the first lookup). A model spec
names its format in ``mode``; ``--mode fc|prompt`` spells the two built-in ones:

- ``fc`` (:mod:`farm.formats.fc`): the functions go out as native OpenAI ``tools``; a reply
  is stored as BFCL's ``[{tool_name: arguments_json}]`` when it holds tool calls, else as its
  text, and decodes with ``json.loads`` (names had ``.`` replaced by ``_``).
- ``prompt`` (:mod:`farm.formats.prompt`): BFCL's prompt-mode system prompt lists the
  functions; a reply is its text, decoded as BFCL's Python, Java or JavaScript call syntax
  (or, for a format-sensitivity case, in its configuration's JSON or XML return format,
  with or without ``<TOOLCALL>`` tags).

Adding a format (for instance a model family that answers an FC request with
``<tool_call>{json}</tool_call>`` in its text) is one module, say
``farm/formats/families/hermes.py``::

    @call_format("hermes")
    class Hermes(FunctionCalling):        # native tools out, like FC
        def decode(self, reply, *, language, tool_call_tag=False):
            if isinstance(reply, str):     # no tool_calls: the calls are in the text
                return parse_tags(reply)   # -> [{name: {param: value}}]
            return super().decode(reply, language=language)

``decode`` receives the whole stored reply, exactly what ``record`` kept of the completion
(the default keeps the tool calls when there are any, else the text; override ``record`` to
keep both). Hooks with defaults: ``opening`` (messages before the first request),
``tools``, ``record``, ``execute_strings`` (multi-turn call strings, by default rendered from
``decode``), ``assistant_message``, ``tool_results`` and ``holdout_message`` (the
multi-turn conversation). Only ``decode`` and ``tools`` must be written.
"""

from farm.formats.base import CallFormat
from farm.formats.registry import call_format, format_names, get_format

__all__ = ["CallFormat", "call_format", "format_names", "get_format"]
