"""One module per pattern: idiomatic restate-sdk services, faithful to the source documents.

Each module exposes `services` (what `restate.app(...)` serves) and may expose `client_app`, an
ASGI app for the small client the source document talks to. Modules import only `world`.
"""
