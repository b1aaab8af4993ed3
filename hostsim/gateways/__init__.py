"""The host's built-in payment gateway modules, registered through the ``hostsim.gateways``
entry points like anyone's: Bank Transfer, Mail In, and the Sandbox card gateway for demos."""
