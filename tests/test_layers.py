"""Imports follow the layers of ``docs/architecture.md``: no module imports from a higher layer, not even inside
a function. The layer list is read from the document itself, so the two cannot drift apart."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def read_layers() -> list[tuple[str, list[str]]]:
    """``[(layer, [module prefixes])]``, lowest first, from the ```` ```layers ```` block of the architecture doc."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = re.search(r"```layers\n(.*?)```", text, re.S)
    assert block, "docs/architecture.md has no ```layers block"
    layers = []
    for line in block.group(1).splitlines():
        if line.strip():
            name, _, modules = line.partition(":")
            layers.append((name.strip(), modules.split()))
    return layers


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    path = ROOT / Path(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imported_modules(path: Path, module: str) -> set[str]:
    """Every ``mzlab`` module ``path`` imports anywhere (top level, functions, ``TYPE_CHECKING`` blocks);
    ``from package import name`` counts as importing ``package.name`` when that is a module."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if is_module(candidate) else base)
    return {name for name in found if name == "mzlab" or name.startswith("mzlab.")}


def layer_of(module: str, layers) -> int | None:
    """Index of the layer whose longest listed prefix matches ``module``; the bare ``mzlab`` matches only itself."""
    best, best_length = None, -1
    for index, (_, prefixes) in enumerate(layers):
        for prefix in prefixes:
            matches = module == prefix or (prefix != "mzlab" and module.startswith(prefix + "."))
            if matches and len(prefix) > best_length:
                best, best_length = index, len(prefix)
    return best


def all_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted((ROOT / "mzlab").rglob("*.py"))}


def test_every_module_has_a_layer():
    layers = read_layers()
    assert [name for name, _ in layers][:2] == ["foundation", "config"]
    missing = [module for module in all_modules() if layer_of(module, layers) is None]
    assert missing == []


def test_no_module_imports_from_a_higher_layer():
    layers = read_layers()
    upward = []
    for module, path in all_modules().items():
        own = layer_of(module, layers)
        for target in sorted(imported_modules(path, module)):
            other = layer_of(target, layers)
            if other is not None and other > own:
                upward.append(f"{module} ({layers[own][0]}) imports {target} ({layers[other][0]})")
    assert upward == []


def test_the_checker_sees_function_level_and_from_imports(tmp_path):
    """The parsing itself, on a made-up module: a function-level import and a ``from package import module``."""
    source = tmp_path / "example.py"
    source.write_text("import os\n\ndef late():\n    from mzlab.plots import analysis_figures\n"
                      "    from mzlab.report.build import build_report\n    import mzlab.cli\n")
    found = imported_modules(source, "mzlab.analysis.example")
    assert found == {"mzlab.plots.analysis_figures", "mzlab.report.build", "mzlab.cli"}
    layers = [("low", ["mzlab.analysis"]), ("high", ["mzlab.plots", "mzlab"])]
    assert layer_of("mzlab.plots.analysis_figures", layers) == 1 and layer_of("mzlab.analysis.x", layers) == 0
    assert layer_of("mzlab.other", layers) is None  # the bare package name covers only mzlab/__init__.py
