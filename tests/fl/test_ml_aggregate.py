"""FedAvg is bit-for-bit the same everywhere: checked against a per-element float32 reference
and across thread counts in fresh processes."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from fl_module.worker.aggregate import aggregate_bytes, fedavg
from fl_module.worker.models import init_model
from fl_module.worker.tensors import ModelFormatError, encode_model, model_hash

torch.set_num_threads(1)  # two xdist workers share two cores

ROOT = Path(__file__).resolve().parents[2]


def reference_fedavg(models: list[dict[str, torch.Tensor]]) -> dict[str, np.ndarray]:
    """The spec's rule, one element at a time with numpy float32 scalars (no vector code at all)."""
    result = {}
    for name in models[0]:
        flat = [m[name].reshape(-1).numpy() for m in models]
        out = np.empty(flat[0].shape, dtype=np.float32)
        n = np.float32(len(models))
        for i in range(out.size):
            acc = np.float32(flat[0][i])
            for values in flat[1:]:
                acc = np.float32(acc + np.float32(values[i]))
            out[i] = np.float32(acc / n)
        result[name] = out.reshape(tuple(models[0][name].shape))
    return result


def assert_bitwise_equal(model: dict[str, torch.Tensor], reference: dict[str, np.ndarray]) -> None:
    assert sorted(model) == sorted(reference)
    for name in model:
        assert model[name].dtype == torch.float32
        assert model[name].numpy().tobytes() == reference[name].astype(np.float32).tobytes(), name


def test_matches_the_per_element_reference_on_the_mlp():
    models = [init_model("mlp", seed) for seed in range(7)]
    assert_bitwise_equal(fedavg(models), reference_fedavg(models))


float32s = st.floats(min_value=-2.0 ** 64, max_value=2.0 ** 64, allow_nan=False, allow_subnormal=True, width=32)


@settings(max_examples=60)
@given(st.integers(1, 6), st.integers(1, 9), st.data())
def test_matches_the_reference_for_any_values_in_the_given_order(n_models, size, data):
    models = [{"w": torch.tensor(data.draw(st.lists(float32s, min_size=size, max_size=size)), dtype=torch.float32)}
              for _ in range(n_models)]
    assert_bitwise_equal(fedavg(models), reference_fedavg(models))
    reversed_reference = reference_fedavg(models[::-1])
    assert_bitwise_equal(fedavg(models[::-1]), reversed_reference)  # the order is part of the rule


def test_order_of_inputs_can_change_the_bits():
    """Float addition does not associate: the rule must fix the order, and does."""
    a, b, c = ({"w": torch.tensor([v], dtype=torch.float32)} for v in (1e8, -1e8, 1.0))
    assert fedavg([a, b, c])["w"].item() != fedavg([a, c, b])["w"].item()
    assert fedavg([a, b, c])["w"].item() == np.float32(np.float32(np.float32(1e8) + np.float32(-1e8)) + 1) / 3


@settings(max_examples=60)
@given(st.lists(float32s, min_size=1, max_size=8), st.integers(1, 9))
def test_fedavg_of_identical_models_is_that_model(values, n):
    model = {"w": torch.tensor(values, dtype=torch.float32)}
    result = fedavg([model] * n)["w"]
    if n in (1, 2):  # m + m and a halving are exact
        assert torch.equal(result, model["w"])
    else:  # (m + ... + m) rounds once per addition: within a few ulps
        assert torch.allclose(result, model["w"], rtol=n * 2.0 ** -23, atol=0)


def test_mixed_float_dtypes_are_averaged_as_float32_and_inputs_untouched():
    a = {"w": torch.tensor([1.0, 2.0], dtype=torch.float64)}
    b = {"w": torch.tensor([3.0, 5.0], dtype=torch.float32)}
    result = fedavg([a, b])
    assert result["w"].dtype == torch.float32 and result["w"].tolist() == [2.0, 3.5]
    assert a["w"].tolist() == [1.0, 2.0] and b["w"].tolist() == [3.0, 5.0]


def test_models_of_different_shapes_or_names_are_refused():
    with pytest.raises(ModelFormatError):
        fedavg([init_model("mlp", 0), init_model("linear", 0)])
    with pytest.raises(ModelFormatError):
        fedavg([{"w": torch.zeros(2)}, {"w": torch.zeros(3)}])
    with pytest.raises(ValueError):
        fedavg([])


def test_aggregate_bytes_is_fedavg_of_the_decoded_models():
    models = [init_model("linear", seed) for seed in range(3)]
    data = aggregate_bytes([encode_model(m) for m in models], "linear")
    assert data == encode_model(fedavg(models))
    with pytest.raises(ModelFormatError):
        aggregate_bytes([encode_model(models[0]), encode_model(init_model("mlp", 0))], "linear")
    with pytest.raises(ModelFormatError):
        aggregate_bytes([b"junk"], "linear")


AGGREGATE_IN_A_FRESH_PROCESS = """
import sys, numpy as np, torch
torch.set_num_threads(int(sys.argv[1]))
from fl_module.worker.aggregate import aggregate_bytes
from fl_module.worker.tensors import encode_model, model_hash
rng = np.random.default_rng(5)
# 300k elements per tensor: large enough that torch splits element-wise ops across threads
models = [{"big": torch.from_numpy(rng.standard_normal(300_000).astype(np.float32) * 10.0 ** rng.integers(-3, 4)),
           "small": torch.from_numpy(rng.standard_normal((3, 5)).astype(np.float32))} for _ in range(5)]
print(torch.get_num_threads(), model_hash(aggregate_bytes([encode_model(m) for m in models], None)).hex())
"""


def start_aggregate_in_subprocess(threads: int, omp: str | None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    if omp is not None:
        env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = omp
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.Popen([sys.executable, "-c", AGGREGATE_IN_A_FRESH_PROCESS, str(threads)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def threads_and_hash(process: subprocess.Popen) -> tuple[int, str]:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    threads, digest = out.split()
    return int(threads), digest


def test_aggregate_hash_is_the_same_under_any_thread_count():
    rng = np.random.default_rng(5)
    models = [{"big": torch.from_numpy(rng.standard_normal(300_000).astype(np.float32) * 10.0 ** rng.integers(-3, 4)),
               "small": torch.from_numpy(rng.standard_normal((3, 5)).astype(np.float32))} for _ in range(5)]
    # the per-element rule, vectorised with numpy float32 (element-wise, so the same IEEE operations)
    expected = {}
    for name in models[0]:
        acc = models[0][name].numpy().copy()
        for m in models[1:]:
            acc = np.add(acc, m[name].numpy(), dtype=np.float32)
        expected[name] = torch.from_numpy(np.divide(acc, np.float32(len(models)), dtype=np.float32))
    expected_hash = model_hash(encode_model(expected)).hex()
    processes = [start_aggregate_in_subprocess(1, "1"), start_aggregate_in_subprocess(4, "4"),
                 start_aggregate_in_subprocess(3, None)]
    runs = [threads_and_hash(process) for process in processes]
    assert [threads for threads, _ in runs] == [1, 4, 3]
    assert {digest for _, digest in runs} == {expected_hash}
