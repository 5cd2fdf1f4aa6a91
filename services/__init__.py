"""Xiaoan's services: each folder is one independently deployed FastAPI app."""
