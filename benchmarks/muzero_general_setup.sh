#!/usr/bin/env bash
# Make muzero-general's own virtual environment (outside this repository) for
# benchmarks/muzero_general_lunarlander.py:  bash benchmarks/muzero_general_setup.sh VENV_DIR [PYTHON]
# PYTHON defaults to python3.11. Installs the versions of benchmarks/muzero_general_requirements.txt.
set -euo pipefail
venv=${1:?usage: muzero_general_setup.sh VENV_DIR [PYTHON]}
python=${2:-python3.11}
here=$(cd "$(dirname "$0")" && pwd)
"$python" -m venv "$venv"
"$venv/bin/pip" install torch==2.13.0
"$venv/bin/pip" install -r "$here/muzero_general_requirements.txt"
"$venv/bin/python" -c "import Box2D, gym, ray, torch; print('muzero-general environment ready:', torch.__version__, gym.__version__, ray.__version__)"
