"""`flockchain dev` as a user runs it: interval sealing, restart on a data dir, a data dir in use."""

import subprocess
import sys
import time

from .devchain import ROOT, dev_account, free_port, start_dev_chain, stop_dev_chain


def test_block_time_seals_blocks_without_transactions(tmp_path):
    chain = start_dev_chain(tmp_path, extra_args=("--block-time", "0.2"))
    try:
        first = chain.w3.eth.block_number
        deadline = time.monotonic() + 10
        while chain.w3.eth.block_number < first + 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert chain.w3.eth.block_number >= first + 3, "empty blocks are sealed on the interval"
        sender = dev_account(0)
        tx = sender.sign_transaction({"to": dev_account(1).address, "value": 1, "gas": 21_000, "nonce": 0,
                                      "chainId": 31337, "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9})
        receipt = chain.w3.eth.wait_for_transaction_receipt(chain.w3.eth.send_raw_transaction(tx.raw_transaction),
                                                            timeout=10)
        assert receipt.status == 1
    finally:
        stop_dev_chain(chain.process)


def test_restart_on_the_same_data_dir_keeps_the_chain(tmp_path):
    chain = start_dev_chain(tmp_path)
    sender = dev_account(2)
    tx = sender.sign_transaction({"to": dev_account(3).address, "value": 5, "gas": 21_000, "nonce": 0,
                                  "chainId": 31337, "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9})
    tx_hash = chain.w3.eth.send_raw_transaction(tx.raw_transaction)
    receipt = chain.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10)
    head = chain.w3.eth.get_block("latest")
    stop_dev_chain(chain.process)

    again = start_dev_chain(tmp_path)
    try:
        assert again.w3.eth.get_block("latest").hash == head.hash
        assert again.w3.eth.get_transaction_receipt(tx_hash).blockHash == receipt.blockHash
        assert again.w3.eth.get_transaction_count(sender.address) == 1
    finally:
        stop_dev_chain(again.process)


def test_a_data_dir_in_use_is_refused_clearly(tmp_path):
    chain = start_dev_chain(tmp_path)
    try:
        second = subprocess.run([sys.executable, "-m", "flockchain.cli", "dev", "--port", str(free_port()),
                                 "--data-dir", str(tmp_path / "data")], cwd=ROOT, capture_output=True, text=True,
                                timeout=60)
        assert second.returncode == 2
        assert "another node" in second.stderr and "Traceback" not in second.stderr
        assert chain.w3.eth.chain_id == 31337, "the running node is unaffected"
    finally:
        stop_dev_chain(chain.process)


def test_gas_limit_sets_the_block_gas_limit_as_anvils_flag_does(tmp_path):
    chain = start_dev_chain(tmp_path, extra_args=("--gas-limit", "1000000000"))
    try:
        assert int(chain.result("eth_getBlockByNumber", "latest", False)["gasLimit"], 16) == 1_000_000_000
        assert "Block gas limit:   1,000,000,000" in chain.log()
    finally:
        stop_dev_chain(chain.process)
    refused = subprocess.run([sys.executable, "-m", "flockchain.cli", "dev", "--gas-limit", "20999"], cwd=ROOT,
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "--gas-limit must be at least 21,000" in refused.stderr
