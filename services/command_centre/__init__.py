"""Command centre: the live view of every hazard in the operator's area (指挥中心)."""
