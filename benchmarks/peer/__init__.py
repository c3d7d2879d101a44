"""PostGraphile v5 as the benchmark's peer: installed with npm into .data/postgraphile, served
by `server.mjs` over the same database, asked the queries of `queries.py`."""
