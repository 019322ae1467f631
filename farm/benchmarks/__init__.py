"""Benchmarks behind one protocol (:class:`farm.benchmarks.base.Benchmark`).

A benchmark owns categories, solves and scores their cases and aggregates a run into
sections; BFCL v4 is :mod:`farm.benchmarks.bfcl`. Register one with
:func:`farm.benchmarks.registry.benchmark`, in a module under ``farm/benchmarks/`` or in any
installed package through the ``farm.benchmarks`` entry-point group.
"""
