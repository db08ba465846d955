"""python -m torchdrill.reference: the reference training (the same as `python -m reference` in a clone)."""
if __name__ == "__main__":
    from torchdrill import use_our_packages

    use_our_packages(first=True)
    import runpy

    runpy.run_module("reference", run_name="__main__", alter_sys=True)
