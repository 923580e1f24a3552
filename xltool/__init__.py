"""xltool: issue Excel self-evaluation forms and verify the filled copies that come back."""

__version__ = "0.1.0"
