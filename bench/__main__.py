"""`python -m bench` (what `make bench` runs): see bench/measure.py."""

from .measure import main

main()
