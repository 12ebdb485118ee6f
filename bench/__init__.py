"""The benchmark suite (`nox -s bench`, or `python -m bench [--quick] [--only NAME]`).

Every scenario runs the emulator as a separate process on 127.0.0.1 and the client under test
(bulkops, a raw aiohttp loop, or Plivo's SDK) as another, and measures from the emulator's side
through its admin routes: what was accepted, when, and with which status. Ratios are always taken
between runs made side by side in one invocation, never across invocations.

Layout: `processes` (measured child processes), `emulator` (the emulator process), `harness`
(client runs against it, plans, commands), `results` (the table and the JSON), `scenarios/` (one
module per scenario), and the small programs the scenarios launch: `spawn` (the rusage wrapper),
`rawloop` (the raw aiohttp baseline), `sdkloop` (the official SDK), `profiled` (bulkops under
cProfile, summarised by `profile_areas`) and `toggled` (journal writes switched on and off).
"""
