"""The FL Alliance module and its workers take statuses, phases, roles and commitments from one definition."""

import subprocess
import sys

from fl_module import alliance, formats
from fl_module.worker import agent
from runtime.modules import staking

SHARED = ("WAITING", "FINISHED", "COMMIT", "REVEAL", "VOTE_COMMIT", "VOTE_REVEAL", "AGGREGATE", "ACCEPTED",
          "SCORE_SCALE", "SCORE_UNUSABLE", "ZERO_HASH", "compute_update_commitment", "compute_score_commitment")


def test_the_worker_and_the_module_use_the_shared_formats():
    for name in SHARED:
        assert getattr(agent, name) is getattr(formats, name), f"the worker re-declares {name}"
        assert getattr(alliance, name) is getattr(formats, name), f"the module re-declares {name}"
    assert agent.NO_ROLE is formats.NO_ROLE is staking.NO_ROLE


def test_a_worker_imports_neither_the_node_nor_its_rpc_server():
    code = ("import sys, fl_module.worker.agent, fl_module.worker.cli; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'chain', 'rpc'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
