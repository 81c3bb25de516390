"""Building the command line's parser imports none of the heavy libraries (start-up under a second), and what
the parser repeats to stay light matches its source."""

import subprocess
import sys
from pathlib import Path

HEAVY = ("torch", "numpy", "pandas", "matplotlib", "numba", "gymnasium", "mzlab.analysis.session")


def test_building_the_parser_imports_no_heavy_module():
    code = ("import sys, mzlab.cli; mzlab.cli.build_parser(); "
            f"print(','.join(name for name in {HEAVY!r} if name in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=Path(__file__).resolve().parents[1])
    assert result.stdout.strip() == ""


def test_version_and_an_argument_error_exit_as_before():
    root = Path(__file__).resolve().parents[1]
    version = subprocess.run([sys.executable, "-m", "mzlab.cli", "--version"], capture_output=True, text=True,
                             cwd=root)
    assert version.returncode == 0 and version.stdout.startswith("mzlab ")
    error = subprocess.run([sys.executable, "-m", "mzlab.cli", "train", "--env"], capture_output=True, text=True,
                           cwd=root)
    assert error.returncode == 2 and "expected one argument" in error.stderr


def test_the_envs_command_names_the_registry_prefix():
    from mzlab.commands import envs
    from mzlab.envs.registry import GYM_PREFIX

    assert envs.GYM_PREFIX == GYM_PREFIX
