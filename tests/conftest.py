"""Suite-wide settings: tests never fail on wall-clock time, so hypothesis has no deadline."""

from hypothesis import settings

settings.register_profile("flockchain", deadline=None)
settings.load_profile("flockchain")
