"""Health, readiness, metrics, JSON logs and the correlation id, the same in every service."""
