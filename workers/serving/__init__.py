"""Model servers a GPU worker hosts (vLLM, SGLang) or attaches to.

:class:`~workers.serving.host.ModelServer` hosts or attaches; process mechanics live in
:mod:`workers.serving.process`, port reservation in :mod:`workers.serving.ports`, command
lines in :mod:`workers.serving.vllm` and :mod:`workers.serving.sglang`, readiness in
:mod:`workers.serving.readiness`, and the worker-facing entry point in
:mod:`workers.serving.hosting`.
"""
