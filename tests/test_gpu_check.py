"""benchmarks/gpu_check.py: one line and exit 0 without CUDA; the CPU dry run agrees with itself exactly."""

import json

import pytest
import torch
from fakes import load_benchmark


def load_script():
    return load_benchmark("gpu_check")


def test_skips_cleanly_without_cuda(monkeypatch, capsys):
    gpu_check = load_script()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert gpu_check.main([]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0]) == {"case": "gpu_check", "skipped": True, "reason": "no CUDA device"}


def test_relative_difference_is_to_the_largest_magnitude():
    gpu_check = load_script()
    assert gpu_check._relative([1.0, -4.0], [1.0, -4.0]) == 0.0
    assert gpu_check._relative([1.0, -4.002], [1.0, -4.0]) == pytest.approx(0.002 / 4.0)


@pytest.mark.slow
def test_cpu_dry_run_exercises_every_case(capsys):
    gpu_check = load_script()
    assert gpu_check.main(["--device", "cpu", "--tiny"]) == 0
    cases = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    by_case = {case["case"]: case for case in cases}
    assert set(by_case) >= {"breakout_train", "cuda_vs_cpu", "cartpole_train", "analysis", "summary"}
    assert by_case["cuda_vs_cpu"]["match"] and by_case["cuda_vs_cpu"]["gradient_max_rel_diff"] == 0.0
    assert by_case["breakout_train"]["learner_steps"] >= 1 and by_case["summary"]["ok"]
