"""Patrols of risk points (巡查), morning/noon health checks (晨午检) and duty check-ins (值班)."""
