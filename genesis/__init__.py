"""Chain specs (JSON, Substrate's chain-spec shape) and the genesis builder."""
