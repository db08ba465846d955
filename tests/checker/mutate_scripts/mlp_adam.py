"""A course's own MNIST script, written for `checker mutate`'s tests in a shape none of the scenarios has: a
multi-layer perceptron with BatchNorm and dropout, Adam, a CrossEntropyLoss object, a validation split carved
out of the training set, and a running loss."""
import torch
from torch import nn
from torch.utils.data import DataLoader, random_split
from torchvision import datasets, transforms

from torchdrill.data import mnist_root

EPOCHS = 1
BATCH_SIZE = 128
LR = 1e-3
device = torch.device("cpu")


class MLP(nn.Module):
    def __init__(self, hidden=128):
        super().__init__()
        self.fc1 = nn.Linear(28 * 28, hidden)
        self.bn1 = nn.BatchNorm1d(hidden)
        self.drop = nn.Dropout(0.2)
        self.fc2 = nn.Linear(hidden, 10)

    def forward(self, x):
        x = torch.flatten(x, 1)
        x = self.drop(torch.relu(self.bn1(self.fc1(x))))
        return self.fc2(x)


def make_loaders():
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    full = datasets.MNIST(mnist_root(), train=True, download=False, transform=tf)
    test_set = datasets.MNIST(mnist_root(), train=False, download=False, transform=tf)
    n_val = len(full) // 10
    train_set, val_set = random_split(full, [len(full) - n_val, n_val], generator=torch.Generator().manual_seed(0))
    return (DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True),
            DataLoader(val_set, batch_size=BATCH_SIZE),
            DataLoader(test_set, batch_size=BATCH_SIZE))


def train_one_epoch(model, loader, optimizer, criterion):
    model.train()
    running = 0.0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        logits = model(images)
        loss = criterion(logits, labels)
        loss.backward()
        optimizer.step()
        running += loss.item()
    return running / len(loader)


def evaluate(model, loader):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            correct += (model(images).argmax(1) == labels).sum().item()
            total += labels.size(0)
    return correct / total


def main():
    torch.manual_seed(0)
    train_loader, val_loader, test_loader = make_loaders()
    model = MLP().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    criterion = nn.CrossEntropyLoss()
    for epoch in range(EPOCHS):
        loss = train_one_epoch(model, train_loader, optimizer, criterion)
        print(f"epoch {epoch}: loss {loss:.3f}, validation accuracy {evaluate(model, val_loader):.3f}")
    print(f"test accuracy {evaluate(model, test_loader):.3f}")
    return model


if __name__ == "__main__":
    main()
