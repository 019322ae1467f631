"""llama.cpp's ``llama-server``: one GGUF file, on CPU or GPU, OpenAI-compatible.

The command line::

    llama-server --model <file.gguf> --host H --port P --alias <served name>,farm-<nonce>
      --jinja [--chat-template-file F] --parallel <slots> [--ctx-size <max_model_len x slots>]
      <extra_args>

``--jinja`` renders the GGUF's own chat template (``tokenizer.chat_template``), or the one
given with ``--chat-template-file``, so tools reach the model and llama.cpp parses the calls
of the families it knows. ``--parallel`` is the number of slots (``max_num_seqs``, default
:data:`DEFAULT_SLOTS`); llama.cpp divides ``--ctx-size`` among the slots, so the farm asks for
``max_model_len`` times the slots and every slot holds a whole ``max_model_len``.
``/v1/models`` lists one entry whose ``aliases`` hold both names. vLLM-only settings (tool
and reasoning parsers, tensor parallelism, GPU memory fraction) do not apply and are not
passed; GPU offload is an ``extra_args`` matter (``--n-gpu-layers``).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence

from farm.errors import ServingError
from workers.serving.backend import ServerBackend, check_extra_args
from workers.serving.spec import LaunchSpec

#: Slots when the model names no ``max_num_seqs`` (llama-server's own automatic choice).
DEFAULT_SLOTS = 4
#: The executable looked up on PATH when no launcher is given.
EXECUTABLE = "llama-server"
_RESERVED = ("-m", "--model", "-a", "--alias", "--host", "--port", "-np", "--parallel")


class LlamaCppBackend(ServerBackend):
    """``llama-server --model FILE.gguf ...`` (see the module docstring)."""

    nonce_alias = True

    def launcher(self, given: Sequence[str] | None) -> list[str]:
        """``given`` (``FARM_SERVER_COMMAND``), else ``llama-server`` from PATH.

        Raises:
            ServingError: when no launcher is given and PATH has no ``llama-server``.
        """
        if given:
            return list(given)
        found = shutil.which(EXECUTABLE)
        if found is None:
            raise ServingError(
                f"{EXECUTABLE} is not on PATH: install llama.cpp's server, or set "
                "FARM_SERVER_COMMAND to its path"
            )
        return [found]

    def command(
        self,
        spec: LaunchSpec,
        *,
        nonce_name: str,
        host: str,
        port: int,
        launcher: Sequence[str] | None = None,
    ) -> list[str]:
        """The llama-server command line for ``spec`` (``spec.model`` is the GGUF file)."""
        check_extra_args(spec, reserved=_RESERVED)
        slots = spec.max_num_seqs or DEFAULT_SLOTS
        cmd = [*self.launcher(launcher), "--model", spec.model, "--host", host, "--port", str(port)]
        cmd += ["--alias", f"{spec.served_name},{nonce_name}", "--jinja"]
        if spec.chat_template:
            cmd += ["--chat-template-file", spec.chat_template]
        cmd += ["--parallel", str(slots)]
        if spec.max_model_len:
            cmd += ["--ctx-size", str(spec.max_model_len * slots)]
        return cmd + list(spec.extra_args)
