"""`python -m flockchain …` is the `flockchain` command."""

import sys

from .cli import main

sys.exit(main())
