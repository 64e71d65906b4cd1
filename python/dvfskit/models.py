"""Built-in DVFS latency and power models (see the model catalogue in README.md)."""
from __future__ import annotations

from typing import Dict, List

from ._model import Model

_REGISTRY: Dict[str, Model] = {}


def register(model: Model) -> Model:
    """Add ``model`` to the catalogue under ``model.name`` (used by ``get`` and the CLI)."""
    _REGISTRY[model.name] = model
    return model


def get(name: str) -> Model:
    """The built-in model called ``name``."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; built-in models: {available()}") from None


def available() -> List[str]:
    """Names of the built-in models."""
    return sorted(_REGISTRY)
