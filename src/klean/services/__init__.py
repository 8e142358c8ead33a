"""Use cases, one function per user intent. The only layer that commits."""
