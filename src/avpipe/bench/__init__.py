"""``python -m avpipe.bench``: avpipe measured side by side with the usual alternatives.

Each case runs its variants alternately (avpipe, baseline, avpipe, baseline, ...), each
trial in a fresh process; the report gives medians, ratios to avpipe, peak memory and the
issue's targets, as a table and as JSON. See the README's "Benchmarks" section.
"""
