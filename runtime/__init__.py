"""The state transition function: pure, deterministic, integer-only.

Nothing here performs I/O, reads a clock, draws randomness or uses floats. Everything a
block needs arrives as arguments: the parent header, the block, and a read-only view of
the parent state.
"""
