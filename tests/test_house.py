"""The house: one import package, and imports that point one way.

    vocab ← rules ← stages ← monthly ← reports ← cli      (tools: generate, subsidy, formats, rulesdoc)

`pipeline/`, `rules/` and `reports/` are installed as `loan_audit.pipeline`,
`loan_audit.rules` and `loan_audit.reports` (pyproject's package-dir); nothing of ours is
importable as `pipeline`, `rules` or `reports`, names other distributions use.
"""

from __future__ import annotations

import ast
import io
import re
import subprocess
import sys
import tokenize
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FOLDERS = ("pipeline", "rules", "reports")

# Each layer and the layers it may import (itself included). A module belongs to the
# longest prefix listed.
LAYERS = {
    "loan_audit.pipeline.vocab": "vocab",
    "loan_audit.rules": "rules",
    "loan_audit.pipeline.stages": "stages",
    "loan_audit.pipeline.monthly": "monthly",
    "loan_audit.pipeline.generate": "generate",
    "loan_audit.pipeline.subsidy": "tools",
    "loan_audit.pipeline.formats": "tools",
    "loan_audit.pipeline.rulesdoc": "tools",
    "loan_audit.reports": "reports",
    "loan_audit.pipeline.cli": "cli",
    "loan_audit.pipeline": "package",
}
MAY_IMPORT = {
    "package": set(),
    "vocab": {"vocab"},
    "rules": {"vocab", "rules"},
    "stages": {"vocab", "rules", "stages"},
    "monthly": {"vocab", "stages", "monthly"},
    "generate": {"vocab", "generate"},
    "tools": {"vocab", "rules", "tools"},
    "reports": {"vocab", "rules", "monthly", "tools", "reports"},
    "cli": {"vocab", "rules", "stages", "monthly", "generate", "tools", "reports", "cli", "package"},
}


def layer(module: str) -> str | None:
    best = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len, default=None)
    return LAYERS.get(best)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["loan_audit", *parts])


def imports_of(source: str, module: str, is_package: bool) -> list[str]:
    """Every module an import statement names, anywhere in the file (lazy imports too),
    relative imports resolved against `module`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            found.append(target)
            # `from loan_audit.pipeline import stages` imports a sub-module
            found += [f"{target}.{a.name}" for a in node.names if layer(f"{target}.{a.name}") != layer(target)]
    return found


def violations(graph: dict[str, list[str]]) -> list[str]:
    """`importer → imported` for every import that points the wrong way, or that names
    our folders as top-level packages."""
    bad = []
    for importer, targets in graph.items():
        mine = layer(importer)
        for target in targets:
            if target.split(".")[0] in FOLDERS:
                bad.append(f"{importer} → {target} (a top-level name: use loan_audit.{target})")
            theirs = layer(target)
            if theirs and theirs != "package" and theirs not in MAY_IMPORT[mine]:
                bad.append(f"{importer} ({mine}) → {target} ({theirs})")
    return bad


def source_graph() -> dict[str, list[str]]:
    graph = {}
    for folder in FOLDERS:
        for path in sorted((REPO / folder).rglob("*.py")):
            name = module_name(path)
            graph[name] = imports_of(path.read_text(encoding="utf-8"), name, path.name == "__init__.py")
    return graph


def test_every_module_belongs_to_a_layer():
    assert [m for m in source_graph() if layer(m) is None] == []


def test_imports_point_one_way():
    assert violations(source_graph()) == []


@pytest.mark.parametrize(
    "importer, target",
    [
        ("loan_audit.rules.overdue", "loan_audit.pipeline.stages.context"),  # a rule imports a stage
        ("loan_audit.pipeline.stages.run", "loan_audit.pipeline.cli"),  # a stage imports the CLI
        ("loan_audit.pipeline.vocab.policy", "loan_audit.rules"),  # the vocabulary imports rules
        ("loan_audit.pipeline.vocab.ids", "loan_audit.pipeline.stages.normalise"),  # … or a stage
        ("loan_audit.reports.render", "loan_audit.pipeline.stages.outputs"),  # reports read a stage's internals
        ("loan_audit.rules.overdue", "pipeline.ids"),  # our folder as a top-level package
    ],
)
def test_an_import_the_wrong_way_is_caught(importer, target):
    assert violations({importer: [target]}) != []


def test_relative_and_from_package_imports_are_resolved():
    source = "from ..stages import context\nfrom . import values\nfrom loan_audit.pipeline import stages\n"
    found = imports_of(source, "loan_audit.pipeline.vocab.ids", is_package=False)
    assert found == ["loan_audit.pipeline.stages", "loan_audit.pipeline.vocab", "loan_audit.pipeline",
                     "loan_audit.pipeline.stages"]
    assert violations({"loan_audit.pipeline.vocab.ids": found}) != []


def _installed(code: str) -> subprocess.CompletedProcess:
    """`code` run by this venv's Python, isolated (-I: no cwd, no PYTHONPATH on sys.path)."""
    return subprocess.run([sys.executable, "-I", "-c", code], cwd="/", capture_output=True, text=True)


