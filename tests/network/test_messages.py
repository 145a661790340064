"""The wire codec: every message round-trips, and any bytes at all either decode to one canonical
message or raise MessageDecodeError (never another exception: frames come from strangers)."""

import re

import pytest
import rlp
from hypothesis import given
from hypothesis import strategies as st

from chain.network import MessageDecodeError, node_id_of
from chain.network.handshake import sign_auth, verify_auth
from chain.network.messages import (MAX_BLOCKS_PER_MESSAGE, MAX_TRANSACTIONS_PER_MESSAGE, Auth, BlobAnnouncement,
                                    Blocks, Commit, GetBlocks, Hello, MessageType, NewBlock, Ping, Pong, Status,
                                    Transactions, Vote, decode_message, encode_message)
from runtime.crypto import rlp_encode

from .helpers import new_key

uint64 = st.integers(0, 2**64 - 1)
hash32 = st.binary(min_size=32, max_size=32)
opaque = st.binary(min_size=1, max_size=64)
node_ids = st.builds(lambda prefix, rest: bytes((prefix,)) + rest, st.sampled_from((2, 3)),
                     st.binary(min_size=32, max_size=32))
urls = st.text(max_size=40).filter(lambda text: len(text.encode()) <= 256)

messages = st.one_of(
    st.builds(Hello, uint64, st.integers(0, 2**256 - 1), hash32, uint64, hash32, uint64, hash32, node_ids, hash32,
              urls, urls),
    st.builds(Auth, st.binary(min_size=65, max_size=65)),
    st.builds(Status, uint64, hash32, uint64, hash32),
    st.just(Ping()),
    st.just(Pong()),
    st.builds(Transactions, st.lists(opaque, min_size=1, max_size=8).map(tuple)),
    st.builds(NewBlock, opaque),
    st.builds(Vote, opaque),
    st.builds(Commit, opaque),
    st.builds(BlobAnnouncement, hash32, uint64),
    st.builds(GetBlocks, uint64, uint64, uint64),
    st.builds(Blocks, uint64, st.lists(st.tuples(opaque, st.none() | opaque), max_size=5).map(tuple)),
)

rlp_items = st.recursive(st.binary(max_size=40), lambda children: st.lists(children, max_size=5), max_leaves=12)


@given(messages)
def test_every_message_round_trips(message):
    data = encode_message(message)
    assert decode_message(data) == message
    assert encode_message(decode_message(data)) == data


def _decodes_canonically_or_refuses(data: bytes) -> None:
    try:
        message = decode_message(data)
    except MessageDecodeError:
        return
    assert encode_message(message) == data


@given(st.binary(max_size=300))
def test_arbitrary_bytes_decode_or_raise_the_decode_error(data):
    _decodes_canonically_or_refuses(data)


@given(st.sampled_from(list(MessageType)), st.lists(rlp_items, max_size=12))
def test_well_formed_rlp_of_any_shape_decodes_or_raises_the_decode_error(message_type, payload):
    _decodes_canonically_or_refuses(rlp_encode([bytes((message_type,)), *payload]))


@given(messages, st.data())
def test_a_corrupted_message_decodes_or_raises_the_decode_error(message, data):
    frame = bytearray(encode_message(message))
    index = data.draw(st.integers(0, len(frame) - 1))
    frame[index] = data.draw(st.integers(0, 255))
    _decodes_canonically_or_refuses(bytes(frame[:data.draw(st.integers(0, len(frame)))]))


@pytest.mark.parametrize("data, reason", [
    (b"", "not a valid RLP"),
    (b"\x80", "non-empty RLP list"),
    (b"\xc0", "non-empty RLP list"),
    (rlp_encode([b"\x63"]), "unknown message type 99"),
    (rlp_encode([b""]), "unknown message type 0"),
    (rlp_encode([b"\x00\x04"]), "message type is not a canonical"),
    (rlp_encode([b"\x04", b"extra"]), "PING has 0 fields, got 1"),
    (rlp_encode([b"\x0b", b"\x00", b"\x01", b"\x02"]), "request_id is not a canonical uint64"),
    (rlp_encode([b"\x0b", b"\x01" * 9, b"\x01", b"\x02"]), "request_id is not a canonical uint64"),
    (rlp_encode([b"\x06"]), "1 to 256 transactions"),
    (rlp_encode([b"\x06", *[b"tx"] * (MAX_TRANSACTIONS_PER_MESSAGE + 1)]), "1 to 256 transactions"),
    (rlp_encode([b"\x06", [b"tx"]]), "transaction must be non-empty bytes"),
    (rlp_encode([b"\x07", b""]), "block_rlp must be non-empty bytes"),
    (rlp_encode([b"\x0c", b"\x01", [[b"block", b""]] * (MAX_BLOCKS_PER_MESSAGE + 1)]), "at most 128 blocks"),
    (rlp_encode([b"\x0c", b"\x01", [[b"block"]]]), "must be [block, justification]"),
    (rlp_encode([b"\x0a", b"\x01" * 31, b"\x05"]), "blob_hash must be 32 bytes"),
    (rlp_encode([b"\x07", [[[b"deep"]]]]), "nested deeper than 3"),
    (bytes.fromhex("c407008200"), "runs past the end of its list"),
])
def test_malformed_messages_are_refused_with_a_reason(data, reason):
    with pytest.raises(MessageDecodeError, match=re.escape(reason)):
        decode_message(data)


def test_hello_refuses_text_that_is_not_utf8_and_keys_that_are_not_compressed():
    hello = Hello(1, 1, b"\x01" * 32, 0, b"\x02" * 32, 0, b"\x03" * 32, b"\x02" + b"\x04" * 32, b"\x05" * 32, "", "")
    fields = rlp.decode(encode_message(hello))
    with pytest.raises(MessageDecodeError, match="listen_url is not UTF-8"):
        decode_message(rlp_encode(fields[:10] + [b"\xff\xfe", fields[11]]))
    with pytest.raises(MessageDecodeError, match="node_id is not a compressed public key"):
        decode_message(rlp_encode(fields[:8] + [b"\x04" * 33] + fields[9:]))


@pytest.mark.parametrize("message", [
    Transactions(()), NewBlock(b""), Status(-1, b"\x00" * 32, 0, b"\x00" * 32), BlobAnnouncement(b"short", 1),
    GetBlocks(2**64, 0, 1), Blocks(1, ((b"", None),)),
])
def test_a_message_no_peer_would_accept_is_not_encoded(message):
    with pytest.raises(ValueError):
        encode_message(message)


def test_auth_signature_binds_the_nonce_and_the_signer():
    key, other = new_key(), new_key()
    nonce = b"\x09" * 32
    signature = sign_auth(key, nonce)
    assert len(signature) == 65
    assert verify_auth(signature, nonce, node_id_of(key))
    assert not verify_auth(signature, b"\x08" * 32, node_id_of(key))
    assert not verify_auth(signature, nonce, node_id_of(other))
    assert not verify_auth(signature[:64] + bytes((signature[64] ^ 1,)), nonce, node_id_of(key))
    assert not verify_auth(b"\x00" * 65, nonce, node_id_of(key))
