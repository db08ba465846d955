"""RunConfig: everything that decides a reference training run, with each tutorial's settings as presets."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

OPTIMIZERS = ("sgd", "adadelta", "adam")
DEVICES = ("cpu", "cuda", "auto")

# The tutorials' own settings: the MNIST tutorial's Net (SGD, lr 0.01, momentum 0.5, batch 64) and pytorch/examples
# (Adadelta, lr 1.0, StepLR gamma 0.7 per epoch). The CNN notebook's Network gets the Educoder exercise's recipe
# (Adadelta, StepLR 0.7); batch 32 because on the 10,000-image subset one epoch at batch 100 is too few steps.
PRESETS = {
    "net": dict(optimizer="sgd", lr=0.01, momentum=0.5, batch_size=64, gamma=1.0),
    "network": dict(optimizer="adadelta", lr=1.0, momentum=0.0, batch_size=32, gamma=0.7),
    "cnn": dict(optimizer="adadelta", lr=1.0, momentum=0.0, batch_size=64, gamma=0.7),
}


@dataclass(frozen=True)
class RunConfig:
    """Data, budget, seed, device and optimizer settings of one training run."""

    model: str = "net"
    data: str = "subset"
    data_root: str | None = None
    epochs: int = 1
    batch_size: int = 64
    test_batch_size: int = 1000
    seed: int = 1
    device: str = "cpu"
    optimizer: str = "sgd"
    lr: float = 0.01
    momentum: float = 0.5
    gamma: float = 1.0  # StepLR decay per epoch; 1.0 keeps the rate constant
    max_batches: int | None = None  # stop each epoch early (a dry run)

    @classmethod
    def for_model(cls, model: str, **overrides) -> "RunConfig":
        """The preset for `model`, with any non-None overrides applied."""
        if model not in PRESETS:
            raise ValueError(f"unknown model {model!r}: choose one of {', '.join(PRESETS)}")
        settings = {**PRESETS[model], **{k: v for k, v in overrides.items() if v is not None}}
        return cls(model=model, **settings).validated()

    def validated(self) -> "RunConfig":
        """Raise ValueError with a readable message for settings that cannot work."""
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}: choose one of {', '.join(OPTIMIZERS)}")
        if self.device not in DEVICES:
            raise ValueError(f"unknown device {self.device!r}: choose one of {', '.join(DEVICES)}")
        if self.epochs < 1 or self.batch_size < 1 or self.test_batch_size < 1:
            raise ValueError("epochs and batch sizes must be at least 1")
        if self.lr <= 0:
            raise ValueError("the learning rate must be positive")
        return self

    def with_(self, **changes) -> "RunConfig":
        return replace(self, **changes).validated()

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]
