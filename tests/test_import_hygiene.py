"""`import nsllm_cli.cli` stays cheap, and engine modules never pull in UI libraries.

The engine modules are found by walking the package on disk (every module outside `nsllm_cli/cli/` and
`nsllm_cli/tui/`), so a module that is added or moved is checked without editing this file.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import json
import pkgutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType

import nsllm_cli

HEAVY = ("torch", "transformers", "peft", "trl", "datasets", "bitsandbytes", "textual", "openai", "accelerate")
UI = ("typer", "rich", "textual")
UI_LAYERS = ("nsllm_cli.cli", "nsllm_cli.tui", "nsllm_cli.inspect_ext", "nsllm_cli.__main__")
"""The front ends (and the `python -m` twin that imports the CLI): the only modules allowed to load UI libraries.
The Inspect AI integration is one: Inspect itself loads rich and textual (and it needs the `inspect` extra)."""
REPO = Path(__file__).resolve().parents[1]
PACKAGE = Path(nsllm_cli.__path__[0])


def _walk(path: Path, prefix: str) -> Iterator[str]:
    """Dotted names of every module and package under `path`, found without importing any of them."""
    for info in pkgutil.iter_modules([str(path)], prefix):
        yield info.name
        if info.ispkg:
            yield from _walk(path / info.name.rpartition(".")[2], f"{info.name}.")


def _is_ui(module: str) -> bool:
    return any(module == layer or module.startswith(f"{layer}.") for layer in UI_LAYERS)


def engine_modules() -> list[str]:
    """Every module of `nsllm_cli` outside the UI layers, the package itself included."""
    return ["nsllm_cli", *(name for name in _walk(PACKAGE, "nsllm_cli.") if not _is_ui(name))]


class _UiSpy(importlib.abc.MetaPathFinder):
    """Notes which `nsllm_cli` module was executing when a UI library was first looked up."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.partition(".")[0] in UI:
            frame = sys._getframe(1)
            while frame is not None and not str(frame.f_globals.get("__name__", "")).startswith("nsllm_cli"):
                frame = frame.f_back  # type: ignore[assignment]
            importer = frame.f_globals["__name__"] if frame is not None else "?"
            self.seen.append((fullname, importer))
        return None  # the real finders do the import


def ui_importers(modules: list[str]) -> dict[str, list[str]]:
    """Import `modules` in turn; for each that loads a UI library, "<library> (imported by <module>)" lines.

    Runs in a fresh interpreter (see `_run_probe`). After each offender the UI libraries are dropped from
    `sys.modules`, so that a later offender is caught as well.
    """
    spy = _UiSpy()
    sys.meta_path.insert(0, spy)
    found: dict[str, list[str]] = {}
    for module in modules:
        spy.seen.clear()
        importlib.import_module(module)
        loaded = sorted({name.partition(".")[0] for name in sys.modules} & set(UI))
        if loaded:
            found[module] = [f"{lib} (imported by {who})" for lib, who in spy.seen if "." not in lib] or loaded
            for name in [n for n in sys.modules if n.partition(".")[0] in UI]:
                del sys.modules[name]
    return found


def _run_probe(modules: list[str]) -> dict[str, list[str]]:
    code = (
        f"import json, sys; sys.path.insert(0, {str(REPO)!r})\n"
        "from tests.test_import_hygiene import ui_importers\n"
        "print(json.dumps(ui_importers(json.loads(sys.stdin.read()))))"
    )
    out = subprocess.run([sys.executable, "-c", code], input=json.dumps(modules), capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]  # a module that fails to import says why
    result: dict[str, list[str]] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _loaded_after(import_stmt: str, names: tuple[str, ...]) -> list[str]:
    code = f"import sys; {import_stmt}; print(' '.join(n for n in {names!r} if n in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_cli_import_loads_no_heavy_library() -> None:
    assert _loaded_after("import nsllm_cli.cli", HEAVY) == []


def test_walk_finds_every_module_on_disk() -> None:
    """A folder without `__init__.py` would hide its modules from the walk (and from the check below)."""
    found = set(engine_modules())
    on_disk = {
        ".".join(("nsllm_cli", *p.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__")
        for p in PACKAGE.rglob("*.py")
    }
    assert sorted(m for m in on_disk - found if not _is_ui(m)) == []


def test_engine_modules_do_not_import_ui_libraries() -> None:
    assert _run_probe(engine_modules()) == {}


def test_probe_names_the_module_that_loads_a_ui_library() -> None:
    """The check itself can fail: a module that loads `typer` is reported, naming the module whose import did it."""
    found = _run_probe(["nsllm_cli.errors", "nsllm_cli.cli"])
    assert "nsllm_cli.errors" not in found
    assert any(line.startswith("typer (imported by nsllm_cli.cli") for line in found["nsllm_cli.cli"])


def test_help_runs_without_heavy_imports() -> None:
    code = (
        "import sys; from nsllm_cli.cli import app\n"
        "try:\n    app(args=['--help'], prog_name='nsllm')\nexcept SystemExit:\n    pass\n"
        f"print('LOADED', ' '.join(n for n in {HEAVY!r} if n in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "gather" in out.stdout and "dashboard" in out.stdout
    assert out.stdout.strip().splitlines()[-1].strip() == "LOADED"
