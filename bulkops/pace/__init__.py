"""Pace: how fast requests go out and how failures are retried, for reads and writes alike.

Produces no data of its own: the shared throttle (rate limit and 429 pause), the retry policy and
the worker pool that every stage which talks to Plivo runs under. Imports only the client's
error types and `bulkops.limits`.
"""
