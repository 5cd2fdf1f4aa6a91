"""Notifications: tell people what concerns them (in-app inbox now; SMS and broadcasts later)."""
