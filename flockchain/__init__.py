"""The `flockchain` command: composes the node (chain/), its runtime and the RPC server (rpc/)."""
