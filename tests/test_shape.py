"""The shape of the code: no module over 450 lines and no function over 80 lines in
`src/sprechzeit` (tests and migrations aside), so a use case that grows is split before
it becomes the next god module. A new violation fails here; the allow-list names the
only exceptions. And no module imports another module's underscore names."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Final

SOURCE: Final = Path(__file__).resolve().parent.parent / "src" / "sprechzeit"
MAX_MODULE_LINES: Final = 450
MAX_FUNCTION_LINES: Final = 80

# Exceptions, by path below src/sprechzeit. A directory (ending in "/") covers its files.
ALLOWED: Final = (
    # The ledger's one write path: cohesive on purpose (docs/ledger.md), kept whole.
    "ledger/booking.py",
)


def _allowed(relative: str, allowed: tuple[str, ...]) -> bool:
    return any(
        relative.startswith(entry) if entry.endswith("/") else relative == entry
        for entry in allowed
    )


def shape_violations(root: Path, allowed: tuple[str, ...]) -> list[str]:
    """Modules over `MAX_MODULE_LINES` and functions over `MAX_FUNCTION_LINES` (with
    decorators and docstring) below `root`, tests, migrations and `allowed` aside."""
    problems: list[str] = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        parts = set(path.relative_to(root).parts)
        if "tests" in parts or "migrations" in parts or _allowed(relative, allowed):
            continue
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > MAX_MODULE_LINES:
            problems.append(f"{relative}: {lines} lines (at most {MAX_MODULE_LINES})")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                length = (node.end_lineno or node.lineno) - start + 1
                if length > MAX_FUNCTION_LINES:
                    problems.append(
                        f"{relative}:{node.lineno} {node.name}: {length} lines"
                        f" (at most {MAX_FUNCTION_LINES})"
                    )
    return problems


def test_no_module_or_function_over_the_limits() -> None:
    assert shape_violations(SOURCE, ALLOWED) == []


def test_the_check_finds_long_functions_and_modules_outside_the_allow_list(
    tmp_path: Path,
) -> None:
    body = "\n".join(f"    x{n} = {n}" for n in range(MAX_FUNCTION_LINES - 1))
    fits = f"def fits() -> None:\n{body}\n"  # exactly MAX_FUNCTION_LINES lines
    too_long = f"@staticmethod\ndef too_long() -> None:\n{body}\n"  # one more
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "tests").mkdir()
    (tmp_path / "app" / "ok.py").write_text(fits)
    (tmp_path / "app" / "bad.py").write_text(too_long)
    (tmp_path / "app" / "big.py").write_text("x = 1\n" * (MAX_MODULE_LINES + 1))
    (tmp_path / "app" / "tests" / "test_big.py").write_text(too_long * 10)
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "legacy.py").write_text(too_long)
    assert shape_violations(tmp_path, ("old/",)) == [
        f"app/bad.py:2 too_long: {MAX_FUNCTION_LINES + 1} lines (at most {MAX_FUNCTION_LINES})",
        f"app/big.py: {MAX_MODULE_LINES + 1} lines (at most {MAX_MODULE_LINES})",
    ]
    assert len(shape_violations(tmp_path, ())) == 3


def test_the_allow_list_names_only_what_exists() -> None:
    for entry in ALLOWED:
        assert (SOURCE / entry.rstrip("/")).exists(), entry
    # booking.py is on the list because it is long: if it shrinks, the entry goes.
    booking = (SOURCE / "ledger" / "booking.py").read_text(encoding="utf-8")
    assert len(booking.splitlines()) > MAX_MODULE_LINES


def underscore_imports(roots: tuple[Path, ...]) -> list[str]:
    """`from sprechzeit.x import _name` anywhere below `roots`: a name another module
    needs gets a public name where it belongs (docs/architecture.md)."""
    found: list[str] = []
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "sprechzeit"
                ):
                    found.extend(
                        f"{path.relative_to(root).as_posix()}: {node.module}.{alias.name}"
                        for alias in node.names
                        if alias.name.startswith("_")
                    )
    return found


def test_no_module_imports_another_modules_underscore_names(tmp_path: Path) -> None:
    assert underscore_imports((SOURCE, Path(__file__).resolve().parent)) == []
    (tmp_path / "a.py").write_text("from sprechzeit.core.net import _address, client_address\n")
    (tmp_path / "b.py").write_text("from __future__ import annotations\nfrom os import _exit\n")
    assert underscore_imports((tmp_path,)) == ["a.py: sprechzeit.core.net._address"]
