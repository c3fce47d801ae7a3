"""Handlers for the front tests (API Gateway, Invoke API, serve) and an in-process Invoker."""
