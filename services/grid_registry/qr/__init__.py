"""Printable QR labels for risk points: one label as PNG, sheets of labels as A4 PDF."""
