"""The CUDA path is the CPU path: training and scoring run on whatever device they are given, every
tensor they compute with goes there, and only the final copy-out to Python numbers or CPU tensors
leaves it. Checked on torch's "meta" device, which exists on every machine and refuses to mix with
CPU tensors exactly as CUDA does: a forgotten `.to(device)` anywhere fails these tests."""

import pytest
import torch
from torch.overrides import TorchFunctionMode

from arena.worker import datasets, scoring
from fl_module.worker import models, train, validate

COPY_OUT = (NotImplementedError, RuntimeError)
COPY_OUT_MESSAGES = ("Cannot copy out of meta tensor", "cannot be called on meta tensors")


def tensors_in(values) -> list[torch.Tensor]:
    found = []
    for value in values:
        if isinstance(value, torch.Tensor):
            found.append(value)
        elif isinstance(value, (tuple, list)):
            found += tensors_in(value)
        elif isinstance(value, dict):
            found += tensors_in(value.values())
    return found


class DeviceLog(TorchFunctionMode):
    """The devices of every tensor an operation returns, and every operation that mixed devices (some
    kernels accept a CPU operand beside a meta one where CUDA would refuse it; this refuses it too)."""

    def __init__(self):
        super().__init__()
        self.devices: list[str] = []
        self.mixed: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        inputs = {t.device.type for t in tensors_in((args, kwargs or {})) if t.dim() > 0}
        if len(inputs) > 1:
            self.mixed.append(getattr(func, "__name__", str(func)))
        result = func(*args, **(kwargs or {}))
        self.devices += [t.device.type for t in tensors_in((result,))]
        return result


def run_on_meta(work) -> DeviceLog:
    """Run `work` on the meta device: it must get as far as copying its result out, having computed on meta."""
    log = DeviceLog()
    with pytest.raises(COPY_OUT) as stopped, log:
        work("meta")
    assert any(message in str(stopped.value) for message in COPY_OUT_MESSAGES), \
        f"stopped before the copy-out: {stopped.value}"
    assert log.devices.count("meta") > 10, "the work ran on the device it was given"
    assert log.mixed == [], f"operations on tensors of two devices: {log.mixed}"
    return log


@pytest.fixture(scope="module")
def digits():
    return datasets.split("digits", 0)


@pytest.mark.parametrize("measure", [validate.losses_batched, validate.losses_one_by_one])
def test_validation_computes_on_the_device_it_is_given(digits, measure):
    candidates = [models.init_model("mlp", seed) for seed in range(3)]
    run_on_meta(lambda device: measure("mlp", candidates, digits.evaluation_x, digits.evaluation_y, device=device))


def test_arena_scoring_computes_on_the_device_it_is_given(digits):
    candidates = [models.init_model("mlp", seed) for seed in range(2)] + [None]
    run_on_meta(lambda device: scoring.score("mlp", candidates, digits.evaluation_x, digits.evaluation_y, device=device))


def test_training_computes_on_the_device_it_is_given(digits):
    start = models.init_model("mlp", 0)
    config = train.DEFAULT_TRAINING["mlp"]
    run_on_meta(lambda device: train.train_with("mlp", start, digits.public_x[:64], digits.public_y[:64], config, 0,
                                                device))


def test_the_same_call_on_the_cpu_gives_numbers(digits):
    """The control: what stops at the copy-out on meta completes on the CPU."""
    candidates = [models.init_model("mlp", seed) for seed in range(3)]
    losses = validate.losses_batched("mlp", candidates, digits.evaluation_x, digits.evaluation_y, device="cpu")
    assert len(losses) == 3 and all(loss > 0 for loss in losses)
