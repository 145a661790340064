"""A Marketplace host (`server.py`: inference over HTTP under the web policy, vouchers kept in `ledger.py`) and its client (`client.py`)."""
