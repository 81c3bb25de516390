"""Learner-step tick labels: hand-written expectations, and the formatter on a real axis."""

from mzlab.plots.style import plt, step_axis, step_label


def test_step_label_by_hand():
    assert [step_label(v) for v in (0, 500, 999, 1000, 2500, 20000, 100000, 300000, 1_000_000, 1_200_000)] == [
        "0", "500", "999", "1k", "2.5k", "20k", "100k", "300k", "1M", "1.2M"]


def test_step_axis_formats_the_ticks():
    figure, axis = plt.subplots()
    axis.plot([0, 300000], [0, 1])
    axis.set_xticks([0, 100000, 200000, 300000])
    step_axis(axis)
    figure.canvas.draw()
    assert [t.get_text() for t in axis.get_xticklabels()] == ["0", "100k", "200k", "300k"]
    plt.close(figure)
