"""anvil's devnet controls, on dev chains only: mine now, move time, snapshot and revert, set balances.

Every method here is `dev_only`, so a server whose context is not a dev chain does not
register them (-32601). They change the chain only as a node may: by sealing blocks
(set-balance is the root's `balances.forceSetBalance`, signed by the dev authority and
sealed like any transaction) or by rewinding to one of its own blocks.
"""

from dataclasses import dataclass

from chain.dev_controls import RootCallFailed
from runtime.exceptions import InvalidTransaction
from runtime.versions import UnknownRuntimeVersion

from .errors import EXECUTION_REVERTED, INTERNAL_ERROR, TRANSACTION_REJECTED, RpcError, invalid_params
from .params import ADDRESS, QUANTITY, ParamType, parse_quantity, to_data, to_hex
from .registry import Param, Registry

MAX_TIMESTAMP = 2**64 - 1
"""Headers carry uint64 timestamps."""
MAX_BLOCKS_PER_MINE = 10_000
"""evm_mine's `blocks`: enough to reach a scheduled upgrade or a long unbonding (10,000 empty blocks
seal in about 10 s on a laptop core), small enough to answer within a client's timeout."""

registry = Registry()


def parse_number(value, what: str) -> int:
    """anvil takes these as JSON numbers or hex quantities alike."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str):
        try:
            return parse_quantity(value, what)
        except RpcError:
            pass
    raise invalid_params(f"{what} must be a non-negative integer or a 0x-prefixed hex quantity, got {value!r}"[:200])


def parse_uint64(value, what: str) -> int:
    number = parse_number(value, what)
    if number > MAX_TIMESTAMP:
        raise invalid_params(f"{what} exceeds 64 bits")
    return number


NUMBER_SCHEMA = {"oneOf": [{"type": "integer", "minimum": 0}, QUANTITY.json_schema()]}
SECONDS = ParamType("seconds", lambda value: parse_uint64(value, "seconds"), NUMBER_SCHEMA)
TIMESTAMP = ParamType("timestamp", lambda value: parse_uint64(value, "timestamp"), NUMBER_SCHEMA)
SNAPSHOT_ID = ParamType("snapshotId", lambda value: parse_number(value, "snapshot id"), NUMBER_SCHEMA)


@dataclass(frozen=True)
class MineOptions:
    timestamp: int | None = None
    blocks: int = 1


def parse_mine_options(value) -> MineOptions:
    """A timestamp, or anvil's object {timestamp?, blocks?}."""
    if not isinstance(value, dict):
        return MineOptions(parse_uint64(value, "timestamp"))
    unknown = set(value) - {"timestamp", "blocks"}
    if unknown:
        raise invalid_params(f"unknown mine options {sorted(unknown)}")
    timestamp = value.get("timestamp")
    blocks = parse_number(value["blocks"], "blocks") if value.get("blocks") is not None else 1
    if not 1 <= blocks <= MAX_BLOCKS_PER_MINE:
        raise invalid_params(f"blocks must be between 1 and {MAX_BLOCKS_PER_MINE}, got {blocks}")
    return MineOptions(None if timestamp is None else parse_uint64(timestamp, "timestamp"), blocks)


MINE_OPTIONS = ParamType("mineOptions", parse_mine_options, {"oneOf": [
    NUMBER_SCHEMA, {"type": "object", "properties": {"timestamp": NUMBER_SCHEMA, "blocks": NUMBER_SCHEMA}}]})


def sealing_node(ctx):
    if ctx.node.dev is None:
        raise RpcError(INTERNAL_ERROR, "this node has no authority key, so it cannot seal blocks")
    return ctx.node


def check_not_before_head(node, timestamp: int) -> None:
    if timestamp < node.head.timestamp:
        raise invalid_params(f"timestamp {timestamp} is before the head block's {node.head.timestamp}")


@registry.method("evm_mine", (Param("options", MINE_OPTIONS, MineOptions()),), "string", dev_only=True)
def evm_mine(ctx, options):
    """Seal a block now, with the pool's ready transactions or none; optionally at a timestamp, or several blocks."""
    node = sealing_node(ctx)
    if options.timestamp is not None:
        check_not_before_head(node, options.timestamp)
        node.clock.pin(options.timestamp)
    try:
        for _ in range(options.blocks):
            node.builder.author_block()
    except UnknownRuntimeVersion as error:
        raise RpcError(INTERNAL_ERROR, str(error)) from None
    return "0x0"


@registry.method("evm_increaseTime", (Param("seconds", SECONDS),), "integer", dev_only=True)
def evm_increase_time(ctx, seconds):
    """Move the clock of every later block forward; returns the total offset in seconds (as anvil)."""
    clock = ctx.node.clock
    if clock.now() + clock.offset + seconds > MAX_TIMESTAMP:
        raise invalid_params(f"increasing time by {seconds}s would put timestamps beyond 64 bits")
    return clock.advance(seconds)


@registry.method("evm_setNextBlockTimestamp", (Param("timestamp", TIMESTAMP),), "null", dev_only=True)
def evm_set_next_block_timestamp(ctx, timestamp):
    """The next block gets this timestamp; later ones go on from it (wall clock + the new offset)."""
    check_not_before_head(ctx.node, timestamp)
    ctx.node.clock.pin(timestamp)
    return None


@registry.method("evm_snapshot", result="quantity", dev_only=True)
def evm_snapshot(ctx):
    """Remember the chain as it is now; returns the id evm_revert takes."""
    return to_hex(ctx.node.dev.take_snapshot())


@registry.method("evm_revert", (Param("id", SNAPSHOT_ID),), "boolean", dev_only=True)
def evm_revert(ctx, snapshot_id):
    """Rewind the chain (blocks, receipts, state, clock) to a snapshot; that id and every later one are used up."""
    return ctx.node.dev.revert_to_snapshot(snapshot_id)


def anvil_set_balance(ctx, address, amount):
    """What anvil_setBalance and flock_setBalance both do."""
    try:
        sealing_node(ctx).dev.set_balance(address, amount)
    except RootCallFailed as error:
        raise RpcError(EXECUTION_REVERTED, "execution reverted", to_data(error.revert_data)) from None
    except InvalidTransaction as error:
        raise RpcError(TRANSACTION_REJECTED, f"{error.reason}: {error.message}", {"reason": error.reason}) from None
    except UnknownRuntimeVersion as error:
        raise RpcError(INTERNAL_ERROR, str(error)) from None
    return None


SET_BALANCE_PARAMS = (Param("address", ADDRESS), Param("balance", QUANTITY))
SET_BALANCE_SUMMARY = ("Set an account's free FLOCK: the root's balances.forceSetBalance, signed by the dev "
                       "authority and sealed in a block of its own (totalSupply follows).")
registry.method("anvil_setBalance", SET_BALANCE_PARAMS, "null", SET_BALANCE_SUMMARY, dev_only=True)(anvil_set_balance)
registry.method("flock_setBalance", SET_BALANCE_PARAMS, "null", SET_BALANCE_SUMMARY, dev_only=True)(anvil_set_balance)
