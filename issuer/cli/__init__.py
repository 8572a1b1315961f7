"""The ``certreg`` command line: every command, and the composition root that wires the
settings into the contexts the commands run in.

It owns the commands and nothing they act on:

- :mod:`issuer.cli.root` — the composition root: the typer app, the ``init``, ``serve``,
  ``keys`` and ``registry rebuild`` commands, and the attaching of the commands defined in
  the modules below;
- :mod:`issuer.cli.audit` — ``certreg audit verify``;
- :mod:`issuer.cli.access` — ``certreg token`` (create, list, revoke) and ``certreg staff``
  (list, deactivate, reactivate);
- :mod:`issuer.cli.common` — what the commands share: settings from the options, the opened
  store, the passphrase, the first signing key, the way a command fails;
- :mod:`issuer.cli.options` — options that several commands take (``--data-dir``,
  ``--base-url``);
- :mod:`issuer.cli.bulk` — ``certreg issue-bulk`` (and the progress bar ``rosters approve``
  shares);
- :mod:`issuer.cli.rosters` — ``certreg rosters`` (prepare, approve, list, show);
- :mod:`issuer.cli.verify` — ``certreg verify`` and ``certreg registry export-bundle``;
- :mod:`issuer.cli.seen_lists` — the status list dates ``certreg verify`` keeps between
  runs;
- :mod:`issuer.cli.bench` — ``certreg bench``, the only importer of :mod:`issuer.bench`.

Imports: it may import anything of certreg (issuer, registry, verifier, schemas), and it is
the top edge: nothing outside this package imports it, but the ``certreg`` script
(``issuer.cli:main``) and tests. Inside it, imports run one way — root → the command modules
→ common and options — with no cycle. ``tests/test_architecture.py`` holds both rules.

Only typer, rich and what the commands' signatures name are imported when the package is:
the stores, the server and the harness are imported by a command when it runs, so that
``certreg --help`` and each process that ``issue-bulk`` spawns start quickly.
"""

from issuer.cli.root import app, main

__all__ = ["app", "main"]
