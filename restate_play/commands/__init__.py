"""The CLI's commands, one module each; `cli.py` wires them into typer."""
