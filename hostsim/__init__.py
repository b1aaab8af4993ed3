"""hostsim: a WHMCS-style billing host that loads addons through pluggy."""

__version__ = "0.1.0"
