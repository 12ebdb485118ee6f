"""Runs: a TaskList frozen in the checkpoint journal, executed, and what it came to (RunReport).

Imports tasks, the account (client and pace) and the shared vocabulary; nothing of the CLI or of
reports. `execution` is the one place that writes a run's status.
"""
