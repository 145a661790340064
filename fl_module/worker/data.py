"""scikit-learn's bundled datasets, standardized and split non-IID across participants.

Everything is a function of (dataset, seed, ...) only. Nothing downloads: digits, diabetes, wine
and breast_cancer ship inside scikit-learn. Features (and, for diabetes, the target) are
standardized with statistics of the training part only, so the global test split never
leaks into training. Diabetes losses are therefore mean squared errors in units of the
target's training standard deviation.
"""

from dataclasses import dataclass

import numpy as np
import torch
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from .models import DATASETS, dataset_descriptor, is_classification

TEST_FRACTION = 0.2
VALIDATION_FRACTION = 0.25      # of each participant's share, kept private for its votes
MIN_SAMPLES_PER_PARTICIPANT = 24
DIABETES_SORT_FEATURE = 0       # age: hospitals serve different age groups


@dataclass(frozen=True)
class Dataset:
    """A standardized train split (to be shared out) and the global test split."""
    descriptor: str
    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor


@dataclass(frozen=True)
class ParticipantData:
    """One participant's private share: what it trains on and what it votes with."""
    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor

    def __iter__(self):  # unpacks as (train_x, train_y, val_x, val_y)
        return iter((self.train_x, self.train_y, self.val_x, self.val_y))


LOADERS = {"sklearn:digits": load_digits, "sklearn:diabetes": load_diabetes, "sklearn:wine": load_wine,
           "sklearn:breast_cancer": load_breast_cancer}


def is_labelled(descriptor: str) -> bool:
    return is_classification(DATASETS[descriptor])


def _targets(descriptor: str, y: np.ndarray) -> torch.Tensor:
    if is_labelled(descriptor):
        return torch.as_tensor(y, dtype=torch.long)
    return torch.as_tensor(y, dtype=torch.float32)


def load(dataset: str, seed: int) -> Dataset:
    """The dataset standardized on its training part, with a seeded (stratified for digits) 20% test split."""
    descriptor = dataset_descriptor(dataset)
    if is_labelled(descriptor):
        x, y = LOADERS[descriptor](return_X_y=True)
        stratify = y
    else:
        x, y = load_diabetes(return_X_y=True, scaled=False)
        stratify = None
    train_x, test_x, train_y, test_y = train_test_split(
        x, y, test_size=TEST_FRACTION, random_state=seed, stratify=stratify)
    scaler = StandardScaler().fit(train_x)
    train_x, test_x = scaler.transform(train_x), scaler.transform(test_x)
    if descriptor == "sklearn:diabetes":
        mean, std = train_y.mean(), train_y.std()
        train_y, test_y = (train_y - mean) / std, (test_y - mean) / std
    return Dataset(descriptor,
                   torch.as_tensor(train_x, dtype=torch.float32), _targets(descriptor, train_y),
                   torch.as_tensor(test_x, dtype=torch.float32), _targets(descriptor, test_y))


def dirichlet_label_skew(labels: np.ndarray, n_participants: int, alpha: float,
                         rng: np.random.Generator, min_samples: int) -> list[np.ndarray]:
    """Per class, shares drawn from Dirichlet(alpha); redrawn until everyone has min_samples."""
    for _ in range(1_000):
        owners = [[] for _ in range(n_participants)]
        for label in np.unique(labels):
            indices = rng.permutation(np.flatnonzero(labels == label))
            shares = rng.dirichlet(np.full(n_participants, alpha))
            cuts = (np.cumsum(shares)[:-1] * len(indices)).astype(int)
            for participant, part in enumerate(np.split(indices, cuts)):
                owners[participant].extend(part.tolist())
        if min(len(o) for o in owners) >= min_samples:
            return [np.sort(np.array(o, dtype=np.int64)) for o in owners]
    raise ValueError(f"cannot give {n_participants} participants {min_samples} samples each at alpha={alpha}")


