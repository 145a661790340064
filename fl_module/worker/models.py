"""Model specs by name, written functionally over a dict of tensors.

A model is a plain `dict[str, torch.Tensor]` of float32 parameters, so the same dict is what
gets trained, serialized (tensors.py), averaged (aggregate.py) and stacked for batched
validation (validate.py): a dict whose tensors carry a leading model dimension [M, ...]
evaluates M models in one pass (`forward_stacked`).
"""

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class ModelSpec:
    """A model kind: its parameter names and shapes (sorted by name) and its task."""
    kind: str
    shapes: tuple[tuple[str, tuple[int, ...]], ...]
    n_features: int
    n_outputs: int
    classification: bool

    @property
    def parameter_count(self) -> int:
        return sum(math.prod(shape) for _, shape in self.shapes)


MODEL_SPECS: dict[str, ModelSpec] = {
    # diabetes: 10 standardized features -> 1 standardized target, mean squared error
    "linear": ModelSpec("linear", (("bias", (1,)), ("weight", (1, 10))), 10, 1, False),
    # digits: 8x8 images (64 features) -> 32 ReLU units -> 10 classes, cross-entropy
    "mlp": ModelSpec("mlp", (("fc1.bias", (32,)), ("fc1.weight", (32, 64)),
                             ("fc2.bias", (10,)), ("fc2.weight", (10, 32))), 64, 10, True),
    # wine: 13 features -> 16 ReLU units -> 3 cultivars; breast_cancer: 30 features -> 16 -> 2 diagnoses
    "mlp-wine": ModelSpec("mlp-wine", (("fc1.bias", (16,)), ("fc1.weight", (16, 13)),
                                       ("fc2.bias", (3,)), ("fc2.weight", (3, 16))), 13, 3, True),
    "mlp-cancer": ModelSpec("mlp-cancer", (("fc1.bias", (16,)), ("fc1.weight", (16, 30)),
                                           ("fc2.bias", (2,)), ("fc2.weight", (2, 16))), 30, 2, True),
}

# Dataset descriptors a task names on chain; each ships with scikit-learn (nothing downloads).
DATASETS: dict[str, str] = {"sklearn:diabetes": "linear", "sklearn:digits": "mlp", "sklearn:wine": "mlp-wine",
                            "sklearn:breast_cancer": "mlp-cancer"}
# Short names the demo's --dataset flag accepts.
DATASET_ALIASES: dict[str, str] = {name.removeprefix("sklearn:"): name for name in DATASETS}


def model_spec(kind: str) -> ModelSpec:
    if kind not in MODEL_SPECS:
        raise ValueError(f"unknown model kind {kind!r}; known: {sorted(MODEL_SPECS)}")
    return MODEL_SPECS[kind]


def dataset_descriptor(dataset: str) -> str:
    """'digits' or 'sklearn:digits' -> 'sklearn:digits' (raises on anything else)."""
    descriptor = DATASET_ALIASES.get(dataset, dataset)
    if descriptor not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; known: {sorted(DATASETS)}")
    return descriptor


def default_model_kind(dataset: str) -> str:
    return DATASETS[dataset_descriptor(dataset)]


def is_classification(kind: str) -> bool:
    return model_spec(kind).classification


def is_mlp(kind: str) -> bool:
    """A two-layer ReLU network (fc1, fc2); the other kind is the linear model."""
    return any(name == "fc1.weight" for name, _ in model_spec(kind).shapes)


def init_model(kind: str, seed: int) -> dict[str, torch.Tensor]:
    """Initial parameters, float32, a function of (kind, seed) only.

    torch.nn.Linear's default scheme, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and
    biases, drawn from a private generator (no global RNG state is read or changed).
    """
    spec = model_spec(kind)
    generator = torch.Generator().manual_seed(seed)
    params = {}
    shapes = dict(spec.shapes)
    for name, shape in spec.shapes:
        layer = name.removesuffix("bias").removesuffix("weight")  # "fc1." or ""
        bound = 1.0 / math.sqrt(shapes[layer + "weight"][1])
        params[name] = (torch.rand(shape, generator=generator, dtype=torch.float32) * 2 - 1) * bound
    return params


def _affine(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """x W^T + b for one model: [N, in], [out, in], [out] -> [N, out]."""
    return torch.addmm(bias, x, weight.t())


def _stacked_affine(h: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """W h + b for M models, features-major: h [in, N] (shared) or [M, in, N] -> [M, out, N].

    On a shared batch, the M weight matrices laid one above the other ([M*out, in]) make a
    single GEMM; afterwards each model has its own activations and it is one bmm. Keeping
    the samples last gives both a long inner dimension, which is where a CPU GEMM is fast.
    """
    models, outputs, inputs = weight.shape
    if h.dim() == 2:
        return torch.addmm(bias.reshape(-1, 1), weight.reshape(models * outputs, inputs), h).view(models, outputs, -1)
    return torch.baddbmm(bias.unsqueeze(2), weight, h)


def is_stacked(kind: str, params: dict[str, torch.Tensor]) -> bool:
    """Whether params hold M stacked models ([M, ...] each) rather than one."""
    name, shape = model_spec(kind).shapes[0]
    return params[name].dim() == len(shape) + 1


def forward_stacked(kind: str, stacked: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """M stacked models ([M, ...] each) on one batch x [N, features], all in one pass.

    Features-major: [M, N] for regression, [M, classes, N] logits (classes before samples).
    """
    if kind == "linear":
        return _stacked_affine(x.t(), stacked["weight"], stacked["bias"]).squeeze(1)
    if is_mlp(kind):
        hidden = _stacked_affine(x.t(), stacked["fc1.weight"], stacked["fc1.bias"]).clamp_(min=0)  # ReLU in place
        return _stacked_affine(hidden, stacked["fc2.weight"], stacked["fc2.bias"])
    raise ValueError(f"unknown model kind {kind!r}")


def forward(kind: str, params: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Model outputs for inputs x [N, features]: [N] for regression, [N, classes] logits.

    With stacked params ([M, ...] each, see validate.stack_models) the result gains a
    leading M dimension (a view of forward_stacked's features-major result).
    """
    if is_stacked(kind, params):
        outputs = forward_stacked(kind, params, x)
        return outputs if kind == "linear" else outputs.transpose(1, 2)
    if kind == "linear":
        return _affine(x, params["weight"], params["bias"]).squeeze(-1)
    if is_mlp(kind):
        hidden = torch.relu(_affine(x, params["fc1.weight"], params["fc1.bias"]))
        return _affine(hidden, params["fc2.weight"], params["fc2.bias"])
    raise ValueError(f"unknown model kind {kind!r}")


def _mse(outputs: torch.Tensor, targets: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    return F.mse_loss(outputs, targets, reduction=reduction)


def _cross_entropy(outputs: torch.Tensor, targets: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    return F.cross_entropy(outputs, targets, reduction=reduction)


def loss_fn(kind: str):
    """The training and voting loss of a kind: (outputs, targets, reduction='mean') -> tensor."""
    return _cross_entropy if is_classification(kind) else _mse
