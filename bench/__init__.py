"""`python -m bench`: the pure decision engine, and step 2 over HTTP against its own ceiling.

Run from the repository root (`make bench`). Phases:

1. decisions per second of `decide_completion` and `decide_referral` on one core;
2. for SQLite and PostgreSQL: a fresh migrated database, seeded rosters, one uvicorn worker
   serving `bench.server:create_bench_app`; the server's bare ceiling (`POST /bench/constant`
   with a 15-field JSON body), then step-2 completions, both with the same 8 keep-alive clients;
3. a table of the figures and the ratios against the targets of issue 2, section 8.

Benchmarks never fail a build: a missed target prints MISSED and the exit status stays 0.
"""
