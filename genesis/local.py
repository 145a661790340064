"""The local testnet's chain spec: N validators on one machine, bonded and weighted from genesis.

    python -m genesis.local -n 4 > genesis/local.json

The validators are dev accounts 0 … N−1 of the test mnemonic, so a test can derive their
keys; the spec itself only needs their addresses (genesis/ does not import the node's key
code: `build_local_spec` takes addresses, and the command line derives them with eth-account).
Each validator is funded, bonded as a staking VALIDATOR with equal stake, and in the consensus
authority set with that stake as weight, so the first election keeps the same set. Epochs are
short and slashes are not deferred, so an equivocation's slash lands within seconds.
"""

import argparse
import json
import sys

from runtime.modules import balances, staking

UNIT = balances.UNIT
TEST_MNEMONIC = "test test test test test test test test test test test junk"
DERIVATION_PATH = "m/44'/60'/0'/0/{index}"
DEV_ACCOUNT_COUNT = 10


def build_local_spec(validators: list[str], slot_duration_ms: int = 1_000, epoch_length: int = 20,
                     chain_id: int = 31338, stake: int = 10_000 * UNIT, balance: int = 1_000_000 * UNIT,
                     endowed: list[str] = (), root: str | None = None, deferral_epochs: int = 0,
                     primary_probability: int = 250_000, max_authorities: int = 100,
                     dev_accounts: dict | None = None, boot_nodes: list[str] = (), bridge: dict | None = None,
                     governance: dict | None = None) -> dict:
    """A Substrate-shaped chain spec (as genesis/dev.json) for a local multi-node testnet.

    `validators`: hex addresses, each given `balance` and bonded with `stake` (weight = stake);
    `endowed`: more hex addresses given `balance`; `root`: an optional privileged origin;
    `dev_accounts`: a devAccounts section (mnemonic, derivationPath, count) when the keys are known;
    `boot_nodes`: peers every node dials (ws://HOST:PORT/p2p); `bridge`: the bridge module's genesis config
    (spec/modules/bridge.md), unconfigured when absent; `governance`: its genesis parameters
    (spec/modules/governance.md), the module's defaults when absent.
    """
    if not validators or len(set(a.lower() for a in validators)) != len(validators):
        raise ValueError("a local testnet needs at least one validator, each once")
    funded = {address: str(balance) for address in [*validators, *endowed]}
    runtime = {
        "system": {"chainId": chain_id, "blockGasLimit": 30_000_000, **({"root": root} if root else {})},
        "balances": {"supplyCap": str(1_000_000_000 * UNIT), "balances": funded},
        "randomness": {"epochLength": epoch_length, "genesisRandomness": "0x" + "00" * 32},
        "consensus": {"authorities": [{"address": a, "weight": str(stake)} for a in validators],
                      "slotDuration": slot_duration_ms, "primaryProbability": primary_probability,
                      "maxAuthorities": max_authorities},
        "staking": {"bonds": [{"who": a, "role": staking.VALIDATOR, "amount": str(stake)} for a in validators]},
        "slashing": {"deferralEpochs": deferral_epochs},
    }
    if bridge is not None:
        runtime["bridge"] = bridge
    if governance is not None:
        runtime["governance"] = governance
    spec = {
        "name": "Flockchain Local Testnet",
        "id": "local",
        "chainType": "Local",
        "bootNodes": list(boot_nodes),
        "properties": {"tokenSymbol": "FLOCK", "tokenDecimals": balances.DECIMALS},
    }
    if dev_accounts is not None:
        spec["devAccounts"] = dev_accounts
    spec["genesis"] = {"timestamp": 0, "baseFeePerGas": "1000000000", "runtime": runtime}
    return spec


def derive_dev_addresses(count: int) -> list[str]:
    """Checksummed addresses of the test mnemonic's accounts 0 … count−1 (as wallets derive them)."""
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    return [Account.from_mnemonic(TEST_MNEMONIC, account_path=DERIVATION_PATH.format(index=i)).address
            for i in range(count)]


def build_dev_local_spec(validator_count: int, **options) -> dict:
    """The spec with dev accounts 0 … N−1 as validators and the rest of the first ten endowed."""
    addresses = derive_dev_addresses(max(validator_count, DEV_ACCOUNT_COUNT))
    dev_accounts = {"mnemonic": TEST_MNEMONIC, "derivationPath": DERIVATION_PATH, "count": len(addresses)}
    return build_local_spec(addresses[:validator_count], endowed=addresses[validator_count:],
                            dev_accounts=dev_accounts, **options)


def local_boot_nodes(count: int, p2p_base_port: int = 30333) -> list[str]:
    """Node i of `flockchain testnet` listens on 127.0.0.1:p2p_base_port + i."""
    return [f"ws://127.0.0.1:{p2p_base_port + i}/p2p" for i in range(count)]


def render(spec: dict) -> str:
    return json.dumps(spec, indent=2) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m genesis.local", description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--validators", type=int, default=4,
                        help="number of validators (dev accounts 0 … n−1)")
    parser.add_argument("--slot-duration", type=int, default=1_000, help="milliseconds per slot")
    parser.add_argument("--epoch-length", type=int, default=20, help="slots per epoch")
    parser.add_argument("--chain-id", type=int, default=31338)
    args = parser.parse_args(argv)
    if args.validators < 1:
        parser.error("-n must be at least 1")
    spec = build_dev_local_spec(args.validators, slot_duration_ms=args.slot_duration, epoch_length=args.epoch_length,
                                chain_id=args.chain_id, boot_nodes=local_boot_nodes(args.validators))
    sys.stdout.write(render(spec))


if __name__ == "__main__":
    main()
