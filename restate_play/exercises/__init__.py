"""Exercises: the learner writes the durable code, and the playground checks it under crashes.

One folder per exercise, data only (see `catalog.py`): adding an exercise is adding a folder.
"""