def test_only_loan_audit_is_importable_from_the_installed_distribution():
    done = _installed(
        "import importlib.util as u, importlib.metadata as m\n"
        "import loan_audit.pipeline.cli, loan_audit.rules, loan_audit.reports.render\n"
        "print([n for n in ('pipeline', 'rules', 'reports') if u.find_spec(n)])\n"
        "print(m.distribution('loan-audit').read_text('top_level.txt').split())\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[]", "['loan_audit']"]


def test_pyproject_lists_every_package_folder():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(project["tool"]["setuptools"]["packages"])
    folders = {module_name(p) for f in FOLDERS for p in (REPO / f).rglob("__init__.py")}
    assert listed == folders


def test_the_wheel_holds_one_package_with_its_data(tmp_path):
    """Built from a copy of the sources, so that no build/ folder is left in the checkout."""
    import shutil

    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    for folder in FOLDERS:
        shutil.copytree(REPO / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-q", "-w", str(tmp_path / "dist")],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names if ".dist-info/" not in n} == {"loan_audit"}
    ours = {f"loan_audit/{p.relative_to(src).as_posix()}" for f in FOLDERS for p in (src / f).rglob("*") if p.is_file()}
    assert ours - set(names) == set()


MAX_LINES = 500
# A figure with a unit of time or a before → after: the diary of a benchmark, not a why.
NARRATION = re.compile(r"\d(\.\d+)?\s*(s|ms|µs)\b\s*(→|->)|\b1M loans\b|\bbest of \d\b")


def test_no_source_file_is_over_500_lines():
    long = {str(p.relative_to(REPO)): n for f in FOLDERS for p in (REPO / f).rglob("*.py")
            if (n := p.read_text(encoding="utf-8").count("\n")) > MAX_LINES}
    assert long == {}


def comment_lines(source: str) -> list[str]:
    """The comments and docstrings of a module, line by line."""
    found = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            found.append(tok.string)
        elif tok.type == tokenize.STRING and tok.string.lstrip("rbuf").startswith(('"""', "'''")):
            found += tok.string.splitlines()
    return found


def test_comments_do_not_narrate_benchmarks():
    found = [f"{p.relative_to(REPO)}: {line.strip()}" for f in FOLDERS for p in sorted((REPO / f).rglob("*.py"))
             for line in comment_lines(p.read_text(encoding="utf-8")) if NARRATION.search(line)]
    assert found == []


@pytest.mark.parametrize("line, narrates", [
    ("# 1M loans: 1.6 s → 0.4 s", True),
    ('"""name_groups 3.6 s -> 0.2 s at a province"""', True),
    ("# best of 3 interleaved", True),
    ("# a loan of 50,000 yuan over 36 months", False),
    ("# runs of rows of one village keep the join small", False),
])
def test_the_narration_pattern(line, narrates):
    assert bool(NARRATION.search(line)) is narrates
