"""The hash that binds a signed receipt or voucher to one request's inputs (spec/modules/marketplace.md,
Messages): whoever sees a request on its way cannot spend its signature on other inputs.

    inputsHash = keccak256(u32 rows ‖ u32 features ‖ each value as an IEEE-754 binary32, big-endian, row by row)

Values are what the host computes with: each JSON number rounded to the nearest float32, as torch and numpy
both round. The host checks the shape and finiteness first (400), so only inputs it would answer are hashed.
"""

import struct

import numpy as np

from runtime.crypto import keccak256


def compute_inputs_hash(inputs) -> bytes:
    """`inputs`: [rows, features] numbers (nested lists, a numpy array or a CPU tensor)."""
    values = np.asarray(inputs, dtype=">f4")
    if values.ndim != 2:
        raise ValueError(f"inputs must be [rows, features], not {values.ndim}-dimensional")
    return keccak256(struct.pack(">II", *values.shape) + values.tobytes())
