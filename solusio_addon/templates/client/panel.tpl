{#- The homepage panel (and the status box on the landing page) for each enrolment status. -#}
<div class="solusio-panel" data-status="{{ enrolment.status }}">
{% if enrolment.status == 'none' %}
  <p>Run virtual servers in our cloud and pay only for the hours they run, invoiced monthly.</p>
  <p><a class="btn btn-primary" href="{{ landing_url }}">Learn more and sign up</a></p>
{% elif enrolment.status == 'pending' %}
  <p><strong>Your cloud hosting account is being set up.</strong> {{ enrolment.problem }}</p>
  <form method="post" action="{{ retry_url }}"><input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
    <button type="submit" class="btn">Try again now</button></form>
{% else %}
  {% if enrolment.status in ('locked', 'suspended') %}
  <p class="alert alert-error" role="alert">
    {% if enrolment.status == 'locked' %}Your cloud hosting account is <strong>locked</strong>: you can log in, but you cannot create new servers{% else %}Your cloud hosting account is <strong>suspended</strong>: your servers are stopped{% endif %}
    {% if enrolment.invoice_id %} because invoice #{{ enrolment.invoice_id }}{% if enrolment.invoice_total %} ({{ enrolment.invoice_total }}){% endif %} is overdue{% if enrolment.invoice_due %} since {{ enrolment.invoice_due|date }}{% endif %}.
    <a href="{{ url_for('client.invoice', invoice_id=enrolment.invoice_id) }}">Pay invoice #{{ enrolment.invoice_id }}</a> to restore it.{% else %} because an invoice is overdue. <a href="{{ url_for('client.invoices') }}">Pay your invoices</a> to restore it.{% endif %}
  </p>
  {% else %}
  <p>Your cloud hosting account is active. Manage your servers in the cloud control panel.</p>
  {% endif %}
  <form method="post" action="{{ sso_url }}" id="sso-form"><input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
    <button type="submit" class="btn btn-primary">Log in to SolusIO</button></form>
{% endif %}
</div>
