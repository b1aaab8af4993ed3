"""The addon's admin page: the connect page until connected, then Overview / Post-Pay / Settings."""

from solusio_addon.admin.page import render_admin_page

__all__ = ["render_admin_page"]
