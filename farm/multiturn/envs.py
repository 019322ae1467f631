"""BFCL's multi-turn environments, built from the suite's stored source texts.

The multi-turn categories run against simulated backends (file system, messaging, trading,
travel booking, vehicle control, ...). BFCL's own implementations are plain-Python classes in
the bfcl-eval wheel (``eval_checker/multi_turn_eval/func_source_code/*.py``); the suite loader
stores their source texts in the suite row (``extra["multi_turn_sources"]``, file name to text,
and ``extra["multi_turn_class_files"]``, class name to file name), so that any worker can build
the environments from the database alone, and the state transitions are BFCL's, byte for byte.

Trust: the database is not a place code may come from. Sources read from a suite row or a
wheel carry the set of digests this machine trusts (:mod:`farm.suites.trust`: the
package's table of bfcl-eval releases plus ``FARM_TRUSTED_ENV_SOURCES``), and a module whose
sha256 is not in it is refused before it is compiled, with one line naming its file and class.

Isolation: every :class:`ModuleSet` executes the sources into fresh module objects that are
never registered in ``sys.modules``; their ``import bfcl_eval....func_source_code.X`` lines
are served from the same set by a per-module ``__import__``. The compiled code objects
(immutable) are cached; the module namespaces, and therefore any module-level state the suite
code mutates, are private to one case. Nothing is shared between cases, models or runs.
"""

from __future__ import annotations

import ast
import builtins
import copy
import functools
import hashlib
import inspect
import types
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from farm.errors import ConfigError, SuiteError, UntrustedSourceError
from farm.suites.trust import trusted_digests

#: The package BFCL's environment modules live in; their imports of each other use it.
BACKEND_PACKAGE = "bfcl_eval.eval_checker.multi_turn_eval.func_source_code"
#: Where those modules sit inside the wheel.
WHEEL_SOURCE_DIR = "bfcl_eval/eval_checker/multi_turn_eval/func_source_code/"
#: Classes BFCL builds without loading a scenario (``STATELESS_CLASSES``).
STATELESS_CLASSES = frozenset({"MathAPI"})


