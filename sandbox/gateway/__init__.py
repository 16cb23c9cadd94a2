from sandbox.gateway.app import build

__all__ = ["build"]
