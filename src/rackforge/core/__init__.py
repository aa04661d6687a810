"""Concepts every analysis shares, each defined once: the bill-of-materials explosion, the supply
view (which source may ship a part in a period, order shares, landed price, lead time), quarters,
and a small linear-model layer over HiGHS."""
