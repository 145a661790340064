"""loss.png: a real PNG with one panel for regression, two (loss, accuracy) for classification."""

from PIL import Image

from fl_module.worker.plots import plot_losses


def summary(accuracy: bool) -> dict:
    rounds = [{"round": r, "test_loss": 1.0 / (r + 1), "test_accuracy": 0.5 + r / 20 if accuracy else None}
              for r in range(5)]
    return {"rounds": rounds, "final_test_loss": 0.2, "final_test_accuracy": 0.7 if accuracy else None,
            "baselines": {"fedavg": {"final_test_loss": 2e3, "final_test_accuracy": 0.1 if accuracy else None},
                          "median": {"final_test_loss": 0.3, "final_test_accuracy": None,
                                     "per_round": [{"round": r, "test_loss": 0.9 - r / 10} for r in range(5)]}}}


def test_classification_summary_draws_loss_and_accuracy_panels(tmp_path):
    path = tmp_path / "loss.png"
    plot_losses(summary(accuracy=True), str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as image:
        width, height = image.size
        colours = len(image.convert("RGB").getcolors(maxcolors=1 << 24))
    assert width > 2 * height and colours > 10  # two panels side by side, with something drawn


def test_regression_summary_draws_one_panel_and_tolerates_missing_pieces(tmp_path):
    path = tmp_path / "loss.png"
    plot_losses(summary(accuracy=False), str(path))
    with Image.open(path) as image:
        width, height = image.size
    assert width < 2 * height
    plot_losses({"per_round": [{"global_test_loss": 0.5}]}, str(tmp_path / "alt.png"))
    plot_losses({}, str(tmp_path / "empty.png"))
    assert (tmp_path / "alt.png").stat().st_size > 0 and (tmp_path / "empty.png").stat().st_size > 0
