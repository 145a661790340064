"""Off-chain half of FL Alliance rounds: models, canonical model bytes, aggregation, data, training, voting."""
