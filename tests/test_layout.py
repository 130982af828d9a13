"""The layering, read from the source: inference never imports bot, storage or training (a
training script may import inference, never the reverse), storage never imports bot, and no two
packages import each other, even through others."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOPS = ("bot", "inference", "storage", "training", "prompts")


def _package(module: str) -> str:
    """'inference.parsing.lite0' -> 'inference.parsing'; top-level modules stand alone."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] in ("bot", "inference") and len(parts) > 1 \
        else parts[0]


def _exists(module: str) -> bool:
    path = ROOT / module.replace(".", "/")
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def import_graph() -> dict[str, set[str]]:
    """Package -> the packages its modules import (lazy imports inside functions included)."""
    edges: dict[str, set[str]] = defaultdict(set)
    for top in TOPS:
        for file in (ROOT / top).rglob("*.py"):
            source = _package(".".join(file.relative_to(ROOT).with_suffix("").parts))
            for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                else:
                    continue
                for name in names:
                    if name.split(".")[0] in TOPS and _exists(name):
                        if (target := _package(name)) != source:
                            edges[source].add(target)
    return edges


def test_inference_imports_nothing_above_it() -> None:
    graph = import_graph()
    for package, targets in graph.items():
        if package.startswith("inference"):
            assert not {t for t in targets if t.split(".")[0] in ("bot", "storage", "training")}, \
                f"{package} imports {sorted(targets)}"
    assert not any(t.startswith(("bot", "inference", "training"))
                   for t in graph.get("storage", ())), graph.get("storage")


def test_only_the_cli_reaches_into_training() -> None:
    users = {p for p, targets in import_graph().items() if "training" in targets}
    assert users == {"bot.cli"}, users


def test_no_import_cycles_between_packages() -> None:
    graph = import_graph()
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            assert state.get(nxt) != 1, "cycle: " + " -> ".join(path[path.index(nxt):] + [nxt]) \
                if nxt in path else f"cycle through {nxt}"
            if nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])


def test_the_graph_sees_the_real_imports() -> None:
    graph = import_graph()
    assert "inference.core" in graph["inference.parsing"]
    assert "bot.chat" in graph["bot.channels"]
