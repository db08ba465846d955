"""A course's own MNIST script, written for `checker mutate`'s tests in another shape: a small CNN built from
nn.Sequential without dropout, SGD with Nesterov momentum and a StepLR schedule, log-probabilities and nll_loss,
an evaluation decorated with @torch.no_grad() that also runs before training, and its epochs and learning rate
from the command line (argparse), as many public scripts take theirs."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.lr_scheduler import StepLR
from torchvision import datasets, transforms

from torchdrill.data import mnist_root

batch_size = 100
device = torch.device("cpu")


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Linear(16 * 5 * 5, 10)

    def forward(self, x):
        x = self.features(x)
        x = x.view(-1, 16 * 5 * 5)
        return F.log_softmax(self.head(x), dim=1)


def loaders():
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train_data = datasets.MNIST(mnist_root(), train=True, download=False, transform=tf)
    test_data = datasets.MNIST(mnist_root(), train=False, download=False, transform=tf)
    return (torch.utils.data.DataLoader(train_data, batch_size=batch_size, shuffle=True),
            torch.utils.data.DataLoader(test_data, batch_size=batch_size))


def fit_epoch(model, optimizer, scheduler, loader):
    model.train()
    total = 0.0
    for images, labels in loader:
        optimizer.zero_grad()
        loss = F.nll_loss(model(images.to(device)), labels.to(device))
        loss.backward()
        optimizer.step()
        total += float(loss)
    print(f"loss {total / len(loader):.4f}, lr {scheduler.get_last_lr()[0]:.4f}")


@torch.no_grad()
def validate(model, loader):
    model.eval()
    hits = 0
    for images, labels in loader:
        hits += (model(images.to(device)).argmax(dim=1) == labels.to(device)).sum().item()
    print(f"accuracy {hits / len(loader.dataset):.3f}")
    return hits / len(loader.dataset)


def main():
    parser = argparse.ArgumentParser(description="MNIST with a small CNN")
    parser.add_argument("--epochs", type=int, default=3, help="epochs to train (default: 3)")
    parser.add_argument("--lr", type=float, default=0.05, help="learning rate (default: 0.05)")
    args = parser.parse_args()
    torch.manual_seed(1)
    train_loader, test_loader = loaders()
    model = SmallCNN().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
    validate(model, test_loader)
    for _ in range(args.epochs):
        fit_epoch(model, optimizer, scheduler, train_loader)
        validate(model, test_loader)
        scheduler.step()
    return model


if __name__ == "__main__":
    main()
