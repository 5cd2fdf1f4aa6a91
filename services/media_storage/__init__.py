"""Media storage: photos of hazards and their rectification, uploaded straight to S3."""
