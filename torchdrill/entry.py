"""The console scripts `checker` and `quiz`, installed or in a clone."""
from torchdrill import use_our_packages

use_our_packages(first=True)  # our checker, not a distribution of that name installed beside us


def checker() -> None:
    from checker.cli import run

    run()


def quiz() -> None:
    from quizzes.cli import main

    main()
