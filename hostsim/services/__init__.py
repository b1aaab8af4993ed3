"""Host services: settings, activity log, addon lifecycle, menus, templates, invoices, mail."""
