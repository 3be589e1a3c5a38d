"""Walking the chains of replaced certification codes (France Compétences 2026,
``Ancienne_Nouvelle_Certification``).

A code may be replaced several times in a row (up to nine steps in the 2026 export), split into
several successors, or merged with others into one. The export has no cycle today; every walk
here still keeps the codes it has seen, so a cycle in a future export ends the walk instead of
looping. Functions take plain mappings (code → codes) so that the importer and the search indexer
share them without a query per step.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

Graph = Mapping[str, Iterable[str]]


def graph(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(successors, predecessors) of each code, from (old, new) pairs; a pair of a code with
    itself says nothing and is dropped."""
    successors: defaultdict[str, set[str]] = defaultdict(set)
    predecessors: defaultdict[str, set[str]] = defaultdict(set)
    for old, new in pairs:
        if old and new and old != new:
            successors[old].add(new)
            predecessors[new].add(old)
    return dict(successors), dict(predecessors)


def reachable(code: str, edges: Graph) -> list[str]:
    """Every code reachable from ``code`` along ``edges`` (``code`` itself excluded), nearest
    first, each once: breadth first, so a cycle ends the walk."""
    seen = {code}
    order: list[str] = []
    frontier = [code]
    while frontier:
        following = []
        for current in frontier:
            for nxt in sorted(edges.get(current, ())):
                if nxt not in seen:
                    seen.add(nxt)
                    order.append(nxt)
                    following.append(nxt)
        frontier = following
    return order


def latest(code: str, successors: Graph) -> list[str]:
    """The end(s) of the chains starting at ``code``: the codes reachable from it that have no
    successor themselves. A code without successor is its own end. When a cycle leaves no end,
    the answer is empty (none of its codes is the latest)."""
    if not successors.get(code):
        return [code]
    return [other for other in reachable(code, successors) if not successors.get(other)]


def nearest_with(code: str, predecessors: Graph, wanted: Mapping[str, object]) -> str | None:
    """The nearest predecessor of ``code`` (through any number of replacements) found in
    ``wanted``; among predecessors equally far, the most recently created code (the highest
    number), which is the closest in time to ``code``."""
    seen = {code}
    frontier = [code]
    while frontier:
        following: list[str] = []
        for current in frontier:
            for previous in predecessors.get(current, ()):
                if previous not in seen:
                    seen.add(previous)
                    following.append(previous)
        found = [previous for previous in following if previous in wanted]
        if found:
            return max(found, key=code_order)
        frontier = following
    return None


def code_order(code: str) -> tuple[str, int]:
    """``RNCP34305`` → ("RNCP", 34305): codes of a registry sort by their number."""
    prefix = code.rstrip("0123456789")
    digits = code[len(prefix) :]
    return prefix, int(digits) if digits else 0
