"""The sourcing MIP as blocks of variables and constraints over named dimensions.

A thin vectorised layer in the style of PyPSA/linopy: each ``define_*`` function adds one block
of variables or constraints, built with NumPy index arithmetic into sparse (row, column, value)
triplets; :meth:`LinearModel.matrix` stacks every block into one CSR matrix that goes to HiGHS in a
single call. No Python call per variable or per constraint.

Variables (quantities in units, money in USD):

- ``buy[source, quarter]``: units received from a source in a quarter, at most what it can ship;
- ``order[source, quarter]``: 1 if an order is placed (binary; only where the source has a MOQ);
- ``open[source]``: 1 if a planned or qualifying source is opened (binary);
- stock, tracked one of two ways (``stock=``):

  - ``"source"`` (exact, default): ``use[source, quarter]`` units built into racks and
    ``source_stock[source, quarter]`` units held, per source;
  - ``"pooled"`` (smaller, for large programmes): ``stock[part, quarter]`` held per part and
    ``carry[source, year]``, the units of each source in the stock at a year end. Stock carried over a
    year end is taken from the year's last-quarter receipts (carry ≤ buy in the last quarter), which
    keeps each year's supply mix exact: every unit received earlier in the year is used within it, so
    any order of use inside the year is possible (:func:`rackforge.optimize.solve.schedule_use` builds one).

A part's units used in year y from source s, U[s, y] (Σ_t use, or carry[s, y−1] + Σ_t buy − carry[s, y]),
give the year's supply mix, from which domestic content, country shares and critical-part shares follow.
Holding cost is charged on each part's stock at the holding rate × the mean landed cost of its sources.

Constraints:

- stock per source: ``demand[part, quarter]`` Σ_source use = demand; ``stock_balance[source, quarter]``;
- pooled stock: ``balance[part, quarter]`` stock_t = stock_{t−1} + Σ_source buy_t − demand_t;
  ``carry_total[part, year]``: the year-end stock is the sum of the carries of the part's sources;
  ``carry_from_last_quarter[source, year]``: carry ≤ buy in the year's last quarter;
- ``opening[source, quarter]``: buy ≤ capacity × open (a source not opened ships nothing);
- ``minimum_order[source, quarter]``: buy ≥ moq × order; ``order_placed[source, quarter]``:
  buy ≤ capacity × order (0 or between the MOQ and the capacity);
- ``domestic_content[design, year]``: domestic value ≥ τ × total value per rack, the sourcing
  module's content test in linear form (its calculator's coefficients under the programme's rule:
  FAR 25.101 by default, domestic component cost ≥ τ × all component cost with transport and duty),
  through the auxiliary ``domestic_excess[part, year]`` (see :func:`define_domestic_content`);
- ``country_cap_part[part, country, year]``: Σ_{sources in country} U ≤ cap × Dem_y, or
  ``country_cap_category[category, country, year]`` by landed cost;
- ``critical_share[source, year]``: a source of a critical part supplies ≤ m × Dem_y.

Dem_y is the part's demand in the year.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from rackforge.optimize.data import OptimizeInput, SourcingTargets

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

    from rackforge.sourcing.domestic import ContentCoefficients

CONTINUOUS, INTEGER, SEMI_CONTINUOUS, SEMI_INTEGER = 0, 1, 2, 3
"""HiGHS variable types (HighsVarType values)."""

INF = np.inf

STOCK_TRACKING = ("source", "pooled")
"""How stock is tracked: per source (exact) or per part with year-end carries by source (smaller)."""

TARGET_BLOCKS = ("domestic_content", "country_cap_part", "country_cap_category", "critical_share")
"""Constraint blocks that state the programme's targets (they may be relaxed to explain infeasibility)."""



