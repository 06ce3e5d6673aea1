"""freecost: audits how much a small business's free and cheap services really cost it in risk.

The command line (``freecost``) is a thin skin over this package. The stable Python API:

- :func:`freecost.inventory.load_inventory` reads and validates an inventory file;
- :func:`freecost.packs.load_catalog` reads the check packs (vendor facts and default checks).
"""

__version__ = "0.1.0"
