"""The Arena's off-chain parts: the validator duty (scoring on the revealed evaluation set) and the trainer."""
