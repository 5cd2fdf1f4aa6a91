"""The teachers' phone page (PWA): report a hazard in under a minute, even on a bad network."""
