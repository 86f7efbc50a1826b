"""Scenarios: scripted traffic (TOML in scenarios/), the runner that plays it, and its checks."""
