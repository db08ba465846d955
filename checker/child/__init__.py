"""Code that runs inside the sandboxed child process, next to the student's script. Imports only stdlib and torch."""