@dataclass(frozen=True)
class EnvironmentSources:
    """The environment modules of one suite version.

    Attributes:
        sources: module file name (``gorilla_file_system.py``) to Python source text.
        class_files: environment class name (``GorillaFileSystem``) to module file name.
        trusted: the sha256 digests that may be executed; ``None`` for sources the program
            itself supplies (never for text read from the database or a file).
    """

    sources: Mapping[str, str]
    class_files: Mapping[str, str]
    trusted: frozenset[str] | None = None

    @classmethod
    def from_suite_extra(
        cls, extra: Mapping[str, Any] | None, *, trusted: frozenset[str] | None = None
    ) -> EnvironmentSources:
        """Read the sources the suite loader stored in the suite row's ``extra``.

        ``trusted`` defaults to this machine's trusted digests
        (:func:`farm.suites.trust.trusted_digests`); each module is checked when it is
        first executed.

        Raises:
            SuiteError: the suite carries no multi-turn environment sources, or
                ``FARM_TRUSTED_ENV_SOURCES`` cannot be read.
        """
        extra = extra or {}
        sources = extra.get("multi_turn_sources")
        class_files = extra.get("multi_turn_class_files")
        if not isinstance(sources, Mapping) or not sources:
            raise SuiteError(
                "the suite has no multi-turn environment sources "
                "(extra.multi_turn_sources); reload it with `farm suites pull`"
            )
        if not isinstance(class_files, Mapping) or not class_files:
            class_files = _class_files_of(sources)
        return cls(sources=dict(sources), class_files=dict(class_files), trusted=_trusted(trusted))

    @classmethod
    def from_wheel(
        cls, wheel: Path, *, trusted: frozenset[str] | None = None
    ) -> EnvironmentSources:
        """Read the environment modules straight from a bfcl-eval wheel (a zip file).

        The modules are checked like stored ones (``trusted``, default this machine's).

        Raises:
            SuiteError: the file is not a wheel or holds no environment modules.
        """
        try:
            with zipfile.ZipFile(wheel) as archive:
                sources = {
                    name[len(WHEEL_SOURCE_DIR) :]: archive.read(name).decode("utf-8")
                    for name in archive.namelist()
                    if name.startswith(WHEEL_SOURCE_DIR)
                    and name.endswith(".py")
                    and "/" not in name[len(WHEEL_SOURCE_DIR) :]
                }
        except (OSError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
            raise SuiteError(f"cannot read environment sources from {wheel}: {exc}") from exc
        if not sources:
            raise SuiteError(f"{wheel} holds no multi-turn environment modules")
        return cls(sources=sources, class_files=_class_files_of(sources), trusted=_trusted(trusted))

    def file_of(self, class_name: str) -> str:
        """The module file that defines ``class_name``.

        Raises:
            SuiteError: no stored module defines that class.
        """
        try:
            return self.class_files[class_name]
        except KeyError:
            raise SuiteError(f"unknown multi-turn environment class {class_name!r}") from None


def _trusted(given: frozenset[str] | None) -> frozenset[str]:
    """``given``, else this machine's trusted digests; a bad trust file is a SuiteError."""
    if given is not None:
        return given
    try:
        return trusted_digests()
    except ConfigError as exc:
        raise SuiteError(exc.message) from exc


def _class_files_of(sources: Mapping[str, str]) -> dict[str, str]:
    """Map every top-level class of the sources to its file (first file wins)."""
    mapping: dict[str, str] = {}
    for file_name in sorted(sources):
        try:
            tree = ast.parse(sources[file_name])
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                mapping.setdefault(node.name, file_name)
    return mapping


@functools.lru_cache(maxsize=64)
def _compiled(file_name: str, digest: str, source: str) -> types.CodeType:
    """Compile one environment module once per process (code objects are immutable)."""
    del digest  # part of the cache key only
    return compile(source, f"<bfcl env {file_name}>", "exec")


class ModuleSet:
    """Fresh, private module objects for BFCL's environment sources, built on demand.

    One set serves one case: the model's and the ground truth's instances of that case are
    built from the same set (BFCL's ``__eq__`` methods compare classes with ``isinstance``),
    and no other case ever sees these modules.
    """

    def __init__(self, sources: EnvironmentSources) -> None:
        """Prepare an empty set over ``sources``; modules are executed when first needed."""
        self.sources = sources
        self._modules: dict[str, types.ModuleType] = {}
        self._loading: set[str] = set()

    def module(self, file_name: str) -> types.ModuleType:
        """The module built from ``file_name`` (executed on first use).

        Raises:
            SuiteError: the file is not among the stored sources, or it fails to import.
        """
        cached = self._modules.get(file_name)
        if cached is not None:
            return cached
        source = self.sources.sources.get(file_name)
        if source is None:
            raise SuiteError(f"environment module {file_name!r} is not in the suite's sources")
        if file_name in self._loading:
            raise SuiteError(f"environment module {file_name!r} imports itself in a cycle")
        stem = file_name[:-3] if file_name.endswith(".py") else file_name
        module = types.ModuleType(f"{BACKEND_PACKAGE}.{stem}")
        module.__file__ = f"<bfcl env {file_name}>"
        namespace = module.__dict__
        module_builtins = dict(vars(builtins))
        module_builtins["__import__"] = self._importer
        namespace["__builtins__"] = module_builtins
        digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
        trusted = self.sources.trusted
        if trusted is not None and digest not in trusted:
            raise UntrustedSourceError(
                f"environment module {file_name} (sha256 {digest[:16]}) is neither a known "
                "bfcl-eval source nor listed in FARM_TRUSTED_ENV_SOURCES: refusing to run it"
            )
        self._loading.add(file_name)
        try:
            code = _compiled(file_name, digest, source)
            # Executing the SUITE's environment code is the point of this module: it is BFCL's
            # own backend implementation, shipped in the wheel the suite was loaded from, and
            # it is what defines the state transitions the checker must reproduce. Model output
            # is never executed anywhere: farm.multiturn.dispatch parses each call with `ast`,
            # accepts literal arguments only and invokes public methods of these instances.
            exec(code, namespace)  # noqa: S102, TID251
        except SuiteError:
            raise
        except Exception as exc:
            raise SuiteError(f"environment module {file_name} failed to load: {exc}") from exc
        finally:
            self._loading.discard(file_name)
        self._modules[file_name] = module
        return module

    def _importer(
        self,
        name: str,
        globals_: Mapping[str, Any] | None = None,
        locals_: Mapping[str, Any] | None = None,
        fromlist: Iterable[str] | None = (),
        level: int = 0,
    ) -> types.ModuleType:
        """``__import__`` for the environment modules: BFCL's own package from this set."""
        if level == 0 and name.startswith(BACKEND_PACKAGE + "."):
            stem = name[len(BACKEND_PACKAGE) + 1 :]
            if not fromlist:
                raise ImportError(f"only `from {name} import ...` is supported for {name}")
            return self.module(f"{stem}.py")
        if level == 0 and (name == "bfcl_eval" or name.startswith("bfcl_eval.")):
            raise ImportError(f"{name} is not available to multi-turn environments")
        return builtins.__import__(name, globals_, locals_, tuple(fromlist or ()), level)

    def environment_class(self, class_name: str) -> type[Any]:
        """The class ``class_name`` from its module.

        Raises:
            SuiteError: the class is unknown or its module does not define it.
            UntrustedSourceError: its module (or one it imports) is not trusted.
        """
        try:
            module = self.module(self.sources.file_of(class_name))
        except UntrustedSourceError as exc:
            raise UntrustedSourceError(f"multi-turn class {class_name}: {exc.message}") from None
        cls = getattr(module, class_name, None)
        if not isinstance(cls, type):
            raise SuiteError(f"environment module for {class_name!r} does not define it")
        return cls


@dataclass
class Environment:
    """The live instances of one side (model or ground truth) of one multi-turn case.

    Attributes:
        instances: class name to instance, in the order of ``involved_classes``.
        methods: public method name to (class name, bound method); when two involved classes
            share a method name the later class wins, as in BFCL.
    """

    instances: dict[str, Any]
    methods: dict[str, tuple[str, Callable[..., Any]]] = field(default_factory=dict)

    def public_state(self) -> dict[str, dict[str, Any]]:
        """Every instance's public attributes (BFCL's state-check view)."""
        return {
            name: {k: v for k, v in vars(instance).items() if not k.startswith("_")}
            for name, instance in self.instances.items()
        }


def build_environment(
    modules: ModuleSet,
    involved_classes: Iterable[str],
    initial_config: Mapping[str, Any] | None,
    *,
    long_context: bool,
) -> Environment:
    """Instantiate the involved classes as BFCL does, each from a deep copy of its config.

    Raises:
        SuiteError: an involved class is unknown or its scenario fails to load.
    """
    config = initial_config or {}
    instances: dict[str, Any] = {}
    methods: dict[str, tuple[str, Callable[..., Any]]] = {}
    for class_name in involved_classes:
        cls = modules.environment_class(class_name)
        try:
            instance = cls()
            if class_name not in STATELESS_CLASSES:
                scenario = copy.deepcopy(config.get(class_name, {}))
                instance._load_scenario(scenario, long_context=long_context)
        except Exception as exc:
            raise SuiteError(f"cannot set up environment {class_name}: {exc}") from exc
        instances[class_name] = instance
        for method_name, method in inspect.getmembers(instance, predicate=inspect.ismethod):
            if not method_name.startswith("_"):
                methods[method_name] = (class_name, method)
    return Environment(instances=instances, methods=methods)
