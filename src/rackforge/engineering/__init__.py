"""Engineering validation of rack designs: power, cooling, network and cabling, mechanics, pods.

Each check is a pure function over a design's figures (floats or NumPy arrays) returning findings;
:mod:`rackforge.engineering.design_checks` runs them all for a design and the facility.
"""
