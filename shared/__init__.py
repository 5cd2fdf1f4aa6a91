"""The shared core of Xiaoan: settings, events, messaging, storage, observability and auth.

Every service imports from here and never from another service.
"""
