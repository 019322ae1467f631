"""The benchmark registry, filled only by the :func:`benchmark` decorator.

The first lookup imports every module under ``farm/benchmarks/`` and every entry point of
the ``farm.benchmarks`` group, so a benchmark shipped in another package registers itself
with one line in that package's metadata::

    [project.entry-points."farm.benchmarks"]
    mybench = "mypackage.bench"      # a module whose import runs @benchmark("mybench")

A case belongs to the benchmark that owns its category; categories no benchmark claims
(user suites in BFCL's format) belong to :data:`DEFAULT_BENCHMARK`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib.metadata import entry_points

from farm.benchmarks.base import Benchmark
from farm.errors import ConfigError
from farm.plugins import ImportOnce
from farm.suites.categories import expand

#: The benchmark of categories no registered benchmark owns.
DEFAULT_BENCHMARK = "bfcl"
#: The entry-point group that plug-in benchmarks register under.
ENTRY_POINT_GROUP = "farm.benchmarks"

_BENCHMARKS: dict[str, Benchmark] = {}
_BY_CATEGORY: dict[str, Benchmark] = {}


def benchmark(name: str) -> Callable[[type[Benchmark]], type[Benchmark]]:
    """Register a :class:`Benchmark` subclass as ``name`` (one instance is kept).

    Raises:
        ConfigError: if ``name`` is registered twice, a category is already owned, or the
            sections do not start with ``overall`` (the leaderboard ranks by it).
    """

    def register(cls: type[Benchmark]) -> type[Benchmark]:
        if name in _BENCHMARKS:
            raise ConfigError(f"benchmark {name!r} is registered twice")
        if not cls.section_names or cls.section_names[0] != "overall":
            raise ConfigError(f"benchmark {name!r}: its first section must be 'overall'")
        for other in _BENCHMARKS.values():
            shared = set(cls.categories) & set(other.categories)
            if shared:
                raise ConfigError(
                    f"benchmark {name!r}: category {sorted(shared)[0]!r} is {other.name!r}'s"
                )
        cls.name = name
        _BENCHMARKS[name] = cls()
        _BY_CATEGORY.clear()
        return cls

    return register


def _load_plugins() -> None:
    """Load the plug-in benchmarks of the ``farm.benchmarks`` entry-point group."""
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            point.load()
        except Exception as exc:  # a broken plug-in is a configuration problem, named
            raise ConfigError(f"benchmark plug-in {point.name!r} ({point.value}): {exc}") from exc


#: Imports every module under farm/benchmarks/, then the plug-ins, once.
_load = ImportOnce("farm.benchmarks", then=_load_plugins)


def benchmarks() -> list[Benchmark]:
    """Every registered benchmark, the default one first, then by name."""
    _load()
    return sorted(_BENCHMARKS.values(), key=lambda b: (b.name != DEFAULT_BENCHMARK, b.name))


def get_benchmark(name: str) -> Benchmark:
    """The benchmark registered as ``name``.

    Raises:
        ConfigError: unknown name.
    """
    _load()
    found = _BENCHMARKS.get(name)
    if found is None:
        known = ", ".join(b.name for b in benchmarks())
        raise ConfigError(f"unknown benchmark {name!r}: known ones are {known}")
    return found


def benchmark_for(category: str) -> Benchmark:
    """The benchmark that owns ``category`` (the default one for unclaimed categories)."""
    found = _BY_CATEGORY.get(category)
    if found is None:
        owners = [b for b in benchmarks() if b.owns(category)]
        found = owners[0] if owners else get_benchmark(DEFAULT_BENCHMARK)
        _BY_CATEGORY[category] = found
    return found


def benchmark_of(categories: Iterable[str]) -> Benchmark:
    """The benchmark of a run's categories (the first category's owner; default if none)."""
    for category in categories:
        return benchmark_for(category)
    return get_benchmark(DEFAULT_BENCHMARK)


def category_order() -> dict[str, int]:
    """Display position of every registered category (benchmark by benchmark)."""
    order: dict[str, int] = {}
    for bench in benchmarks():
        for category in bench.categories:
            order.setdefault(category, len(order))
    return order


def known_categories(present: Iterable[str]) -> list[str]:
    """``present`` (a suite's categories) in display order, unregistered ones last by name."""
    order = category_order()
    return sorted(present, key=lambda c: (order.get(c, len(order)), c))


def expand_categories(names: Iterable[str], known: Iterable[str]) -> list[str]:
    """Expand category and group names against a suite's ``known`` categories.

    Groups are every benchmark's, merged by name (``all``: every registered category).
    Returns leaf categories in ``known``'s order, deduplicated.

    Raises:
        SuiteError: for a name that is neither a group nor a known category.
    """
    groups: dict[str, list[str]] = {}
    for bench in benchmarks():
        for group, members in bench.all_groups().items():
            groups.setdefault(group, []).extend(members)
    return expand(names, known, groups)
