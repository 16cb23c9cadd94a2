from sandbox.ach.app import build

__all__ = ["build"]
