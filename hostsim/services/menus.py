"""Menu item trees with WHMCS semantics, and the host's default navbars and panels."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from markupsafe import Markup

from hostsim.formatting import plural


@dataclass
class MenuItem:
    """One node: a navbar menu, a dropdown entry, or a homepage panel.

    Children sort by ``order`` then ``name``. ``body_html``/``footer_html`` are trusted HTML the
    code that adds the item builds (escape user data with ``markupsafe.escape`` first).
    """

    name: str
    label: str = ""
    uri: str = ""
    order: int = 100
    icon: str = ""
    badge: str = ""
    body_html: str = ""
    footer_html: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    parent: "MenuItem | None" = field(default=None, repr=False, compare=False)
    _children: dict[str, "MenuItem"] = field(default_factory=dict, repr=False)

    def add_child(self, name: str, *, label: str | None = None, uri: str = "", order: int = 100,
                  icon: str = "", badge: str = "", body_html: str = "", footer_html: str = "") -> "MenuItem":
        """Add (or replace) the child ``name`` and return it."""
        child = MenuItem(name=name, label=label if label is not None else name, uri=uri, order=order,
                         icon=icon, badge=badge, body_html=body_html, footer_html=footer_html, parent=self)
        self._children[name] = child
        return child

    def get_child(self, name: str) -> "MenuItem | None":
        return self._children.get(name)

    def remove_child(self, name: str) -> None:
        self._children.pop(name, None)

    def has_children(self) -> bool:
        return bool(self._children)

    @property
    def children(self) -> list["MenuItem"]:
        return sorted(self._children.values(), key=lambda c: (c.order, c.name))

    def __iter__(self) -> Iterator["MenuItem"]:
        return iter(self.children)

    @property
    def body(self) -> Markup:
        return Markup(self.body_html)

    @property
    def footer(self) -> Markup:
        return Markup(self.footer_html)


def default_primary_navbar(logged_in: bool) -> MenuItem:
    root = MenuItem("Primary Navbar")
    if not logged_in:
        root.add_child("Home", uri="/", order=10)
        store = root.add_child("Store", uri="/store", order=20)
        store.add_child("Browse Products Services", label="Browse All", uri="/store", order=10)
        # No Announcements, Knowledgebase or Network Status: the host keeps no content for them,
        # and a menu entry leading to an empty page is worse than none. A theme or addon that
        # has such content adds the entry under its WHMCS name (order 30, 40, 50).
        root.add_child("Contact Us", uri="/contact", order=60)
        return root
    root.add_child("Home", uri="/clientarea", order=10)
    # No Services or Domains: the host has no model of either, so a client never has anything
    # there. An addon that sells into them adds the menu under its WHMCS name (order 20, 30).
    # "Website & Security" exists only when something sells into it: addons create it.
    billing = root.add_child("Billing", uri="/clientarea/invoices", order=50)
    billing.add_child("My Invoices", uri="/clientarea/invoices", order=10)
    root.add_child("Support", uri="/contact", order=60)
    return root


def default_secondary_navbar(logged_in: bool, client_name: str = "") -> MenuItem:
    root = MenuItem("Secondary Navbar")
    if not logged_in:
        account = root.add_child("Account", order=10)
        account.add_child("Login", uri="/login", order=10)
        account.add_child("Register", uri="/register", order=20)
        return root
    account = root.add_child("Account", label=f"Hello, {client_name}" if client_name else "Account", order=10)
    account.add_child("Edit Account Details", uri="/clientarea/details", order=10)
    account.add_child("Logout", uri="/logout", order=100)
    return root


def default_homepage_panels(unpaid_count: int) -> MenuItem:
    root = MenuItem("Homepage Panels")
    root.add_child("Unpaid Invoices", icon="invoice", order=10, badge=str(unpaid_count) if unpaid_count else "",
                   body_html=(f"<p>You have {plural(unpaid_count, 'unpaid invoice', 'unpaid invoices')}.</p>" if unpaid_count
                              else "<p>You have no unpaid invoices.</p>"),
                   footer_html='<a href="/clientarea/invoices">View all invoices</a>')
    return root
