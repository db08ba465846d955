"""Train the CNN notebook's Network (two conv layers, three linear layers) with SGD on the embedded MNIST subset.

Run it: python buggy_examples/reshape.py
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
import torchvision

from torchdrill.data import mnist_root

n_epochs = 1
batch_size = 100  # both loaders use it, as in the notebook
learning_rate = 0.03
momentum = 0.9
log_interval = 20
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
        t = F.max_pool2d(F.relu(self.conv1(t)), kernel_size=2, stride=2)  # (N, 6, 12, 12)
        t = F.max_pool2d(F.relu(self.conv2(t)), kernel_size=2, stride=2)  # (N, 12, 4, 4)
        # Before the linear layers: dim 0 is the samples of the batch, dim 1 the 12 * 4 * 4 = 192 features of each.
        t = t.reshape(-1, 192)
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
    train_loader = torch.utils.data.DataLoader(train_set, batch_size=batch_size, shuffle=True)
    test_loader = torch.utils.data.DataLoader(test_set, batch_size=batch_size, shuffle=False)
    return train_loader, test_loader


def get_num_correct(preds, labels):
    return preds.argmax(dim=1).eq(labels).sum().item()


def train(network, optimizer, train_loader, epoch):
    network.train()
    for batch_idx, (images, labels) in enumerate(train_loader):
        images, labels = images.to(device), labels.to(device)
        preds = network(images)
        loss = F.cross_entropy(preds, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if batch_idx % log_interval == 0:
            print(f"Train Epoch: {epoch} [{batch_idx * len(images)}/{len(train_loader.dataset)}]\tLoss: {loss.item():.6f}")


def test(network, test_loader):
    network.eval()
    total_loss = 0
    total_correct = 0
    with torch.no_grad():
        for images, labels in test_loader:
            images, labels = images.to(device), labels.to(device)
            preds = network(images)
            total_loss += F.cross_entropy(preds, labels, reduction="sum").item()
            total_correct += get_num_correct(preds, labels)
    total = len(test_loader.dataset)
    print(f"Test set: Avg. loss: {total_loss / total:.4f}, Accuracy: {total_correct}/{total} "
          f"({100. * total_correct / total:.1f}%)")
    return total_correct / total


def main():
    torch.manual_seed(random_seed)
    train_loader, test_loader = load_data()
    network = Network().to(device)
    optimizer = optim.SGD(network.parameters(), lr=learning_rate, momentum=momentum)
    test(network, test_loader)
    for epoch in range(1, n_epochs + 1):
        train(network, optimizer, train_loader, epoch)
        test(network, test_loader)
    return network


if __name__ == "__main__":
    main()
