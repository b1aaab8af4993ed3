"""A SolusIO REST API simulator (see docs/ and the contract in the shared reference)."""

from .app import SimApp, create_app
from .clock import Clock
from .faults import Faults
from .server import SimServer
from .state import SimState

__all__ = ["Clock", "Faults", "SimApp", "SimServer", "SimState", "create_app"]
