"""The benchmark harness behind ``certreg bench``, out of the issuer's domain rooms.

It owns one thing: measuring certreg's hot paths (bulk issuance, verification, the wallets'
SD-JWT VCs and credential endpoint, the public lookups, status changes, the renewal of
status lists, memory) against this machine's own
ceilings, measured in the same run, in throwaway stores that it creates and removes. It
holds no key and no data of a deployment.

- :mod:`issuer.bench.run` — one run: its measurement phases, in order (``run_bench``);
- :mod:`issuer.bench.figures` — what a run is asked and reports: the options, the figures,
  the machine they were measured on, the table;
- :mod:`issuer.bench.rates` — how a rate is measured: the ceilings, the load on a server;
- :mod:`issuer.bench.env` — the throwaway stores, the office that issues into them, the
  servers started for the run;
- :mod:`issuer.bench.load` — the load generators (``wrk``, or ``python -m
  issuer.bench.load``);
- :mod:`issuer.bench.server` — the servers measured (``python -m issuer.bench.server``);
- :mod:`issuer.bench.wallets` — the wallets' hot paths: SD-JWT VC verification
  (:mod:`issuer.bench.sd_jwt_vc`) and the OpenID4VCI credential endpoint under load, with
  holders' keys and the JWTs they sign from :mod:`issuer.bench.holder`;
- :mod:`issuer.bench.registry` — a registry seeded at insert speed for the lookups;
- :mod:`issuer.bench.resign` — the renewal of status lists.

Imports: it may import anything of certreg (issuer, registry, verifier, schemas) — it drives
them as a deployment would. Nothing imports it but the command line: the ``certreg bench``
command in :mod:`issuer.cli.bench`, which imports the harness only when the command runs
(and tests). ``tests/test_architecture.py`` holds that rule.

The command module stays on the command line's side, not in here: the ``certreg`` script
imports every command's signature to build its help, and each spawned process of
``issue-bulk`` imports that script; a command module inside this package would import the
package on every ``certreg`` start. Kept apart, ``certreg --help`` and the bulk workers
never import the harness, and this package is a leaf that only the command reaches into.
"""

__all__: list[str] = []
