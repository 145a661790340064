"""Log filters (eth_getLogs, eth_newFilter, `logs` subscriptions): parsing, matching, querying.

A filter matches a log when its address is one of `addresses` (or any, when empty) and,
for each topic position, the log's topic is one of the alternatives (or any, for null).
Blocks whose header bloom cannot contain a match are skipped without reading receipts.
"""

from dataclasses import dataclass

from runtime.blocks import Block, compute_logs_bloom
from runtime.crypto import keccak256
from runtime.module import Log

from .errors import LIMIT_EXCEEDED, RpcError, invalid_params
from .params import ParamType, parse_address, parse_block_tag, parse_hash
from .views import receipt_logs, resolve_header

MAX_BLOCK_RANGE = 10_000
MAX_LOGS = 10_000
MAX_TOPICS = 4


@dataclass(frozen=True)
class LogFilter:
    from_block: object = "latest"
    to_block: object = "latest"
    block_hash: bytes | None = None
    addresses: tuple[bytes, ...] = ()
    topics: tuple[tuple[bytes, ...] | None, ...] = ()

    def matches(self, log: Log) -> bool:
        if self.addresses and log.address not in self.addresses:
            return False
        if len(self.topics) > len(log.topics):
            return False
        return all(wanted is None or topic in wanted for wanted, topic in zip(self.topics, log.topics))

    def may_match(self, bloom: bytes) -> bool:
        """False only when the block's bloom rules every log out."""
        bits = int.from_bytes(bloom, "big")

        def present(item: bytes) -> bool:
            probe = int.from_bytes(compute_logs_bloom([Log(item, (), b"")]), "big")
            return bits & probe == probe

        if self.addresses and not any(present(a) for a in self.addresses):
            return False
        return all(wanted is None or any(present(t) for t in wanted) for wanted in self.topics)


def parse_log_filter(value) -> LogFilter:
    if not isinstance(value, dict):
        raise invalid_params("filter must be a JSON object")
    unknown = set(value) - {"fromBlock", "toBlock", "blockHash", "address", "topics"}
    if unknown:
        raise invalid_params(f"unknown filter fields {sorted(unknown)}")
    if value.get("blockHash") is not None and (value.get("fromBlock") is not None or value.get("toBlock") is not None):
        raise invalid_params("blockHash cannot be combined with fromBlock or toBlock")
    address = value.get("address")
    addresses = () if address is None else (address if isinstance(address, list) else [address])
    topics = value.get("topics") or []
    if not isinstance(topics, list) or len(topics) > MAX_TOPICS:
        raise invalid_params(f"topics must be an array of at most {MAX_TOPICS} entries")
    parsed_topics = []
    for entry in topics:
        if entry is None:
            parsed_topics.append(None)
        elif isinstance(entry, list):
            parsed_topics.append(None if not entry else tuple(parse_hash(t, "topic") for t in entry))
        else:
            parsed_topics.append((parse_hash(entry, "topic"),))
    return LogFilter(
        from_block=parse_block_tag(value["fromBlock"]) if value.get("fromBlock") is not None else "latest",
        to_block=parse_block_tag(value["toBlock"]) if value.get("toBlock") is not None else "latest",
        block_hash=parse_hash(value["blockHash"], "blockHash") if value.get("blockHash") is not None else None,
        addresses=tuple(parse_address(a, "address") for a in addresses),
        topics=tuple(parsed_topics),
    )


LOG_FILTER = ParamType("filter", parse_log_filter)


def logs_in_block(node, block: Block, log_filter: LogFilter) -> list[dict]:
    if not log_filter.may_match(block.header.logs_bloom):
        return []
    found = []
    for stored, raw in zip(node.db.get_receipts(block.hash), block.transactions):
        if any(log_filter.matches(log) for log in stored.receipt.logs):
            found.extend(log for log, entry in zip(receipt_logs(block.header, keccak256(raw), stored), stored.receipt.logs)
                         if log_filter.matches(entry))
    return found


def block_range(node, log_filter: LogFilter) -> range:
    first = resolve_header(node, log_filter.from_block).number
    last = resolve_header(node, log_filter.to_block).number
    if last - first + 1 > MAX_BLOCK_RANGE:
        raise RpcError(LIMIT_EXCEEDED, f"block range of {last - first + 1} exceeds the limit of {MAX_BLOCK_RANGE}")
    return range(first, last + 1)


def query_logs(node, log_filter: LogFilter) -> list[dict]:
    """Every matching log, oldest first; refuses ranges or results beyond the limits."""
    if log_filter.block_hash is not None:
        blocks = [node.db.get_block(resolve_header(node, log_filter.block_hash).hash)]
    else:
        blocks = (node.db.get_block(node.db.get_canonical_hash(n)) for n in block_range(node, log_filter))
    found: list[dict] = []
    for block in blocks:
        found.extend(logs_in_block(node, block, log_filter))
        if len(found) > MAX_LOGS:
            raise RpcError(LIMIT_EXCEEDED, f"query returns more than {MAX_LOGS} logs; narrow the block range")
    return found
