"""Hello: a small example addon for hostsim, written against ``hostsim.addon_api`` alone.

* ``plugin.py``: what the host asks of an addon (its config, activation, deactivation);
* ``clientarea.py``: the client-area page ``/index.php?m=hello`` and a homepage panel;
* ``cron.py``: the ``HelloDigest`` cron task;
* ``templates/``: the page's and the panel's templates (a theme may override them).
"""

#: The addon's module name: the name of its ``hostsim.addons`` entry point, used in its URLs, its
#: settings and its template names.
MODULE = "hello"
