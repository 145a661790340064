"""A plain Flower client for scikit-learn's digits: a 64-32-10 MLP in torch trained on one partition of
the data. It knows nothing of flockchain — the same client would join a Flower server — and joins an
FL Alliance task with

    flockchain worker --rpc URL --key KEY --task N --state-dir DIR --flower-client examples.flower_client:client

Which partition it holds comes from the environment: DIGITS_PARTITION (0-based) of DIGITS_PARTITIONS.
"""

import os

import numpy as np
import torch
from flwr.client import NumPyClient
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(64, 32)
        self.fc2 = torch.nn.Linear(32, 10)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


class DigitsClient(NumPyClient):
    def __init__(self, partition: int, partitions: int, epochs: int = 3, lr: float = 0.1, batch_size: int = 16):
        x, y = load_digits(return_X_y=True)
        x = StandardScaler().fit_transform(x)
        mine = np.arange(len(x)) % partitions == partition
        train_x, val_x, train_y, val_y = train_test_split(x[mine], y[mine], test_size=0.2, random_state=partition)
        self.train_x, self.train_y = torch.tensor(train_x, dtype=torch.float32), torch.tensor(train_y)
        self.val_x, self.val_y = torch.tensor(val_x, dtype=torch.float32), torch.tensor(val_y)
        self.net = Net()
        self.epochs, self.lr, self.batch_size = epochs, lr, batch_size

    def get_parameters(self, config):
        return [value.detach().numpy().copy() for value in self.net.state_dict().values()]

    def set_parameters(self, parameters):
        keys = self.net.state_dict().keys()
        self.net.load_state_dict({key: torch.tensor(value) for key, value in zip(keys, parameters)})

    def fit(self, parameters, config):
        self.set_parameters(parameters)
        torch.manual_seed(int(config.get("seed", 0)))
        optimizer = torch.optim.SGD(self.net.parameters(), lr=self.lr)
        for _ in range(self.epochs):
            for batch in torch.randperm(len(self.train_x)).split(self.batch_size):
                optimizer.zero_grad()
                torch.nn.functional.cross_entropy(self.net(self.train_x[batch]), self.train_y[batch]).backward()
                optimizer.step()
        return self.get_parameters({}), len(self.train_x), {}

    def evaluate(self, parameters, config):
        self.set_parameters(parameters)
        with torch.no_grad():
            logits = self.net(self.val_x)
            loss = torch.nn.functional.cross_entropy(logits, self.val_y).item()
            accuracy = (logits.argmax(dim=1) == self.val_y).float().mean().item()
        return loss, len(self.val_x), {"accuracy": accuracy}


def client() -> DigitsClient:
    return DigitsClient(int(os.environ.get("DIGITS_PARTITION", "0")), int(os.environ.get("DIGITS_PARTITIONS", "4")))
