"""shopagent: an operations agent for Tmall/Taobao-style shops."""

__version__ = "0.1.0"
