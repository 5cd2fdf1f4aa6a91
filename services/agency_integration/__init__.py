"""Agency integration: police, market regulators and others get what concerns them, signed."""
