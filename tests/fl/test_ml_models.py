"""Model specs: deterministic float32 initial models, functional forward, losses, dataset names."""

import ast
from pathlib import Path

import pytest
import torch

from fl_module.worker.models import (
    DATASETS, MODEL_SPECS, dataset_descriptor, default_model_kind, forward, forward_stacked, init_model,
    is_classification, loss_fn, model_spec)

torch.set_num_threads(1)  # two xdist workers share two cores

WORKER = Path(__file__).resolve().parents[2] / "fl_module" / "worker"
ML_FILES = ["__init__", "models", "tensors", "aggregate", "data", "train", "validate", "attacks", "baselines", "plots"]


@pytest.mark.parametrize("kind", sorted(MODEL_SPECS))
def test_init_model_is_float32_of_the_spec_shapes_and_a_function_of_the_seed(kind):
    model = init_model(kind, 11)
    assert {name: tuple(t.shape) for name, t in model.items()} == dict(model_spec(kind).shapes)
    assert all(t.dtype == torch.float32 and t.device.type == "cpu" for t in model.values())
    again, other = init_model(kind, 11), init_model(kind, 12)
    assert all(torch.equal(model[n], again[n]) for n in model)
    assert any(not torch.equal(model[n], other[n]) for n in model)
    state = torch.random.get_rng_state()
    init_model(kind, 13)
    assert torch.equal(state, torch.random.get_rng_state()), "init must not touch torch's global RNG"


def test_init_bounds_follow_fan_in():
    model = init_model("mlp", 0)
    assert model["fc1.weight"].abs().max() <= 1 / 64 ** 0.5
    assert model["fc2.weight"].abs().max() <= 1 / 32 ** 0.5
    assert model["fc2.weight"].abs().max() > 1 / 64 ** 0.5  # the second layer's bound is wider


def test_specs_match_the_issue():
    assert model_spec("linear").parameter_count == 11 and not is_classification("linear")
    assert model_spec("mlp").parameter_count == 64 * 32 + 32 + 32 * 10 + 10 and is_classification("mlp")
    assert [name for name, _ in model_spec("mlp").shapes] == sorted(name for name, _ in model_spec("mlp").shapes)
    assert DATASETS == {"sklearn:diabetes": "linear", "sklearn:digits": "mlp", "sklearn:wine": "mlp-wine",
                        "sklearn:breast_cancer": "mlp-cancer"}
    assert model_spec("mlp-wine").parameter_count == 13 * 16 + 16 + 16 * 3 + 3 and is_classification("mlp-wine")
    assert model_spec("mlp-cancer").parameter_count == 30 * 16 + 16 + 16 * 2 + 2 and is_classification("mlp-cancer")
    assert dataset_descriptor("digits") == "sklearn:digits" == dataset_descriptor("sklearn:digits")
    assert dataset_descriptor("breast_cancer") == "sklearn:breast_cancer"
    assert default_model_kind("diabetes") == "linear"
    for bad in ("mnist", "sklearn:iris"):
        with pytest.raises(ValueError):
            dataset_descriptor(bad)
    with pytest.raises(ValueError):
        model_spec("cnn")


def test_forward_matches_torch_nn_modules():
    x = torch.randn(7, 64, generator=torch.Generator().manual_seed(0))
    params = init_model("mlp", 4)
    reference = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    with torch.no_grad():
        reference[0].weight.copy_(params["fc1.weight"]), reference[0].bias.copy_(params["fc1.bias"])
        reference[2].weight.copy_(params["fc2.weight"]), reference[2].bias.copy_(params["fc2.bias"])
        assert torch.allclose(forward("mlp", params, x), reference(x), atol=1e-6)
    linear = init_model("linear", 4)
    xs = torch.randn(5, 10)
    assert forward("linear", linear, xs).shape == (5,)
    assert torch.allclose(forward("linear", linear, xs), xs @ linear["weight"][0] + linear["bias"], atol=1e-6)


@pytest.mark.parametrize("kind,features", [("mlp", 64), ("linear", 10), ("mlp-wine", 13), ("mlp-cancer", 30)])
def test_stacked_forward_is_each_model_forward(kind, features):
    models = [init_model(kind, seed) for seed in range(5)]
    stacked = {name: torch.stack([m[name] for m in models]) for name in models[0]}
    x = torch.randn(9, features, generator=torch.Generator().manual_seed(1))
    together = forward(kind, stacked, x)
    features_major = forward_stacked(kind, stacked, x)
    for i, model in enumerate(models):
        assert torch.allclose(together[i], forward(kind, model, x), atol=1e-5)
        one = features_major[i] if kind == "linear" else features_major[i].t()
        assert torch.allclose(one, forward(kind, model, x), atol=1e-5)


def test_loss_fn_is_mse_for_regression_and_cross_entropy_for_classification():
    outputs, targets = torch.tensor([1.0, 3.0]), torch.tensor([0.0, 1.0])
    assert loss_fn("linear")(outputs, targets).item() == pytest.approx(2.5)
    logits = torch.tensor([[2.0, 0.0], [0.0, 0.0]])
    expected = torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1]))
    assert loss_fn("mlp")(logits, torch.tensor([0, 1])).item() == pytest.approx(expected.item())


def test_ml_modules_import_neither_the_chain_nor_rpc():
    """The off-chain ML half must run without the node: no chain/, rpc/ or runtime/ imports."""
    for stem in ML_FILES:
        tree = ast.parse((WORKER / f"{stem}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""] if node.level == 0 else []
            else:
                continue
            for module in modules:
                assert module.split(".")[0] not in ("chain", "rpc", "runtime"), f"{stem}.py imports {module}"
