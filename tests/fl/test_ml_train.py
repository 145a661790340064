"""Local training: from the global model, deterministic per seed, float32 CPU out."""

import subprocess
import sys

import pytest
import torch

from fl_module.worker import train
from fl_module.worker.data import load, split_non_iid
from fl_module.worker.models import init_model
from fl_module.worker.train import DEFAULT_TRAINING, TrainConfig, pick_device, train_local, train_with
from fl_module.worker.validate import mean_loss

torch.set_num_threads(1)  # two xdist workers share two cores


def test_pick_device_is_cuda_exactly_when_torch_sees_one():
    assert pick_device().type == ("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.parametrize("dataset,kind", [("digits", "mlp"), ("diabetes", "linear")])
def test_a_local_round_lowers_the_loss_on_its_own_data(dataset, kind):
    share = split_non_iid(dataset, 4, seed=0)[0]
    start = init_model(kind, 0)
    config = DEFAULT_TRAINING[kind]
    trained = train_with(kind, start, share.train_x, share.train_y, config, seed=1, device="cpu")
    assert mean_loss(kind, trained, share.train_x, share.train_y) < 0.9 * mean_loss(kind, start, share.train_x,
                                                                                  share.train_y)
    assert {n: t.shape for n, t in trained.items()} == {n: t.shape for n, t in start.items()}
    assert all(t.dtype == torch.float32 and t.device.type == "cpu" and not t.requires_grad for t in trained.values())


def test_training_is_a_function_of_its_arguments_and_leaves_the_global_model_alone():
    data = load("digits", 0)
    x, y = data.train_x[:200], data.train_y[:200]
    start = init_model("mlp", 0)
    before = {n: t.clone() for n, t in start.items()}
    a = train_local("mlp", start, x, y, epochs=1, lr=0.1, batch_size=16, seed=7, device="cpu")
    b = train_local("mlp", start, x, y, epochs=1, lr=0.1, batch_size=16, seed=7, device="cpu")
    c = train_local("mlp", start, x, y, epochs=1, lr=0.1, batch_size=16, seed=8, device="cpu")
    assert all(torch.equal(a[n], b[n]) for n in a)
    assert any(not torch.equal(a[n], c[n]) for n in a)  # another minibatch order
    assert all(torch.equal(start[n], before[n]) for n in start)


def test_adam_is_available_and_unknown_optimizers_are_refused():
    data = load("diabetes", 0)
    start = init_model("linear", 0)
    trained = train_with("linear", start, data.train_x, data.train_y, TrainConfig(2, 0.05, 32, "adam"), 0, "cpu")
    assert mean_loss("linear", trained, data.test_x, data.test_y) < mean_loss("linear", start, data.test_x, data.test_y)
    with pytest.raises(ValueError):
        train_local("linear", start, data.train_x, data.train_y, 1, 0.1, 32, 0, "cpu", optimizer="lbfgs")


@pytest.mark.parametrize("dataset,kind", [("digits", "mlp"), ("diabetes", "linear")])
def test_plain_sgd_is_torch_sgd_bit_for_bit(dataset, kind, monkeypatch):
    share = split_non_iid(dataset, 4, seed=0)[0]
    start, config = init_model(kind, 0), DEFAULT_TRAINING[kind]
    plain = train_with(kind, start, share.train_x, share.train_y, config, seed=3, device="cpu")
    monkeypatch.setattr(train, "_optimizer", lambda name, params, lr: torch.optim.SGD(params, lr=lr))
    reference = train_with(kind, start, share.train_x, share.train_y, config, seed=3, device="cpu")
    assert all(torch.equal(plain[n], reference[n]) for n in reference)
    assert any(not torch.equal(plain[n], start[n]) for n in start)


def test_a_round_of_sgd_training_does_not_import_torch_dynamo():
    """torch.optim's first use imports torch._dynamo (seconds of CPU per worker process); PlainSGD does not."""
    code = ("import sys; from fl_module.worker import data, models, train; "
            "share = data.split_non_iid('diabetes', 4, 0)[0]; "
            "train.train_with('linear', models.init_model('linear', 0), share.train_x, share.train_y, "
            "train.DEFAULT_TRAINING['linear'], 0, 'cpu'); print('torch._dynamo' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
