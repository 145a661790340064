"""One real `flockchain dev` process per test module (see devchain.py)."""

import pytest

from .devchain import DevChain, start_dev_chain, stop_dev_chain


@pytest.fixture(scope="module")
def chain(tmp_path_factory) -> DevChain:
    """A dev chain for the whole module; stopped at its end, and its log must hold no traceback."""
    node = start_dev_chain(tmp_path_factory.mktemp("devchain"))
    try:
        yield node
    finally:
        stop_dev_chain(node.process)
    log = node.log()
    assert "Traceback" not in log, log[log.index("Traceback"):]
