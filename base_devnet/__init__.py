"""A Base (Ethereum L2) stand-in for development: py-evm under Prague rules behind eth_ JSON-RPC,
with the bridge contracts deployed. A tool beside the node, as anvil is beside a production
client: nothing in chain/ or runtime/ imports it."""
