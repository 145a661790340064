"""A participant's own Flower client as its trainer and scorer (`flockchain worker --flower-client M:A`).

A Flower `NumPyClient` already does what a participant does here: `fit(parameters, config)` trains
from the given parameters on the client's own data, `evaluate(parameters, config)` measures a loss on
its own held-out data. The worker calls `fit` with the global model when it proposes and `evaluate`
on the global model and on every revealed update when it votes; everything on chain stays the same.

Parameters cross as Flower's NDArrays (a list of numpy arrays, in the client's own order) and are
matched to the task's model (its canonical tensors, by name) once, at start: in order when the
shapes agree in order, else by shape when every shape is distinct; anything else is refused.

Not supported, and why: `get_properties` and the metrics dicts are ignored (nothing on chain uses
them); `fit`'s `num_examples` is ignored (the chain's FedAvg is unweighted, so every participant's
aggregate is the same bytes); the `config` dicts carry only `{"seed", "round"}` (there is no server to
send a strategy's config); Flower's `ClientApp`/`Context`, SuperLink and strategies have no role here —
the chain is the server.
"""

import importlib

import numpy as np
import torch

from . import models


class FlowerClientError(ValueError):
    """A --flower-client that cannot be loaded or does not fit the task's model."""


def load_client(spec: str):
    """`module:attribute`: a NumPyClient, or a callable of no arguments returning one (a class, a factory)."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise FlowerClientError(f"--flower-client takes module:attribute, got {spec!r}")
    try:
        target = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise FlowerClientError(f"--flower-client {spec}: {error}") from None
    client = target if hasattr(target, "fit") and not isinstance(target, type) else target()
    for method in ("get_parameters", "fit", "evaluate"):
        if not callable(getattr(client, method, None)):
            raise FlowerClientError(f"--flower-client {spec}: {type(client).__name__} has no {method}()")
    return client


class FlowerParticipant:
    """The bridge between one Flower client and a task's model kind."""

    def __init__(self, client, kind: str):
        self.client = client
        reference = models.init_model(kind, 0)
        names = sorted(reference)
        shapes = [tuple(np.asarray(a).shape) for a in client.get_parameters({})]
        expected = [tuple(reference[name].shape) for name in names]
        if len(shapes) != len(expected):
            raise FlowerClientError(f"the client has {len(shapes)} parameter arrays, the task's {kind!r} model has "
                                    f"{len(expected)}")
        if shapes == expected:
            self.order = names
        elif sorted(shapes) == sorted(expected) and len(set(shapes)) == len(shapes):
            by_shape = dict(zip(expected, names))
            self.order = [by_shape[shape] for shape in shapes]
        else:
            raise FlowerClientError(f"the client's parameter shapes {shapes} do not match the task's {kind!r} model "
                                    f"{expected}")

    def to_arrays(self, params: dict[str, torch.Tensor]) -> list[np.ndarray]:
        return [params[name].detach().cpu().numpy().astype(np.float32, copy=True) for name in self.order]

    def from_arrays(self, arrays) -> dict[str, torch.Tensor]:
        arrays = list(arrays)
        if len(arrays) != len(self.order):
            raise FlowerClientError(f"fit returned {len(arrays)} arrays, expected {len(self.order)}")
        return {name: torch.as_tensor(np.asarray(array, dtype=np.float32)).clone()
                for name, array in zip(self.order, arrays)}

    def train(self, global_params: dict[str, torch.Tensor], seed: int, round_: int) -> dict[str, torch.Tensor]:
        arrays, _, _ = self.client.fit(self.to_arrays(global_params), {"seed": seed, "round": round_})
        return self.from_arrays(arrays)

    def loss(self, params: dict[str, torch.Tensor], round_: int) -> float:
        loss, _, _ = self.client.evaluate(self.to_arrays(params), {"round": round_})
        return float(loss)
