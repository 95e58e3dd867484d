"""Where each node of a 支え合いマップ goes, for the PDF and the screen alike (no Qt, no store).

Nodes are grouped by 集落. Three levels, each laid out by networkx, seeded so the same map
always gives the same picture:

1. the 集落: ``spring_layout`` of the graph whose edges are the ties between 集落 (weighted by
   how many), so neighbouring 集落 sit side by side;
2. within a 集落, its parts: the connected groups of supporters and households, packed into
   parts of at most ``PART_NODES`` nodes (a large 集落 stays fast: the force layout is quadratic
   in the nodes it places at once), placed around the 集落's centre the same way;
3. within a part, its members: ``spring_layout``, scaled so that a node's nearest neighbour is
   typically one spacing (``SPACING``) away, then nudged apart where two would still touch (a
   force layout puts hubs' leaves on top of one another; a printed map must not).

Each part and 集落 gets the disc its nodes need; the centres found at levels 1 and 2 are
spread just enough that no two discs overlap. The whole is scaled into the unit box (the
longer side 1, y downwards as on screen; ``Layout.width``/``height``), aspect kept, and
``Layout.node_radius`` is how large a node may be drawn there without touching another."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

SEED = 19  # any fixed number: the picture depends only on the map
PART_NODES = 160  # members laid out together at most (about 40 ms each)
SPACING = 1.0  # the usual distance between neighbouring nodes (the layout's own unit)
NODE_RADIUS = 0.38 * SPACING  # drawn; two nodes at one spacing keep a gap between them
MIN_GAP = 0.85 * SPACING  # closer than this, two nodes are nudged apart
MARGIN = 0.6 * SPACING  # around the outermost node of a part
HOLD = 0.5  # the pull of the hidden centre on each separate group of a part (a tie weighs 1)
PUSH = 0.6  # of the shortfall, each of the two (a little over half: settles in a few rounds)
_CENTRE = ("centre",)  # the hidden node; never a map node (those are ("h", id) and ("s", key))


@dataclass(frozen=True)
class Layout:
    positions: dict[Hashable, tuple[float, float]]  # node → (x, y), 0 ≤ x ≤ width, 0 ≤ y ≤ height
    areas: dict[Hashable, tuple[float, float, float]]  # group → (x, y, radius) in the same units
    width: float = 1.0  # the larger of width and height is 1
    height: float = 1.0
    node_radius: float = 0.02  # a node drawn this large (same units) does not touch its neighbours


def layout(nodes: Sequence[tuple[Hashable, Hashable]], edges: Iterable[tuple[Hashable, Hashable]]) -> Layout:
    """``nodes``: (node, group) in a stable order; ``edges``: pairs of nodes."""
    import networkx as nx

    if not nodes:
        return Layout({}, {}, 1.0, 1.0, 0.02)
    group_of = {n: g for n, g in nodes}
    graph = nx.Graph()
    graph.add_nodes_from(n for n, _ in nodes)
    graph.add_edges_from((a, b) for a, b in edges if a in group_of and b in group_of and a != b)
    members: dict[Hashable, list] = defaultdict(list)
    for n, g in nodes:
        members[g].append(n)
    groups = list(members)

    # Level 3 and 2: each group's parts laid out around (0, 0), in the group's own units.
    local: dict[Hashable, tuple[float, float]] = {}
    radius: dict[Hashable, float] = {}
    for g in groups:
        local_g, radius[g] = _group(nx, graph.subgraph(members[g]), members[g])
        local.update(local_g)

    # Level 1: the groups' centres.
    between = nx.Graph()
    between.add_nodes_from(groups)
    for a, b in graph.edges():
        ga, gb = group_of[a], group_of[b]
        if ga != gb:
            weight = between.get_edge_data(ga, gb, {"weight": 0})["weight"]
            between.add_edge(ga, gb, weight=weight + 1)
    centres = _spread(nx, between, radius)
    positions = {n: (centres[group_of[n]][0] + x, centres[group_of[n]][1] + y) for n, (x, y) in local.items()}
    return _to_unit_box(positions, {g: (*centres[g], radius[g]) for g in groups})


def _group(nx, sub, order: list) -> tuple[dict, float]:
    """A 集落's nodes around (0, 0): connected parts, each by spring_layout, spread apart."""
    parts = _parts(nx, sub, order)
    part_local: list[dict] = []
    radii: dict[int, float] = {}
    for index, part in enumerate(parts):
        placed, radii[index] = _members(nx, sub.subgraph(part), part)
        part_local.append(placed)
    if len(parts) == 1:
        return part_local[0], radii[0]
    between = nx.Graph()
    between.add_nodes_from(range(len(parts)))
    centres = _spread(nx, between, radii)
    result = {}
    for index, placed in enumerate(part_local):
        cx, cy = centres[index]
        result.update({n: (cx + x, cy + y) for n, (x, y) in placed.items()})
    extent = max(math.hypot(x, y) for x, y in result.values()) + MARGIN  # the nodes', not the parts' discs
    return result, extent


