"""Dev accounts: the well-known test mnemonic's keys, derived as wallets derive them (BIP-32/44)."""

from dataclasses import dataclass

from eth_account import Account

from runtime.crypto import private_key_to_address

Account.enable_unaudited_hdwallet_features()


@dataclass(frozen=True)
class DevKey:
    address: bytes
    private_key: bytes


def derive_key(mnemonic: str, path: str) -> DevKey:
    secret = bytes(Account.from_mnemonic(mnemonic, account_path=path).key)
    return DevKey(private_key_to_address(secret), secret)


def dev_keys(spec: dict) -> tuple[list[DevKey], DevKey | None]:
    """The spec's funded dev accounts and its dev authority key, or ([], None) when it has none."""
    config = spec.get("devAccounts")
    if not config:
        return [], None
    path = config["derivationPath"]
    accounts = [derive_key(config["mnemonic"], path.format(index=i)) for i in range(config["count"])]
    authority_index = config.get("authorityIndex")
    authority = None if authority_index is None else derive_key(config["mnemonic"], path.format(index=authority_index))
    return accounts, authority
