"""Probes: one module per check type, each holding the check's parameter model and its probe.

:mod:`freecost.probes.registry` maps a check's ``type:`` to its parameter model. A check type
exists only once its probe does; an inventory naming any other type is invalid.
"""
