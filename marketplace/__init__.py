"""The Marketplace: its runtime module (`module.py`, as pure as `runtime/`) and the messages hosts and clients sign (`formats.py`)."""
