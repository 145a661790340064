"""utility: several calls in one transaction, all or none (Substrate's `utility.batch_all`).

Shipped with runtime version 2 (spec/upgrades.md): a chain gets it by a runtime upgrade, whose
migration sets its parameter. Each call runs as the batch's sender, with its value paid from the
sender's balance, exactly as if sent alone; the first failing call reverts the whole batch with its
index and revert data. A batch pays the declared gas of its calls as well as its own.
"""

from ..exceptions import DispatchError
from ..module import CallDecl, CallEnv, ErrorDecl, EventDecl, Module, Parameter, module_address
from ..state import State
from ..storage import U64, StorageValue
from . import system

NAME = "utility"
ADDRESS_ = module_address(12)
DEFAULT_MAX_CALLS = 16

# Parameters
MaxCalls = StorageValue(NAME, "MaxCalls", U64, 0)
"""The most calls one batch may carry (0 only before the version-2 migration has run)."""

# Events
BatchCompleted = EventDecl("BatchCompleted(address indexed sender,uint256 calls)")

# Errors
BatchLengthMismatch = ErrorDecl("BatchLengthMismatch(uint256 targets,uint256 values,uint256 calldatas)")
BatchTooLong = ErrorDecl("BatchTooLong(uint256 calls,uint256 limit)")
BatchEmpty = ErrorDecl("BatchEmpty()")
NestedBatch = ErrorDecl("NestedBatch(uint256 index)")
BatchInterrupted = ErrorDecl("BatchInterrupted(uint256 index,bytes revertData)")


def check_batch(state: State, targets: list, values: list, calldatas: list) -> None:
    if not len(targets) == len(values) == len(calldatas):
        raise DispatchError(BatchLengthMismatch, len(targets), len(values), len(calldatas))
    if not targets:
        raise DispatchError(BatchEmpty)
    limit = MaxCalls.get(state)
    if len(targets) > limit:
        raise DispatchError(BatchTooLong, len(targets), limit)
    for index, target in enumerate(targets):
        if target == ADDRESS_:
            raise DispatchError(NestedBatch, index)


def call_batch_all(state: State, env: CallEnv, targets: list, values: list, calldatas: list) -> tuple:
    check_batch(state, targets, values, calldatas)
    logs = []
    for index, (target, value, data) in enumerate(zip(targets, values, calldatas)):
        result = env.dispatch(env.sender, target, value, data)
        if not result.success:
            raise DispatchError(BatchInterrupted, index, result.revert_data)
        logs += result.logs
    for log in logs:
        env.emit(log)
    env.emit(BatchCompleted.to_log(ADDRESS_, env.sender, len(targets)))
    return ()


def migrate_from_version_1(state: State) -> None:
    """Version 2 brings this module: its parameter starts at the default."""
    MaxCalls.set(state, DEFAULT_MAX_CALLS)


def genesis(state: State, config: dict) -> None:
    """config: maxCalls (optional) for a chain that starts at version 2."""
    MaxCalls.set(state, int(config.get("maxCalls", DEFAULT_MAX_CALLS)))


def check_invariants(state: State) -> None:
    assert 1 <= MaxCalls.get(state) <= 256, "the batch limit is set and within bounds"


MODULE = Module.declare(
    globals(),
    name=NAME,
    address=ADDRESS_,
    raises=(system.NotRoot,),
    calls=(
        CallDecl("batchAll(address[] targets,uint256[] values,bytes[] calldatas)", call_batch_all, weight=10_000,
                 weight_per_byte=16, inner_calls=lambda targets, values, calldatas: zip(targets, calldatas)),
    ),
    parameters={"MaxCalls": Parameter(MaxCalls, 1, 256)},
    authorize=system.ensure_root,
    genesis=genesis,
    check_invariants=check_invariants,
)
