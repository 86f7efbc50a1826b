"""rich renderables: pure functions of records → renderables (no HTTP, no processes)."""
