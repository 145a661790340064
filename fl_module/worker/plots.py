"""The demo's loss.png: the chain run's global test loss per round beside the baselines.

Drawn with matplotlib's Agg canvas on a private Figure (no pyplot, no global backend), so
it works headless and leaves no state behind.
"""

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

ROUND_KEYS = ("rounds", "per_round")
LOSS_KEYS = ("test_loss", "global_test_loss")
ACCURACY_KEYS = ("test_accuracy", "global_test_accuracy")


def _first(record: dict, keys: tuple[str, ...]):
    for key in keys:
        if record.get(key) is not None:
            return record[key]
    return None


def _curve(rounds: list[dict], keys: tuple[str, ...]) -> tuple[list[int], list[float]]:
    points = [(record.get("round", index), _first(record, keys)) for index, record in enumerate(rounds)]
    points = [(x, y) for x, y in points if y is not None]
    return [x for x, _ in points], [float(y) for _, y in points]


def _rounds(summary: dict) -> list[dict]:
    for key in ROUND_KEYS:
        if isinstance(summary.get(key), list):
            return summary[key]
    return []


def plot_losses(summary: dict, path: str) -> None:
    """Write a PNG: global test loss per round (and accuracy, for classification) of the chain
    run (summary["rounds"] or summary["per_round"], each with "test_loss"/"test_accuracy"),
    and each of summary["baselines"]: its per-round curve when given, else its final figure
    as a horizontal line."""
    rounds = _rounds(summary)
    baselines = summary.get("baselines") or {}
    panels = [("global test loss", LOSS_KEYS, "final_test_loss")]
    has_accuracy = any(_first(r, ACCURACY_KEYS) is not None for r in rounds) or any(
        b.get("final_test_accuracy") is not None for b in baselines.values())
    if has_accuracy:
        panels.append(("global test accuracy", ACCURACY_KEYS, "final_test_accuracy"))

    figure = Figure(figsize=(6.5 * len(panels), 4.5), dpi=100)
    FigureCanvasAgg(figure)
    for index, (title, keys, final_key) in enumerate(panels):
        axes = figure.add_subplot(1, len(panels), index + 1)
        xs, ys = _curve(rounds, keys)
        values = list(ys)
        if xs:
            axes.plot(xs, ys, marker="o", linewidth=2, color="black", label="flockchain (vote on loss)")
        for name, result in sorted(baselines.items()):
            bx, by = _curve(result.get("per_round") or [], keys)
            if bx:
                axes.plot(bx, by, linestyle="--", label=name)
                values += by
            elif result.get(final_key) is not None:
                axes.axhline(float(result[final_key]), linestyle=":", label=f"{name} (final)")
                values.append(float(result[final_key]))
        positive = [v for v in values if v > 0]
        if keys is LOSS_KEYS and positive and max(positive) / min(positive) > 100:
            axes.set_yscale("log")  # a collapsed baseline would flatten every other curve
        axes.set_title(title)
        axes.set_xlabel("round")
        axes.grid(alpha=0.3)
        if axes.get_legend_handles_labels()[0]:
            axes.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, format="png")