def _parts(nx, sub, order: list) -> list[list]:
    """Connected groups in node order, packed into parts of at most PART_NODES; a larger group
    is cut in breadth-first order (neighbours stay together; the lines between its pieces are
    still drawn). Every part stays small enough for numpy's dense force layout (no scipy)."""
    rank = {n: i for i, n in enumerate(order)}
    pieces: list[list] = []
    for component in sorted((sorted(c, key=rank.__getitem__) for c in nx.connected_components(sub)),
                            key=lambda c: (-len(c), rank[c[0]])):
        if len(component) > PART_NODES:
            start = max(component, key=lambda n: (sub.degree(n), -rank[n]))
            walk = [start] + [b for _, b in nx.bfs_edges(sub, start, sort_neighbors=lambda ns: sorted(ns, key=rank.__getitem__))]
            pieces += [walk[i:i + PART_NODES] for i in range(0, len(walk), PART_NODES)]
        else:
            pieces.append(component)
    parts: list[list] = []
    for piece in pieces:
        target = next((p for p in parts if len(p) + len(piece) <= PART_NODES), None)
        if target is None:
            parts.append(list(piece))
        else:
            target.extend(piece)
    return parts


def _members(nx, sub, part: list) -> tuple[dict, float]:
    """A part's nodes by spring_layout around (0, 0), one ``SPACING`` between typical
    neighbours, none closer than ``MIN_GAP``; and the radius of the disc they need."""
    import numpy as np

    if len(part) == 1:
        return {part[0]: (0.0, 0.0)}, MARGIN
    ordered = nx.Graph()
    ordered.add_nodes_from(part)
    ordered.add_edges_from(sub.edges())
    # Separate groups (a household and its relative, a pair of neighbours) would drift to the
    # rim of a force layout and leave the middle empty: a hidden centre holds each by one node.
    components = list(nx.connected_components(ordered))
    if len(components) > 1:
        rank = {n: i for i, n in enumerate(part)}
        for component in components:
            ordered.add_edge(_CENTRE, min(component, key=lambda n: (-ordered.degree(n), rank[n])), weight=HOLD)
    placed = nx.spring_layout(ordered, seed=SEED, iterations=30, method="force")
    placed.pop(_CENTRE, None)
    coords = np.array([placed[n] for n in part], dtype=float)
    coords -= coords.mean(axis=0)
    nearest = _distances(coords).min(axis=1)
    coords *= SPACING / max(float(np.median(nearest)), 1e-9)
    coords = _apart(coords)
    radius = float(np.max(np.hypot(coords[:, 0], coords[:, 1]))) + MARGIN
    return {n: (float(x), float(y)) for n, (x, y) in zip(part, coords)}, radius


def _distances(coords):
    import numpy as np

    gaps = np.hypot(coords[:, None, 0] - coords[None, :, 0], coords[:, None, 1] - coords[None, :, 1])
    np.fill_diagonal(gaps, np.inf)
    return gaps


def _apart(coords, rounds: int = 30):
    """Nudge every pair closer than ``MIN_GAP`` apart along the line between them, a little more
    than the shortfall between the two, until none is (a part has at most PART_NODES nodes)."""
    import numpy as np

    coords = coords.copy()
    for _ in range(rounds):
        gaps = _distances(coords)
        i, j = np.nonzero(np.triu(gaps < MIN_GAP))
        if not len(i):
            break
        away = coords[i] - coords[j]
        apart = gaps[i, j]
        same = apart < 1e-9  # two nodes on one spot part along a fixed direction
        away[same] = (1.0, 0.0)
        apart = np.where(same, 1.0, apart)
        step = away * ((MIN_GAP - apart) * PUSH / apart)[:, None]
        np.add.at(coords, i, step)
        np.add.at(coords, j, -step)
    return coords


def _spread(nx, graph, radii: dict) -> dict:
    """Centres for discs of ``radii``: spring_layout of ``graph`` (seeded), then scaled up just
    enough that no two discs overlap."""
    import numpy as np

    keys = list(graph.nodes())
    if len(keys) == 1:
        return {keys[0]: (0.0, 0.0)}
    if len(keys) == 2:
        placed = {keys[0]: np.array([-1.0, 0.0]), keys[1]: np.array([1.0, 0.0])}
    else:
        placed = nx.spring_layout(graph, seed=SEED, weight="weight", iterations=50, method="force")
    coords = np.array([placed[k] for k in keys], dtype=float)
    r = np.array([radii[k] for k in keys], dtype=float)
    coords -= (coords * (r ** 2)[:, None]).sum(axis=0) / (r ** 2).sum()  # the largest disc nearest the middle
    gaps = np.hypot(coords[:, None, 0] - coords[None, :, 0], coords[:, None, 1] - coords[None, :, 1])
    need = (r[:, None] + r[None, :]) * 1.08
    np.fill_diagonal(gaps, np.inf)
    with np.errstate(divide="ignore"):
        scale = float(np.max(np.where(gaps > 1e-9, need / gaps, 1e6)))
    coords *= scale
    return {k: (float(x), float(y)) for k, (x, y) in zip(keys, coords)}


def _to_unit_box(positions: dict, areas: dict) -> Layout:
    xs = [x - r for x, _, r in areas.values()] + [x + r for x, _, r in areas.values()]
    ys = [y - r for _, y, r in areas.values()] + [y + r for _, y, r in areas.values()]
    left, top = min(xs), min(ys)
    size = max(max(xs) - left, max(ys) - top) or 1.0

    def box(x: float, y: float) -> tuple[float, float]:
        return (x - left) / size, (y - top) / size

    return Layout({n: box(x, y) for n, (x, y) in positions.items()},
                  {g: (*box(x, y), r / size) for g, (x, y, r) in areas.items()},
                  (max(xs) - left) / size, (max(ys) - top) / size, NODE_RADIUS / size)
