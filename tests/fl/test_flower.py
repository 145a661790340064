"""Bringing a Flower client: loading it, matching its parameter arrays to the task's model, and refusing
one that does not fit, in one line."""

import numpy as np
import pytest
import torch

from fl_module.worker import models
from fl_module.worker.flower import FlowerClientError, FlowerParticipant, load_client


class Arrays:
    """A NumPyClient-shaped object whose arrays are given."""

    def __init__(self, shapes):
        self.shapes = shapes

    def get_parameters(self, config):
        return [np.zeros(shape, dtype=np.float32) for shape in self.shapes]

    def fit(self, parameters, config):
        return [p + 1 for p in parameters], 1, {}

    def evaluate(self, parameters, config):
        return float(sum(p.sum() for p in parameters)), 1, {}


def test_the_example_client_loads_and_its_state_dict_order_is_matched_by_shape(monkeypatch):
    monkeypatch.setenv("DIGITS_PARTITION", "1")
    participant = FlowerParticipant(load_client("examples.flower_client:client"), "mlp")
    assert participant.order == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    start = models.init_model("mlp", 0)
    trained = participant.train(start, seed=0, round_=0)
    assert sorted(trained) == sorted(start) and all(trained[n].shape == start[n].shape for n in start)
    assert participant.loss(trained, 0) < participant.loss(start, 0), "it trained on its own data"


def test_arrays_in_canonical_order_cross_unchanged_both_ways():
    participant = FlowerParticipant(Arrays([(32,), (32, 64), (10,), (10, 32)]), "mlp")
    start = models.init_model("mlp", 3)
    back = participant.from_arrays(participant.to_arrays(start))
    assert all(torch.equal(back[n], start[n]) for n in start)
    assert all(torch.equal(participant.train(start, 0, 0)[n], start[n] + 1) for n in start)


@pytest.mark.parametrize("spec, message", [
    ("examples.flower_client", "module:attribute"),
    ("examples.no_such_module:client", "No module"),
    ("examples.flower_client:nothing", "has no attribute"),
])
def test_a_client_that_cannot_be_loaded_is_refused_in_one_line(spec, message):
    with pytest.raises(FlowerClientError, match=message):
        load_client(spec)


def test_a_client_whose_model_does_not_fit_the_task_is_refused():
    with pytest.raises(FlowerClientError, match="3 parameter arrays"):
        FlowerParticipant(Arrays([(32,), (32, 64), (10,)]), "mlp")
    with pytest.raises(FlowerClientError, match="do not match"):
        FlowerParticipant(Arrays([(32,), (32, 65), (10,), (10, 32)]), "mlp")
    with pytest.raises(FlowerClientError, match="do not match"):
        FlowerParticipant(Arrays([(10, 32), (10, 32), (32,), (32, 64)]), "mlp")