def hospital_buckets(feature: np.ndarray, n_participants: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Contiguous buckets of the samples sorted by one feature (ties broken at random)."""
    order = np.lexsort((rng.random(len(feature)), feature))
    return [np.sort(bucket) for bucket in np.array_split(order, n_participants)]


def split_non_iid(dataset: str, n_participants: int, seed: int, alpha: float = 0.5) -> list[ParticipantData]:
    """The training part of load(dataset, seed) shared out non-IID, each share split train/validation.

    digits, wine, breast_cancer: label skew, per-class shares from Dirichlet(alpha) (smaller alpha, more skew).
    diabetes: "hospitals", contiguous buckets by age, so each serves a different population
    (alpha is unused). Each participant keeps VALIDATION_FRACTION of its share (at least one
    sample) as the private held-out data it votes with.
    """
    data = load(dataset, seed)
    if n_participants < 1:
        raise ValueError("at least one participant")
    if len(data.train_y) < n_participants * MIN_SAMPLES_PER_PARTICIPANT:
        raise ValueError(f"{len(data.train_y)} training samples cannot serve {n_participants} participants")
    rng = np.random.default_rng([seed, n_participants, 0x5eed])
    if is_labelled(data.descriptor):
        shares = dirichlet_label_skew(data.train_y.numpy(), n_participants, alpha, rng, MIN_SAMPLES_PER_PARTICIPANT)
    else:
        shares = hospital_buckets(data.train_x[:, DIABETES_SORT_FEATURE].numpy(), n_participants, rng)
    return [private_share(data, share, rng) for share in shares]


def private_share(data: Dataset, share: np.ndarray, rng: np.random.Generator) -> ParticipantData:
    """Indices of the training part as one participant's data, VALIDATION_FRACTION of it (at least one
    sample) held out for its votes."""
    share = rng.permutation(share)
    n_val = max(1, int(round(VALIDATION_FRACTION * len(share))))
    val, train = torch.as_tensor(share[:n_val]), torch.as_tensor(share[n_val:])
    return ParticipantData(data.train_x[train], data.train_y[train], data.train_x[val], data.train_y[val])


def sample_non_iid(dataset: str, n_participants: int, seed: int, samples: int = MIN_SAMPLES_PER_PARTICIPANT,
                   alpha: float = 0.5) -> list[ParticipantData]:
    """Shares that may overlap, for more participants than the training part has `samples` distinct samples
    for (a simulation of hundreds on a bundled dataset): each participant draws `samples` distinct samples
    (fewer where a class holds fewer than its mix asks for).

    digits, wine, breast_cancer: the participant's class mix is drawn from Dirichlet(alpha), then each sample's
    class from that mix and the sample uniformly within its class. diabetes: a window of `samples` neighbours
    in age order around a random centre (a hospital's population)."""
    data = load(dataset, seed)
    total = len(data.train_y)
    if n_participants < 1 or not 2 <= samples <= total:
        raise ValueError(f"need ≥ 1 participant and 2 … {total} samples each")
    rng = np.random.default_rng([seed, n_participants, samples, 0x5a3e])
    shares = []
    if is_labelled(data.descriptor):
        labels = data.train_y.numpy()
        by_class = [np.flatnonzero(labels == c) for c in np.unique(labels)]
        for _ in range(n_participants):
            mix = rng.dirichlet(np.full(len(by_class), alpha))
            counts = np.minimum(rng.multinomial(samples, mix), [len(members) for members in by_class])
            shares.append(np.concatenate([rng.choice(members, count, replace=False)
                                          for members, count in zip(by_class, counts)]))
    else:
        order = np.lexsort((rng.random(total), data.train_x[:, DIABETES_SORT_FEATURE].numpy()))
        for start in rng.integers(0, total - samples + 1, n_participants):
            shares.append(np.sort(order[start:start + samples]))
    return [private_share(data, share, rng) for share in shares]


def share_out(dataset: str, n_participants: int, seed: int,
              samples: int | None = None) -> tuple[list[ParticipantData], bool]:
    """split_non_iid where the training part gives everyone MIN_SAMPLES_PER_PARTICIPANT distinct samples, else
    sample_non_iid with `samples` each (default: the share of one of ten, so that a run with hundreds of
    participants differs from the ten-participant demo in how many take part, not in how much each knows);
    the flag says whether shares overlap."""
    total = len(load(dataset, seed).train_y)
    if total >= n_participants * MIN_SAMPLES_PER_PARTICIPANT:
        return split_non_iid(dataset, n_participants, seed), False
    return sample_non_iid(dataset, n_participants, seed, samples or total // 10), True
