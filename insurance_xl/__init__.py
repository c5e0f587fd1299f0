"""insurance-xl: the motor-insurance desk of a car dealership, in Excel."""

__version__ = "0.1.0"  # keep equal to pyproject.toml's version
