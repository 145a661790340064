"""Stake-weighted medians and agreement with them, in integers only (spec/medians.md).

The Arena's consensus loss and FL Alliance's consensus score are both a two-pass weighted median
of reports; these are the two rules they share.

    compute_weighted_median(reports):       reports are (value, weight, reporter)
        in ascending (value, reporter) order, the first value at which the cumulative weight C
        satisfies 2·C ≥ Σ weight (the lower weighted median)
    compute_upper_weighted_median(reports):
        the same in descending (value, reporter) order (the upper one; they differ only when exactly
        half of the weight lies on each side)
    compute_agreement(value, consensus, tolerance, floor):    per million
        b = max(consensus, floor) · tolerance
        max(b − 10⁶·|value − consensus|, 0) · 10⁶ ÷ b        (floored)

Why a median: reporters holding more than half of the weight fix it, whatever the rest report.
"""

PER_MILLION = 1_000_000


def compute_weighted_median(reports: list[tuple[int, int, bytes]]) -> int:
    """(value, weight, reporter) → the lower weighted median (module docstring); ValueError without reports."""
    total = sum(weight for _, weight, _ in reports)
    cumulative = 0
    for value, weight, _ in sorted(reports, key=lambda r: (r[0], r[2])):
        cumulative += weight
        if 2 * cumulative >= total:
            return value
    raise ValueError("no reports")


def compute_upper_weighted_median(reports: list[tuple[int, int, bytes]]) -> int:
    """(value, weight, reporter) → the upper weighted median (module docstring); ValueError without reports."""
    total = sum(weight for _, weight, _ in reports)
    cumulative = 0
    for value, weight, _ in sorted(reports, key=lambda r: (r[0], r[2]), reverse=True):
        cumulative += weight
        if 2 * cumulative >= total:
            return value
    raise ValueError("no reports")


def compute_agreement(value: int, consensus: int, tolerance: int, floor: int) -> int:
    """Per million: 10⁶ at the consensus, falling linearly to 0 at relative distance tolerance/10⁶, measured
    against max(consensus, floor) (so a consensus near 0 does not make every report far); floored."""
    base = max(consensus, floor) * tolerance
    distance = abs(value - consensus) * PER_MILLION
    return max(base - distance, 0) * PER_MILLION // base


def is_far_on_most(agreements: list[int]) -> bool:
    """Zero agreement on more than half of them: the reporter is an outlier."""
    return 2 * agreements.count(0) > len(agreements)
