"""The command-line interface: a thin shell over library calls."""
