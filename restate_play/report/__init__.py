"""Recordings of a run: a self-contained HTML timeline, rich's SVG of the final screen, an asciicast
of the live view and the `--json` document, all drawn from the run's records (`record.py` writes
the directory, `model.py` turns the records into lanes, `html.py` draws them)."""
