from sandbox.notify.app import build

__all__ = ["build"]
