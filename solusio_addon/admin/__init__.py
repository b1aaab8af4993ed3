"""The admin side of the addon: connection, settings, token prices, enrolments, the billing
integration API SolusIO calls, the admin page and the ``hostsim solusio`` commands."""
