"""What each check type accepts in an inventory: one module per type, holding its
parameter model ``Check``.

These modules import only what validation needs (pydantic, light standard-library modules,
and freecost's model, durations, secrets, errors and results), so loading an inventory does
not import what probing needs. The probe for a type lives in the module of the same name
under :mod:`freecost.probes`; :mod:`freecost.probes.registry` maps ``type:`` to both.
"""
