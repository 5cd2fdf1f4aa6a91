"""Hazard case management: the closed loop from report to closure (发现-上报-整改-验证-销号)."""
