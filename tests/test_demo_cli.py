"""``mzlab demo`` refuses bad input before it writes anything."""

import pytest

from mzlab.cli import main


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--training-steps", "0"], "--training-steps must be a positive integer"),
        (["--checkpoint-interval", "20000"], "--checkpoint-interval must be in 1..10000"),
        (["--seeds", "3-1"], "3-1"),
        (["--executor", "slurm"], "slurm"),
    ],
)
def test_bad_demo_input_is_one_line_and_writes_nothing(tmp_path, capsys, argv, message):
    out = tmp_path / "study"
    assert main(["demo", "--out", str(out), "--no-progress", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mzlab: error: ") and err.count("\n") == 1 and message in err
    assert not out.exists()
