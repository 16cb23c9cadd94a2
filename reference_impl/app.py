"""The reference switch (port 8000). Health-only until its flows land."""

from sandbox.kit.shell import build_shell as build

__all__ = ["build"]
