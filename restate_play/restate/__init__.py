"""Clients for a running Restate: admin API, SQL introspection (typed records), ingress."""
