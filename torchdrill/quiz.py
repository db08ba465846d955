"""python -m torchdrill.quiz: the same as the `quiz` command."""
if __name__ == "__main__":
    from torchdrill import use_our_packages

    use_our_packages(first=True)
    from quizzes.cli import main

    main()
