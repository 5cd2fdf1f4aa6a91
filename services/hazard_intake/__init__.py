"""Hazard intake: the front door for reports from phones, fast and never losing one."""
