"""The suite is self-contained: no test or benchmark reads a file outside the repository.

A fresh clone must run every test but those that need PostgreSQL, Redis or a browser. A fixture looked up
beside the repository would make tests skip, or fail, in a clone that has nothing beside it. So: every
fixture path lies inside the repository, and no source file under tests/ or benchmarks/ climbs out of it,
either with a parent-directory path component in a string (a path, or a message naming one) or with more
``.parent`` / ``parents[n]`` / ``os.path.dirname`` steps from ``__file__`` than the file lies deep.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path, PurePosixPath

from tests.fixtures import registries

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(path for folder in ("tests", "benchmarks") for path in (ROOT / folder).rglob("*.py"))


def test_every_fixture_lies_inside_the_repository() -> None:
    named = {name: value for name, value in vars(registries).items() if isinstance(value, Path)}
    assert named, "tests.fixtures.registries names its files"
    for name, path in named.items():
        assert path.exists(), f"{name} = {path} does not exist"
    # resolve() follows symbolic links: a link to a file beside the repository does not count as inside.
    outside = [str(path) for path in registries.FIXTURES.rglob("*") if not path.resolve().is_relative_to(ROOT)]
    assert outside == []


def _steps_up(node: ast.expr, names: dict[str, ast.expr]) -> int | None:
    """How many directories above the file an expression built on ``__file__`` names; None if it is not one."""
    steps = 0
    while True:
        if isinstance(node, ast.Name) and node.id == "__file__":
            return steps
        if isinstance(node, ast.Name) and node.id in names:
            node = names[node.id]
        elif isinstance(node, ast.Attribute) and node.attr == "parent":
            steps, node = steps + 1, node.value
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "parents"
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, int)
        ):
            steps, node = steps + node.slice.value + 1, node.value.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
            # os.path.dirname(x) is one step up; Path(x), os.path.abspath(x) and the like are none.
            steps += node.func.attr == "dirname"
            node = node.args[0]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            node = node.func.value  # Path(...).resolve(), .absolute()
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args:
            node = node.args[0]  # Path(__file__)
        else:
            return None


def _escapes(source: str, relative: Path) -> list[str]:
    """The ways out of the repository in the source of the file at ``relative`` (to the repository root)."""
    tree = ast.parse(source)
    # Module-level names, so that ROOT.parent is followed back to ROOT = Path(__file__)...
    names = {
        target.id: statement.value
        for statement in tree.body
        if isinstance(statement, ast.Assign)
        for target in statement.targets
        if isinstance(target, ast.Name)
    }
    depth = len(relative.parts)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            # A ".." component, or one inside a message such as a skip reason that names a folder beside us.
            if os.pardir in PurePosixPath(node.value).parts or f"{os.pardir}/" in node.value:
                found.append(f"{node.lineno}: {node.value!r}")
        elif isinstance(node, ast.expr) and not isinstance(node, ast.Name):
            steps = _steps_up(node, names)
            if steps is not None and steps > depth:
                found.append(f"{node.lineno}: {ast.unparse(node)} climbs {steps} directories from a file {depth} deep")
    return found


def test_no_test_or_benchmark_reads_a_path_outside_the_repository() -> None:
    assert len(SOURCES) > 50, "the sweep found the sources"
    escapes = {
        str(relative): found
        for path in SOURCES
        if (found := _escapes(path.read_text(encoding="utf-8"), relative := path.relative_to(ROOT)))
    }
    assert escapes == {}


def test_the_sweep_catches_a_climb_out_of_the_repository() -> None:
    # The sweep reads this file too, hence os.pardir where the probes spell a parent directory.
    ways_out = [
        f'OUTSIDE = Path(__file__).resolve().parents[1] / "{os.pardir}" / "shared"',
        "OUTSIDE = Path(__file__).resolve().parents[2].parent",
        "ROOT = Path(__file__).parent.parent.parent\nOUTSIDE = ROOT.parent",
        "OUTSIDE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))",
        f'pytest.skip("the WSDL is not in {os.pardir}/shared (reference material absent)")',
    ]
    inside = ["ROOT = Path(__file__).resolve().parents[1]", "ROOT = Path(__file__).parent.parent / 'manage.py'"]
    # A file two deep, such as tests/conftest.py: parents[1] is the repository, parents[2] is beside it.
    for source in ways_out:
        assert _escapes(source, Path("tests", "probe.py")), source
    for source in inside:
        assert _escapes(source, Path("tests", "probe.py")) == [], source
