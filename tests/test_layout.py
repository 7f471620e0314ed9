"""The package's parts depend on each other one way only, read from the sources' import statements.

A part is a subpackage (`melanoscan/api/`) or a top-level module (`melanoscan/config.py`). Every import,
at module level or inside a function, counts."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "melanoscan"
# Lower parts first: a part may import only parts listed before it (and itself).
LAYERS = [
    {"errors", "config", "texts", "__init__"},
    {"imaging", "storage"},
    {"inference"},
    {"screening", "hospitals", "web"},
    {"api", "training"},
    {"serving"},  # gunicorn's worker and logger for the API's app
    {"cli", "__main__"},
]


def part_of(path: Path) -> str:
    relative = path.relative_to(SRC)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        source = part_of(path)
        targets = graph.setdefault(source, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            for name in names:
                parts = name.split(".")
                if len(parts) < 2 or parts[0] != "melanoscan" or parts[1] == source:
                    continue
                if (SRC / parts[1]).is_dir() or (SRC / f"{parts[1]}.py").exists():
                    targets.add(parts[1])
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path, node, target]
            if target not in state and (found := visit(target, [*path, node])):
                return found
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node, [])):
            return found
    return None


def test_no_import_cycle_between_parts():
    graph = import_graph()
    assert {"api", "screening", "inference", "imaging", "hospitals", "storage", "cli"} <= set(graph)
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_parts_only_import_lower_layers():
    rank = {part: level for level, parts in enumerate(LAYERS) for part in parts}
    graph = import_graph()
    assert set(graph) <= set(rank), f"place new parts in LAYERS: {set(graph) - set(rank)}"
    upward = sorted((a, b) for a, targets in graph.items() for b in targets if rank[b] >= rank[a] and a != b)
    # Parts in one layer may not import each other either: that is how cycles start.
    assert upward == [], upward


def test_command_line_and_screening_do_not_load_flask():
    code = (
        "import sys, melanoscan.cli.classify, melanoscan.screening.pipeline, melanoscan.training.metrics;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'werkzeug', 'torch')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "[]"