@dataclass
class VariableBlock:
    """A block of variables over named dimensions; column ``start + i`` is flat element ``i``."""

    name: str
    dims: tuple[str, ...]
    coords: dict[str, NDArray[Any]]
    start: int
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    cost: NDArray[np.float64]
    integrality: NDArray[np.int8]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(self.coords[d]) for d in self.dims)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape)) if self.dims else 1

    @property
    def ids(self) -> NDArray[np.int64]:
        """Column indices shaped like the block."""
        return (self.start + np.arange(self.size, dtype=np.int64)).reshape(self.shape)

    def values(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """This block's values from a full solution vector, shaped like the block."""
        return np.asarray(x[self.start:self.start + self.size]).reshape(self.shape)


@dataclass
class ConstraintBlock:
    """A block of rows; row ``start + i`` has coordinates ``index[i]`` (one index per dimension)."""

    name: str
    dims: tuple[str, ...]
    coords: dict[str, NDArray[Any]]
    index: NDArray[np.int64]  # (rows, len(dims))
    start: int
    rows: NDArray[np.int64]  # local row of each nonzero
    cols: NDArray[np.int64]
    vals: NDArray[np.float64]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    scale: NDArray[np.float64] = field(default_factory=lambda: np.ones(0))
    """Size of one unit of violation in the block's natural measure (e.g. demand units per
    100 % of demand), used to normalise slacks when explaining infeasibility."""

    @property
    def n_rows(self) -> int:
        return len(self.index)

    def labels(self, i: int) -> dict[str, Any]:
        """Coordinates of local row ``i`` as ``{dim: label}``."""
        return {d: self.coords[d][self.index[i, k]] for k, d in enumerate(self.dims)}


@dataclass
class LinearModel:
    """Variable and constraint blocks; the whole MIP as arrays."""

    variables: dict[str, VariableBlock] = field(default_factory=dict)
    constraints: dict[str, ConstraintBlock] = field(default_factory=dict)
    n_cols: int = 0
    n_rows: int = 0

    def add_variables(self, name: str, coords: dict[str, ArrayLike], *, lower: ArrayLike = 0.0,
                      upper: ArrayLike = INF, cost: ArrayLike = 0.0, integrality: ArrayLike = CONTINUOUS
                      ) -> VariableBlock:
        """Add a block of variables over ``coords`` (dim -> labels); bounds and costs broadcast."""
        dims = tuple(coords)
        labels = {d: np.asarray(v) for d, v in coords.items()}
        shape = tuple(len(labels[d]) for d in dims)

        def flat(value: ArrayLike, dtype: Any) -> NDArray[Any]:
            return np.broadcast_to(np.asarray(value, dtype=dtype), shape).ravel().copy()

        block = VariableBlock(name, dims, labels, self.n_cols, flat(lower, float), flat(upper, float),
                              flat(cost, float), flat(integrality, np.int8))
        self.variables[name] = block
        self.n_cols += block.size
        return block

    def add_constraints(self, name: str, coords: dict[str, ArrayLike], index: ArrayLike,
                        rows: ArrayLike, cols: ArrayLike, vals: ArrayLike, *,
                        lower: ArrayLike = -INF, upper: ArrayLike = INF, scale: ArrayLike = 1.0
                        ) -> ConstraintBlock:
        """Add rows ``lower ≤ Σ vals·x[cols] ≤ upper``; ``rows`` numbers the rows of this block from 0."""
        labels = {d: np.asarray(v) for d, v in coords.items()}
        idx = np.asarray(index, dtype=np.int64).reshape(-1, len(labels))
        n = len(idx)
        r, c, v = (np.asarray(a).ravel() for a in np.broadcast_arrays(rows, cols, vals))
        block = ConstraintBlock(
            name, tuple(labels), labels, idx, self.n_rows, r.astype(np.int64), c.astype(np.int64),
            v.astype(float), np.broadcast_to(np.asarray(lower, float), (n,)).copy(),
            np.broadcast_to(np.asarray(upper, float), (n,)).copy(),
            np.broadcast_to(np.asarray(scale, float), (n,)).copy())
        if n:
            self.constraints[name] = block
            self.n_rows += n
        return block

    # ----- assembly ----------------------------------------------------------------------
    def _cat(self, attr: str) -> NDArray[Any]:
        parts = [getattr(b, attr) for b in self.variables.values()]
        return np.concatenate(parts) if parts else np.zeros(0)

    @property
    def col_cost(self) -> NDArray[np.float64]:
        return self._cat("cost")

    @property
    def col_lower(self) -> NDArray[np.float64]:
        return self._cat("lower")

    @property
    def col_upper(self) -> NDArray[np.float64]:
        return self._cat("upper")

    @property
    def integrality(self) -> NDArray[np.int8]:
        return self._cat("integrality").astype(np.int8)

    @property
    def row_lower(self) -> NDArray[np.float64]:
        parts = [b.lower for b in self.constraints.values()]
        return np.concatenate(parts) if parts else np.zeros(0)

    @property
    def row_upper(self) -> NDArray[np.float64]:
        parts = [b.upper for b in self.constraints.values()]
        return np.concatenate(parts) if parts else np.zeros(0)

    def matrix(self) -> sp.csr_matrix:
        """The constraint matrix (rows × columns), duplicates summed."""
        blocks = list(self.constraints.values())
        if not blocks:
            return sp.csr_matrix((0, self.n_cols))
        rows = np.concatenate([b.rows + b.start for b in blocks])
        cols = np.concatenate([b.cols for b in blocks])
        vals = np.concatenate([b.vals for b in blocks])
        return sp.csr_matrix((vals, (rows, cols)), shape=(self.n_rows, self.n_cols))

    def row_block(self, row: int) -> tuple[ConstraintBlock, int]:
        """The block holding global row ``row`` and the row's index inside it."""
        for b in self.constraints.values():
            if b.start <= row < b.start + b.n_rows:
                return b, row - b.start
        raise IndexError(row)

    @property
    def is_mip(self) -> bool:
        return bool(np.any(self.integrality != CONTINUOUS))


# ----- helpers ------------------------------------------------------------------------------

def yearly_use_terms(m: LinearModel, data: OptimizeInput
                     ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Units of source s used in year y, U[s, y], as triplets (source, year, column, coefficient).

    Pooled stock: U[s, y] = carry[s, y−1] + Σ_{t∈y} buy[s, t] − carry[s, y].
    Stock per source: U[s, y] = Σ_{t∈y} use[s, t].
    """
    buy = m.variables["buy"].ids
    n_s, n_t = buy.shape
    if "use" in m.variables:
        use = m.variables["use"].ids
        s_u, t_u = (a.ravel() for a in np.indices((n_s, n_t)))
        return s_u, data.year_of_quarter[t_u], use[s_u, t_u], np.ones(len(s_u))
    carry = m.variables["carry"].ids
    n_y = carry.shape[1]
    s_b, t_b = (a.ravel() for a in np.indices((n_s, n_t)))
    s_c, y_c = (a.ravel() for a in np.indices((n_s, n_y)))
    nxt = y_c + 1 < n_y
    return (np.concatenate([s_b, s_c, s_c[nxt]]),
            np.concatenate([data.year_of_quarter[t_b], y_c, y_c[nxt] + 1]),
            np.concatenate([buy[s_b, t_b], carry[s_c, y_c], carry[s_c[nxt], y_c[nxt]]]),
            np.concatenate([np.ones(len(s_b)), -np.ones(len(s_c)), np.ones(int(nxt.sum()))]))


def _group_rows(keys: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Number distinct rows of ``keys`` (n, k) of non-negative integers: (unique keys (m, k) in
    lexicographic order, row of each input (n,)).

    Each row is packed into one integer (mixed radix, the largest value of each column + 1 as its base)
    and grouped with a one-dimensional ``np.unique``: the rows and their order are those of
    ``np.unique(keys, axis=0)``, which sorts row views and dominated model building at 4,000 parts.
    """
    keys = np.asarray(keys, dtype=np.int64)
    width = keys.shape[1] if keys.ndim == 2 else 1
    keys = keys.reshape(-1, width)
    if len(keys) == 0:
        return keys, np.zeros(0, dtype=np.int64)
    bases = keys.max(axis=0) + 1
    if float(np.prod(bases.astype(float))) >= 2.0 ** 62:  # would overflow int64: fall back
        uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
        return uniq, inverse.ravel()
    packed = np.zeros(len(keys), dtype=np.int64)
    for j in range(width):
        packed = packed * bases[j] + keys[:, j]
    codes, inverse = np.unique(packed, return_inverse=True)
    uniq = np.empty((len(codes), width), dtype=np.int64)
    for j in range(width - 1, -1, -1):
        codes, uniq[:, j] = np.divmod(codes, bases[j])
    return uniq, inverse.ravel()


def last_quarter_of_year(data: OptimizeInput) -> NDArray[np.int64]:
    """Index of the last quarter of each year of the plan (Y,)."""
    return np.array([np.flatnonzero(data.quarter_year == y).max() for y in data.years], dtype=np.int64)


def part_holding_cost_usd(data: OptimizeInput) -> NDArray[np.float64]:
    """Cost of holding one unit of each part for a quarter [USD/(unit·quarter)]: the holding rate × the
    mean landed cost of the part's sources (stock is pooled, so one value per part)."""
    total = np.bincount(data.source_part, weights=data.landed_cost_usd, minlength=data.n_parts)
    count = np.bincount(data.source_part, minlength=data.n_parts)
    return data.holding_rate_per_quarter * np.where(count > 0, total / np.maximum(count, 1), 0.0)


# ----- define_* ------------------------------------------------------------------------------

def define_variables(m: LinearModel, data: OptimizeInput, *, integer_quantities: bool = False,
                     stock: str = "source") -> None:
    """Add ``buy`` (source × quarter) and ``open``, and the stock variables of the chosen tracking.

    ``stock="source"``: ``use`` and ``source_stock`` (source × quarter): exact, any order of use.
    ``stock="pooled"``: ``stock`` (part × quarter) and ``carry`` (source × year): smaller; stock over a
    year end comes from the year's last-quarter receipts.

    ``order`` (binary) is added for each (source, quarter) whose source has a MOQ that fits in the
    quarter's capacity: 1 if an order is placed (see :func:`define_minimum_order`); where the MOQ exceeds
    what the source can ship that quarter ``buy`` is fixed at 0. With ``integer_quantities`` the
    quantities are whole units.
    """
    if stock not in STOCK_TRACKING:
        raise ValueError(f"stock tracking {stock!r}; valid: {', '.join(STOCK_TRACKING)}")
    sources, quarters = np.arange(data.n_sources), data.quarters
    # never more than the part still needs from this quarter on (or one minimum order): buying more only
    # adds cost, as every target counts units used, not bought. A tighter bound makes a tighter LP.
    remaining = np.cumsum(data.demand[:, ::-1], axis=1)[:, ::-1][data.source_part]  # (S, T)
    moq = np.broadcast_to(data.moq_units[:, None], remaining.shape)
    upper = np.minimum(data.buy_upper_units, np.maximum(remaining, moq))
    has_moq = moq > 0
    too_big = has_moq & (moq > upper + 1e-9)
    upper = np.where(too_big, 0.0, upper)
    base = INTEGER if integer_quantities else CONTINUOUS
    m.add_variables("buy", {"source": sources, "quarter": quarters}, upper=upper,
                    cost=data.landed_cost_usd[:, None], integrality=base)
    ordered = np.flatnonzero((has_moq & ~too_big).ravel())  # flat (source, quarter) with a minimum order
    m.add_variables("order", {"order": ordered}, upper=1.0, integrality=INTEGER)
    holding = part_holding_cost_usd(data)
    if stock == "source":
        m.add_variables("use", {"source": sources, "quarter": quarters}, upper=data.demand[data.source_part],
                        integrality=base)
        m.add_variables("source_stock", {"source": sources, "quarter": quarters},
                        cost=holding[data.source_part][:, None], integrality=base)
    else:
        m.add_variables("stock", {"part": data.part_ids, "quarter": quarters},
                        upper=np.where(data.sourced_parts[:, None], INF, 0.0), cost=holding[:, None],
                        integrality=base)
        m.add_variables("carry", {"source": sources, "year": data.years}, integrality=base)
    openable = np.flatnonzero(data.needs_open)
    m.add_variables("open", {"openable": openable}, upper=1.0, cost=data.open_cost_usd[openable],
                    integrality=INTEGER)


def define_demand(m: LinearModel, data: OptimizeInput) -> None:
    """Stock per source: Σ_source use[s, t] = demand[part, t] for every part with sources and demand."""
    demand = data.demand
    use = m.variables["use"].ids
    need = (demand > 0) & data.sourced_parts[:, None]
    pt = np.argwhere(need)
    row_of = -np.ones(demand.shape, dtype=np.int64)
    row_of[pt[:, 0], pt[:, 1]] = np.arange(len(pt))
    rows = row_of[data.source_part]  # (S, T)
    mask = rows >= 0
    m.add_constraints("demand", {"part": data.part_ids, "quarter": data.quarters}, pt,
                      rows[mask], use[mask], 1.0, lower=demand[need], upper=demand[need], scale=demand[need])


def define_source_stock(m: LinearModel, data: OptimizeInput) -> None:
    """Stock per source: stock[s, t] − stock[s, t−1] − buy[s, t] + use[s, t] = 0 (none before the plan)."""
    buy, use, stock = (m.variables[n].ids for n in ("buy", "use", "source_stock"))
    n_s, n_t = buy.shape
    row = np.arange(n_s * n_t).reshape(n_s, n_t)
    rows = np.concatenate([row.ravel(), row.ravel(), row.ravel(), row[:, 1:].ravel()])
    cols = np.concatenate([stock.ravel(), buy.ravel(), use.ravel(), stock[:, :-1].ravel()])
    vals = np.concatenate([np.ones(row.size), -np.ones(row.size), np.ones(row.size), -np.ones(n_s * (n_t - 1))])
    index = np.column_stack([a.ravel() for a in np.indices((n_s, n_t))])
    m.add_constraints("stock_balance", {"source": np.arange(n_s), "quarter": data.quarters}, index,
                      rows, cols, vals, lower=0.0, upper=0.0)


def define_balance(m: LinearModel, data: OptimizeInput) -> None:
    """Pooled stock: stock[p, t] − stock[p, t−1] − Σ_{s∈p} buy[s, t] = −demand[p, t] for every part with a source."""
    buy, stock = m.variables["buy"].ids, m.variables["stock"].ids
    sourced = data.sourced_parts
    parts = np.flatnonzero(sourced)
    n_t = data.n_quarters
    row_of_part = -np.ones(data.n_parts, dtype=np.int64)
    row_of_part[parts] = np.arange(len(parts))
    row = row_of_part[:, None] * n_t + np.arange(n_t)[None, :]  # (P, T), valid where sourced
    src_rows = row[data.source_part]  # (S, T)
    rows = np.concatenate([row[parts].ravel(), row[parts, 1:].ravel(), src_rows.ravel()])
    cols = np.concatenate([stock[parts].ravel(), stock[parts, :-1].ravel(), buy.ravel()])
    vals = np.concatenate([np.ones(len(parts) * n_t), -np.ones(len(parts) * (n_t - 1)), -np.ones(buy.size)])
    index = np.column_stack([np.repeat(parts, n_t), np.tile(np.arange(n_t), len(parts))])
    rhs = -data.demand[parts].ravel()
    m.add_constraints("balance", {"part": data.part_ids, "quarter": data.quarters}, index, rows, cols, vals,
                      lower=rhs, upper=rhs, scale=np.maximum(-rhs, 1.0))


def define_carry(m: LinearModel, data: OptimizeInput) -> None:
    """Pooled stock: a part's year-end stock is made of its sources' carries, each from last-quarter receipts.

    ``carry_total[p, y]``: stock[p, last quarter of y] − Σ_{s∈p} carry[s, y] = 0;
    ``carry_from_last_quarter[s, y]``: carry[s, y] − buy[s, last quarter of y] ≤ 0.
    """
    buy, stock, carry = (m.variables[n].ids for n in ("buy", "stock", "carry"))
    last = last_quarter_of_year(data)
    parts = np.flatnonzero(data.sourced_parts)
    n_y = len(data.years)
    row_of_part = -np.ones(data.n_parts, dtype=np.int64)
    row_of_part[parts] = np.arange(len(parts))
    row = row_of_part[:, None] * n_y + np.arange(n_y)[None, :]
    rows = np.concatenate([row[parts].ravel(), row[data.source_part].ravel()])
    cols = np.concatenate([stock[parts][:, last].ravel(), carry.ravel()])
    vals = np.concatenate([np.ones(len(parts) * n_y), -np.ones(carry.size)])
    index = np.column_stack([np.repeat(parts, n_y), np.tile(np.arange(n_y), len(parts))])
    m.add_constraints("carry_total", {"part": data.part_ids, "year": data.years}, index, rows, cols, vals,
                      lower=0.0, upper=0.0)
    n_s = data.n_sources
    r = np.arange(n_s * n_y)
    s_idx, y_idx = (a.ravel() for a in np.indices((n_s, n_y)))
    m.add_constraints("carry_from_last_quarter", {"source": np.arange(n_s), "year": data.years},
                      np.column_stack([s_idx, y_idx]), np.concatenate([r, r]),
                      np.concatenate([carry[s_idx, y_idx], buy[s_idx, last[y_idx]]]),
                      np.concatenate([np.ones(len(r)), -np.ones(len(r))]), upper=0.0)


def define_opening(m: LinearModel, data: OptimizeInput) -> None:
    """buy[s, t] − upper[s, t] · open[s] ≤ 0 for openable sources in quarters they could ship."""
    openable = m.variables["open"]
    buy = m.variables["buy"]
    src = openable.coords["openable"]
    upper = buy.upper.reshape(buy.shape)[src]  # (O, T)
    ot = np.argwhere(upper > 0)
    n = len(ot)
    rows = np.concatenate([np.arange(n), np.arange(n)])
    cols = np.concatenate([buy.ids[src[ot[:, 0]], ot[:, 1]], openable.ids[ot[:, 0]]])
    vals = np.concatenate([np.ones(n), -upper[ot[:, 0], ot[:, 1]]])
    index = np.column_stack([src[ot[:, 0]], ot[:, 1]])
    m.add_constraints("opening", {"source": np.arange(data.n_sources), "quarter": data.quarters}, index,
                      rows, cols, vals, upper=0.0, scale=upper[ot[:, 0], ot[:, 1]])


def define_minimum_order(m: LinearModel, data: OptimizeInput) -> None:
    """Minimum orders with an explicit yes/no per (source, quarter) that has one:

    ``minimum_order[source, quarter]``: buy − moq · order ≥ 0 (an order placed is at least the MOQ);
    ``order_placed[source, quarter]``: buy − upper · order ≤ 0 (no order, nothing bought), with
    ``upper`` the column bound of ``buy`` (capacity, or what the part still needs).

    Explicit rows rather than semi-continuous variables: HiGHS replaces the upper bound of a
    semi-continuous variable above about 1e5 ("semi-variables are active at modified upper bounds"),
    which changed the answer (kSolveError, or "infeasible") on large programmes. Only pairs with a MOQ
    get a binary, so the model stays small.
    """
    order = m.variables["order"]
    flat = order.coords["order"]
    if len(flat) == 0:
        return
    buy = m.variables["buy"]
    n_t = data.n_quarters
    s_idx, t_idx = flat // n_t, flat % n_t
    n = len(flat)
    upper = buy.upper[flat]
    moq = data.moq_units[s_idx]
    rows = np.concatenate([np.arange(n), np.arange(n)])
    cols = np.concatenate([buy.start + flat, order.ids])
    index = np.column_stack([s_idx, t_idx])
    coords: dict[str, ArrayLike] = {"source": np.arange(data.n_sources), "quarter": data.quarters}
    m.add_constraints("minimum_order", coords, index, rows, cols, np.concatenate([np.ones(n), -moq]),
                      lower=0.0, scale=moq)
    m.add_constraints("order_placed", coords, index, rows, cols, np.concatenate([np.ones(n), -upper]),
                      upper=0.0, scale=upper)


def define_domestic_content(m: LinearModel, data: OptimizeInput, targets: SourcingTargets) -> None:
    """Domestic content ≥ τ per design and year, in two sparse steps, from the sourcing module's
    coefficients of the content test (:meth:`OptimizeInput.content_coefficients`: the rule's component
    cost, domestic origins, unknown-origin handling, value added and the targets' category scope).

    With, per source, t_s the total value of one unit and f_s its domestic fraction (domestic value
    v_s = f_s t_s), per design and part q_dp the units per rack in the test's scope, and per design V⁰_d,
    T⁰_d the values of parts no source makes:

    1. ``domestic_excess[part, year]`` E_py = Σ_{s∈p} t_s (f_s − τ_y) U[s, y] [USD]: domestic minus τ ×
       total value of the part's units used in the year;
    2. ``domestic_content[design, year]``: Σ_p q_dp / Dem_py · E_py ≥ τ_y T⁰_d − V⁰_d [USD/rack], with
       Dem_py the part's demand in the year, multiplied by the design's racks in the year R_dy
       (:func:`domestic_row_factor`, for scaling).

    Step 2 is V_dy − τ T_dy ≥ 0 with V and T the domestic and total value per rack at each part's supply
    mix of the year (U[s, y] / Dem_py), i.e. the calculator's content ≥ τ. The auxiliary E keeps each row
    short: P entries instead of S × T.
    """
    years = data.years
    tau_y = np.array([np.nan if (t := targets.domestic_target(int(y))) is None else t for y in years])
    racks_y = data.racks_per_year
    dy = np.argwhere((racks_y > 0) & ~np.isnan(tau_y)[None, :])  # rows: (design, year)
    if len(dy) == 0:
        return
    coef = data.content_coefficients(targets.domestic_categories)
    dem_y = data.demand_per_year
    parts_per_rack = coef.quantity
    dy = dy[parts_per_rack[dy[:, 0]].sum(axis=1) > 0]  # designs with parts in the targeted categories
    if len(dy) == 0:
        return
    targeted_design_year = np.zeros(racks_y.shape, dtype=bool)
    targeted_design_year[dy[:, 0], dy[:, 1]] = True
    # part-years that enter some row: a targeted design uses the part in that year
    used = ((parts_per_rack.T > 0).astype(float) @ targeted_design_year.astype(float) > 0) \
        & (dem_y > 0) & data.sourced_parts[:, None]  # (P, Y)
    py = np.argwhere(used)
    excess = m.add_variables("domestic_excess", {"part": data.part_ids, "year": years}, lower=-INF,
                             upper=np.where(used, INF, 0.0))
    row_of = -np.ones(used.shape, dtype=np.int64)
    row_of[py[:, 0], py[:, 1]] = np.arange(len(py))
    s_of, y_of, col, sign = yearly_use_terms(m, data)
    rows = row_of[data.source_part[s_of], y_of]
    keep = rows >= 0
    vals = sign * coef.total_usd[s_of] * (coef.domestic_fraction[s_of] - np.nan_to_num(tau_y[y_of]))
    m.add_constraints("domestic_excess_def", {"part": data.part_ids, "year": years}, py,
                      np.concatenate([rows[keep], np.arange(len(py))]),
                      np.concatenate([col[keep], excess.ids[py[:, 0], py[:, 1]]]),
                      np.concatenate([vals[keep], -np.ones(len(py))]), lower=0.0, upper=0.0)
    racks = domestic_row_factor(data)[dy[:, 0], dy[:, 1]]
    rows_l, cols_l, vals_l = [], [], []
    for r, (d, y) in enumerate(dy):
        p_idx = np.flatnonzero(used[:, y] & (parts_per_rack[d] > 0))
        rows_l.append(np.full(len(p_idx), r))
        cols_l.append(excess.ids[p_idx, y])
        vals_l.append(racks[r] * parts_per_rack[d, p_idx] / dem_y[p_idx, y])
    lower = tau_y[dy[:, 1]] * coef.total_constant_usd[dy[:, 0]] - coef.domestic_constant_usd[dy[:, 0]]
    m.add_constraints("domestic_content", {"design": data.design_ids, "year": years}, dy,
                      np.concatenate(rows_l), np.concatenate(cols_l), np.concatenate(vals_l),
                      lower=racks * lower, scale=racks * typical_content_value(data, coef)[dy[:, 0]])


def domestic_row_factor(data: OptimizeInput) -> NDArray[np.float64]:
    """What each ``domestic_content[design, year]`` row is multiplied by: the design's racks in the year
    (D, Y) [racks]. The row then reads in USD over the year's racks, and its coefficients are the
    design's share of each part's units (q_dp · R_dy / Dem_py, at most 1) rather than per-rack
    fractions of a part's yearly demand (1e-5 at 10× volume), which kept the matrix's coefficient range
    near 1e10. Its dual and slack are per year's racks: divide by this factor for per-rack values."""
    return np.asarray(data.racks_per_year, dtype=float)


def typical_content_value(data: OptimizeInput, coef: ContentCoefficients) -> NDArray[np.float64]:
    """Total value per rack of each design in the content test's scope, each part at the mean total
    value of its sources (parts no source makes at their unknown-origin value) [USD/rack], at least 1:
    the size of one unit (100 %) of content, to normalise the row's slack."""
    total = np.bincount(data.source_part, weights=coef.total_usd, minlength=data.n_parts)
    count = np.bincount(data.source_part, minlength=data.n_parts)
    mean = np.where(count > 0, total / np.maximum(count, 1), coef.unknown_total_usd)
    return np.maximum(coef.quantity @ mean, 1.0)


def define_country_cap(m: LinearModel, data: OptimizeInput, targets: SourcingTargets) -> None:
    """No country above ``targets.country_cap`` of a part's yearly units (scope ``part``) or of a
    category's yearly landed cost (scope ``category``)."""
    cap = targets.country_cap
    if cap is None or cap >= 1.0:
        return
    s_of, y_of, col, sign = yearly_use_terms(m, data)
    countries, country_of = np.unique(data.source_country, return_inverse=True)
    k_of = country_of[s_of]
    dem_y = data.demand_per_year
    p_of = data.source_part[s_of]
    keep = dem_y[p_of, y_of] > 0
    if targets.cap_scope == "part":
        keys = np.column_stack([p_of, k_of, y_of])[keep]
        uniq, row = _group_rows(keys)
        if len(uniq) == 0:
            return
        dem = dem_y[uniq[:, 0], uniq[:, 2]]
        m.add_constraints("country_cap_part", {"part": data.part_ids, "country": countries, "year": data.years},
                          uniq, row, col[keep], sign[keep], upper=cap * dem, scale=dem)
        return
    categories, cat_of_part = np.unique(data.part_category, return_inverse=True)
    g_of = cat_of_part[p_of]
    cost = data.landed_cost_usd[s_of] * sign
    # one row per (category, country, year) present; each row holds every source of the category
    present, _ = _group_rows(np.column_stack([g_of, k_of, y_of])[keep])
    row_of = -np.ones((len(categories), len(countries), len(data.years)), dtype=np.int64)
    row_of[present[:, 0], present[:, 1], present[:, 2]] = np.arange(len(present))
    rows_l, cols_l, vals_l = [], [], []
    for k in range(len(countries)):
        rows = row_of[g_of, k, y_of]
        sel = keep & (rows >= 0)
        rows_l.append(rows[sel])
        cols_l.append(col[sel])
        vals_l.append(cost[sel] * ((k_of[sel] == k) - cap))
    one_hot = np.zeros((data.n_parts, len(categories)))
    one_hot[np.arange(data.n_parts), cat_of_part] = 1.0
    cat_cost = one_hot.T @ (dem_y * _mean_source_cost(data)[:, None])  # (G, Y) [USD]
    m.add_constraints("country_cap_category",
                      {"category": categories, "country": countries, "year": data.years}, present,
                      np.concatenate(rows_l), np.concatenate(cols_l), np.concatenate(vals_l), upper=0.0,
                      scale=np.maximum(cat_cost[present[:, 0], present[:, 2]], 1.0))


def _mean_source_cost(data: OptimizeInput) -> NDArray[np.float64]:
    total = np.bincount(data.source_part, weights=data.landed_cost_usd, minlength=data.n_parts)
    count = np.bincount(data.source_part, minlength=data.n_parts)
    return np.where(count > 0, total / np.maximum(count, 1), 0.0)


def define_critical_share(m: LinearModel, data: OptimizeInput, targets: SourcingTargets) -> None:
    """For each source of a critical part and year with demand: U[s, y] ≤ m · Dem[p, y]."""
    share = targets.critical_max_source_share
    if share is None or share >= 1.0 or not data.part_critical.any():
        return
    s_of, y_of, col, sign = yearly_use_terms(m, data)
    p_of = data.source_part[s_of]
    dem_y = data.demand_per_year
    keep = data.part_critical[p_of] & (dem_y[p_of, y_of] > 0)
    uniq, row = _group_rows(np.column_stack([s_of, y_of])[keep])
    if len(uniq) == 0:
        return
    dem = dem_y[data.source_part[uniq[:, 0]], uniq[:, 1]]
    m.add_constraints("critical_share", {"source": np.arange(data.n_sources), "year": data.years}, uniq,
                      row, col[keep], sign[keep], upper=share * dem, scale=dem)


ELASTIC_SIGN = {"balance": -1.0, "demand": 1.0}
"""Sign of the slack in ``=`` rows: the units not delivered (shortfall)."""

DEMAND_BLOCKS = ("demand", "balance")
"""The blocks that state the build plan (one per stock tracking)."""


def define_elastic(m: LinearModel, blocks: Sequence[str]) -> None:
    """Add a non-negative slack per row of each named block, costed per unit of normalised violation.

    ``≥`` rows get +slack, ``≤`` rows −slack, ``=`` rows the sign in :data:`ELASTIC_SIGN`.
    The slack cost is 1/scale, so the objective sums violations as shares of each row's natural
    measure (a quarter's demand, a part's yearly demand, a rack's component cost).
    """
    for name in blocks:
        block = m.constraints.get(name)
        if block is None:
            continue
        n = block.n_rows
        sign = np.full(n, ELASTIC_SIGN[name]) if name in ELASTIC_SIGN else np.where(np.isfinite(block.lower), 1.0, -1.0)
        slack = m.add_variables(f"slack_{name}", {"row": np.arange(n)}, cost=1.0 / np.maximum(block.scale, 1e-9))
        block.rows = np.concatenate([block.rows, np.arange(n)])
        block.cols = np.concatenate([block.cols, slack.ids])
        block.vals = np.concatenate([block.vals, sign])


def build_model(data: OptimizeInput, targets: SourcingTargets, *, integer_quantities: bool = False,
                stock: str = "source", elastic: Sequence[str] = (), costs: bool = True) -> LinearModel:
    """The sourcing MIP for ``data`` under ``targets``.

    ``elastic`` names constraint blocks whose violation is allowed at a price (see
    :func:`define_elastic`); with ``costs=False`` the purchase, holding and opening costs are dropped so
    the objective is the violation alone (the least-violating plan).
    """
    m = LinearModel()
    define_variables(m, data, integer_quantities=integer_quantities, stock=stock)
    if stock == "source":
        define_demand(m, data)
        define_source_stock(m, data)
    else:
        define_balance(m, data)
        define_carry(m, data)
    define_opening(m, data)
    define_minimum_order(m, data)
    define_domestic_content(m, data, targets)
    define_country_cap(m, data, targets)
    define_critical_share(m, data, targets)
    if not costs:
        for block in m.variables.values():
            block.cost = np.zeros_like(block.cost)
    if elastic:
        define_elastic(m, elastic)
    return m
