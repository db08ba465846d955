"""One module per `checker` subcommand, each exposing `command`."""
