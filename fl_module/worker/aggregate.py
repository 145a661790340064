"""FedAvg that every machine computes bit for bit: the next global model's hash is consensus.

The rule (copied into the spec):

    Given n >= 1 models m_0 .. m_{n-1}, in the order given (the chain fixes it), all with the
    same tensor names and shapes, every value IEEE-754 binary32, finite and |v| <= 2**64 (as
    tensors.decode_model guarantees, so no sum of n < 2**24 of them overflows):
        acc = m_0
        for i in 1 .. n-1:  acc = acc + m_i      (element-wise binary32 addition, round to nearest even)
        result = acc / n                          (element-wise binary32 division by n, exactly
                                                   representable for n < 2**24)
    Each output element depends only on the same element of the inputs, through n-1
    additions in list order and one division: no reduction across elements, no fused
    multiply-add, no reordering. Then result is encoded with tensors.encode_model.

torch's element-wise add and divide on float32 CPU tensors compute each element with one
correctly rounded IEEE operation, whatever the SIMD width or thread count splits the tensor
into, so the bytes do not depend on the machine's threads or BLAS; torch.mean or torch.sum
over a stacked dimension would be free to reorder and is not used. Tests check the result
against a per-element numpy float32 reference and under different thread counts.
"""

import torch

from .tensors import ModelFormatError, canonical_tensor, decode_model, encode_model


def fedavg(models: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """The unweighted element-wise mean of `models`, summed in the given order (module docstring)."""
    if not models:
        raise ValueError("fedavg needs at least one model")
    names = sorted(models[0])
    shapes = {name: tuple(models[0][name].shape) for name in names}
    for index, model in enumerate(models):
        if sorted(model) != names or any(tuple(model[name].shape) != shapes[name] for name in names):
            raise ModelFormatError(f"model {index} has other tensors than model 0: cannot average them")
    result = {}
    for name in names:
        acc = canonical_tensor(models[0][name]).clone()
        for model in models[1:]:
            acc = torch.add(acc, canonical_tensor(model[name]))
        divisor = torch.full_like(acc, float(len(models)))  # n, exact in float32
        result[name] = torch.div(acc, divisor)
    return result


def flatten(model: dict[str, torch.Tensor]) -> torch.Tensor:
    """All of a model's values in one vector, tensors in name order (as fedavg and the canonical encoding take
    them), so the same position holds the same parameter in every model of a task."""
    return torch.cat([model[name].reshape(-1) for name in sorted(model)])


def aggregate_bytes(models: list[bytes], kind: str | None) -> bytes:
    """The canonical bytes of fedavg over canonical model bytes, in the given order.

    Each input must decode (tensors.decode_model), as a `kind` model unless kind is None.
    """
    return encode_model(fedavg([decode_model(data, kind) for data in models]))
