"""AI Arena: trainers compete on public data, validators score their models on a hidden evaluation set."""
