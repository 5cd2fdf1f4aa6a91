"""Open311 GeoReport v2 door on hazard intake (`/open311/v2`), for city 311 systems and apps.

Registered clients file requests with an api_key; each request becomes the same
ReportSubmitted event as POST /v1/reports. Intake keeps a small read model of the requests
filed here (collection `open311_requests`), kept current from hazard_cases' events, so that
anyone can follow a request's status without seeing who filed it.
"""
