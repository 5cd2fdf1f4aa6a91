"""Grid registry: the responsibility grid, its people and risk points, and who answers for what."""
