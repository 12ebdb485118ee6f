"""Rendering for people and machines: plan diffs and summaries. Nothing here prints."""
