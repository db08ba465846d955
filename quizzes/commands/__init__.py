"""One module per `quiz` command, each exposing `command`; the CLI finds them by listing this folder."""
