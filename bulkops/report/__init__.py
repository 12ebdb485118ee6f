"""Reports: TaskLists and runs rendered for people (rich renderables) and machines (JSON, CSV).

Imports tasks, runs and the shared vocabulary; never prints (only `bulkops.cli` does).
"""
