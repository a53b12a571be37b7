"""CLI command groups, one module each; every module imports only typer and the standard library."""
