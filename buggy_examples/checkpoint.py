"""Train the CNN notebook's Network with Adam, save a checkpoint, then carry on training from it.

Run it: python buggy_examples/checkpoint.py
"""
import os
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
import torchvision

from torchdrill.data import mnist_root

n_epochs = 1  # epochs before the checkpoint
n_resume_epochs = 1  # epochs after resuming from it
batch_size_train = 64
batch_size_test = 1000
learning_rate = 0.001
log_interval = 50
random_seed = 1
device = torch.device("cpu")  # the checker sets this from --device
data_root = mnist_root()  # the embedded real-MNIST subset, laid out for torchvision


class Network(nn.Module):
    def __init__(self):
        super(Network, self).__init__()
        self.conv1 = nn.Conv2d(in_channels=1, out_channels=6, kernel_size=5)
        self.conv2 = nn.Conv2d(in_channels=6, out_channels=12, kernel_size=5)
        self.fc1 = nn.Linear(in_features=12 * 4 * 4, out_features=120)
        self.fc2 = nn.Linear(in_features=120, out_features=60)
        self.out = nn.Linear(in_features=60, out_features=10)

    def forward(self, t):
        t = F.max_pool2d(F.relu(self.conv1(t)), kernel_size=2, stride=2)
        t = F.max_pool2d(F.relu(self.conv2(t)), kernel_size=2, stride=2)
        t = t.flatten(1)
        t = F.relu(self.fc1(t))
        t = F.relu(self.fc2(t))
        return self.out(t)


def load_data():
    transform = torchvision.transforms.Compose([
        torchvision.transforms.ToTensor(),
        torchvision.transforms.Normalize((0.1307,), (0.3081,)),
    ])
    train_set = torchvision.datasets.MNIST(data_root, train=True, download=False, transform=transform)
    test_set = torchvision.datasets.MNIST(data_root, train=False, download=False, transform=transform)
    train_loader = torch.utils.data.DataLoader(train_set, batch_size=batch_size_train, shuffle=True)
    test_loader = torch.utils.data.DataLoader(test_set, batch_size=batch_size_test, shuffle=False)
    return train_loader, test_loader


def train(network, optimizer, train_loader, epoch):
    network.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = network(data)
        loss = F.cross_entropy(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % log_interval == 0:
            print(f"Train Epoch: {epoch} [{batch_idx * len(data)}/{len(train_loader.dataset)}]\tLoss: {loss.item():.6f}")


def test(network, test_loader):
    network.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = network(data)
            test_loss += F.cross_entropy(output, target, reduction="sum").item()
            pred = output.argmax(dim=1)
            correct += pred.eq(target).sum().item()
    test_loss /= len(test_loader.dataset)
    print(f"Test set: Avg. loss: {test_loss:.4f}, Accuracy: {correct}/{len(test_loader.dataset)} "
          f"({100. * correct / len(test_loader.dataset):.0f}%)")
    return correct / len(test_loader.dataset)


def make_optimizer(model):
    return optim.Adam(model.parameters(), lr=learning_rate)


def save_checkpoint(model, optimizer, folder):
    torch.save(model.state_dict(), os.path.join(folder, "model.pth"))


def resume_from_checkpoint(folder):
    """A new network and optimizer that carry on from the checkpoint in `folder`."""
    continued_network = Network().to(device)
    continued_optimizer = make_optimizer(continued_network)
    continued_network.load_state_dict(torch.load(os.path.join(folder, "model.pth"), map_location=device))
    return continued_network, continued_optimizer


def main():
    torch.manual_seed(random_seed)
    train_loader, test_loader = load_data()
    network = Network().to(device)
    optimizer = make_optimizer(network)
    test(network, test_loader)
    for epoch in range(1, n_epochs + 1):
        train(network, optimizer, train_loader, epoch)
        test(network, test_loader)

    with tempfile.TemporaryDirectory() as checkpoint_dir:
        save_checkpoint(network, optimizer, checkpoint_dir)
        continued_network, continued_optimizer = resume_from_checkpoint(checkpoint_dir)
    for epoch in range(n_epochs + 1, n_epochs + n_resume_epochs + 1):
        train(continued_network, continued_optimizer, train_loader, epoch)
        test(continued_network, test_loader)
    return continued_network


if __name__ == "__main__":
    main()
