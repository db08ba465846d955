"""python -m torchdrill.checker: the same as the `checker` command."""
if __name__ == "__main__":
    from torchdrill import use_our_packages

    use_our_packages(first=True)
    from checker.cli import run

    run()
