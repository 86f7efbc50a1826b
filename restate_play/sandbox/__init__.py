"""Real processes: restate-server, the pattern's service process, and the sandbox composing them."""
