"""Probes: one module per check type, each holding the ``probe`` that runs the check.

A check type's parameter model lives in the module of the same name under
:mod:`freecost.checktypes`, so validating an inventory never imports a probe.
:mod:`freecost.probes.registry` maps a check's ``type:`` to both. A check type exists only
once its probe does; an inventory naming any other type is invalid.
"""
