#!/usr/bin/env bash
# GPU check (benchmarks/gpu_check.py): under 8 minutes on one GPU; prints one line and exits 0 without CUDA.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
exec "$PYTHON" benchmarks/gpu_check.py "$@"
