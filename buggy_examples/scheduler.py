"""Train the CNN notebook's Network with Adadelta and a StepLR schedule (gamma 0.7 per epoch) on the MNIST subset.

Run it: python buggy_examples/scheduler.py
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
import torchvision
from torch.optim.lr_scheduler import StepLR

from torchdrill.data import mnist_root

n_epochs = 1
batch_size_train = 32
batch_size_test = 1000
learning_rate = 1.0
gamma = 0.7  # the learning rate is multiplied by this once per epoch
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


def train(model, optimizer, scheduler, train_loader, epoch):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.cross_entropy(output, target)
        loss.backward()
        optimizer.step()
        scheduler.step()
        if batch_idx % log_interval == 0:
            print(f"Train Epoch: {epoch} [{batch_idx * len(data)}/{len(train_loader.dataset)}]\t"
                  f"Loss: {loss.item():.6f}\tlr: {scheduler.get_last_lr()[0]:.2e}")


def test(model, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.cross_entropy(output, target, reduction="sum").item()
            correct += output.argmax(dim=1).eq(target).sum().item()
    test_loss /= len(test_loader.dataset)
    print(f"Test set: Average loss: {test_loss:.4f}, Accuracy: {correct}/{len(test_loader.dataset)} "
          f"({100. * correct / len(test_loader.dataset):.1f}%)")
    return correct / len(test_loader.dataset)


def main():
    torch.manual_seed(random_seed)
    train_loader, test_loader = load_data()
    model = Network().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=learning_rate)
    scheduler = StepLR(optimizer, step_size=1, gamma=gamma)
    for epoch in range(1, n_epochs + 1):
        train(model, optimizer, scheduler, train_loader, epoch)
        test(model, test_loader)
    return model


if __name__ == "__main__":
    main()
