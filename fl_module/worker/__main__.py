"""`python -m fl_module.worker worker|demo …`: the worker without the node's packages."""

import sys

from .cli import main

sys.exit(main())
