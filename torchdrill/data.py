"""What a training script of the catalogue imports from torchdrill: the MNIST data the checker trains it on.

    from torchdrill.data import mnist_root
    data_root = mnist_root()  # the embedded real-MNIST subset, laid out for torchvision.datasets.MNIST
"""
from reference.data import mnist_root  # noqa: F401 (the one name a script needs)
