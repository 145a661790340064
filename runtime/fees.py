"""Gas and the EIP-1559 base fee.

Gas is not metered: a transaction's gas is its intrinsic cost (Ethereum's: 21,000 plus
calldata and access list) plus the declared weight of the module call it makes. The base
fee follows EIP-1559 exactly, so wallets' fee estimates work unchanged.
"""

TX_BASE_GAS = 21_000
CALLDATA_ZERO_BYTE_GAS = 4
CALLDATA_NONZERO_BYTE_GAS = 16
ACCESS_LIST_ADDRESS_GAS = 2_400
ACCESS_LIST_STORAGE_KEY_GAS = 1_900
ELASTICITY_MULTIPLIER = 2
BASE_FEE_MAX_CHANGE_DENOMINATOR = 8


def compute_intrinsic_gas(data: bytes, access_list=()) -> int:
    zeros = data.count(0)
    gas = TX_BASE_GAS + zeros * CALLDATA_ZERO_BYTE_GAS + (len(data) - zeros) * CALLDATA_NONZERO_BYTE_GAS
    for entry in access_list:
        gas += ACCESS_LIST_ADDRESS_GAS + len(entry.storage_keys) * ACCESS_LIST_STORAGE_KEY_GAS
    return gas


def compute_base_fee(parent_gas_limit: int, parent_gas_used: int, parent_base_fee: int) -> int:
    """EIP-1559: move toward the gas target by at most 1/8 per block.

    Rounding: each quotient is floored (integer division), and an increase is at least 1 wei,
    exactly as execution-specs' `calculate_base_fee_per_gas`.
    """
    target = parent_gas_limit // ELASTICITY_MULTIPLIER
    if target == 0 or parent_gas_used == target:
        return parent_base_fee
    if parent_gas_used > target:
        delta = parent_base_fee * (parent_gas_used - target) // target // BASE_FEE_MAX_CHANGE_DENOMINATOR
        return parent_base_fee + max(delta, 1)
    delta = parent_base_fee * (target - parent_gas_used) // target // BASE_FEE_MAX_CHANGE_DENOMINATOR
    return parent_base_fee - delta
