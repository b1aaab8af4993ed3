"""The client side of the SolusIO addon: landing page, signup, enrolment, homepage panels, SSO
into SolusIO and the cloud usage page.

* ``state``   - is post-pay enabled, the viewer's currency and plan prices, enrolment status;
* ``signup``  - signed single-use signup links, rate limits, completing a signup or an enrolment;
* ``usage``   - this month's usage so far and the past usage invoices;
* ``hooks``   - the host hooks (client-area page, navbar, homepage panels, client_edit, cron);
* ``views``   - the routes under ``/modules/addons/solusio/`` (forms that POST, SSO).
"""
