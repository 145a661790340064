"""Tests of the off-chain FL worker code (fl_module/worker)."""
