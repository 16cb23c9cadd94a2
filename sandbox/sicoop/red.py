"""Health-only shell: this party's protocol arrives with its own issue."""

from sandbox.kit.shell import build_shell as build

__all__ = ["build"]
