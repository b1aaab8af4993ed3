"""``hostsim demo``: the SolusIO post-pay story, end to end, on a fresh host instance.

The command is in :mod:`solusio_addon.demo.cli` (added to ``hostsim`` by the
``register_commands`` hook in :mod:`solusio_addon.demo.hooks`); the demo folder in
:mod:`~solusio_addon.demo.home`, the servers in :mod:`~solusio_addon.demo.servers`, the story in
:mod:`~solusio_addon.demo.story` and its closing summary in :mod:`~solusio_addon.demo.summary`.
"""
