<section class="card" id="solusio-overview">
  <h2>Connection</h2>
  <dl class="details">
    <dt>SolusIO</dt><dd><a href="{{ conn.url }}" rel="noopener">{{ conn.url }}</a></dd>
    <dt>Connected as</dt><dd>{{ conn.connected_as or 'unknown' }}</dd>
    <dt>Last connected</dt><dd>{{ conn.connected_at or '-' }}</dd>
    <dt>Billing integration</dt>
    <dd>{% if conn.integration_configured %}configured ({{ conn.integration_url }}){% else %}not configured: click Test Connection under Settings{% endif %}
      {% if conn.integration_configured and conn.integration_url != expected_integration_url %}<br><strong>The host's URL changed to {{ expected_integration_url }}: test the connection again so SolusIO uses it.</strong>{% endif %}</dd>
    <dt>Certificate check</dt><dd>{{ {'verify': 'verified', 'self_signed': 'self-signed certificate trusted', 'ca_bundle': 'own CA bundle'}[conn.tls_mode] | default(conn.tls_mode) }}</dd>
  </dl>
</section>
<section class="stats">
  <div class="stat"><strong>{{ counts.enrolled }}</strong> enrolled users</div>
  <div class="stat"><strong>{{ counts.active }}</strong> active</div>
  <div class="stat"><strong>{{ counts.locked }}</strong> locked</div>
  <div class="stat"><strong>{{ counts.suspended }}</strong> suspended</div>
  <div class="stat"><strong>{{ counts.closed }}</strong> closed</div>
  <div class="stat"><strong>{{ counts.invoiced_periods }}</strong> invoiced months</div>
</section>
<section class="card">
  <h2>Post-Pay</h2>
  <dl class="details">
    <dt>New user limit group</dt><dd>{{ postpay.limit_group_name or 'none (SolusIO default)' }}</dd>
    <dt>Grace period</dt><dd>{{ postpay.grace_days }} days</dd>
    <dt>Lock overdue users</dt><dd>{{ postpay.lock_days }} days after the due date</dd>
    <dt>Suspend overdue users</dt><dd>{{ postpay.suspend_days }} days after the due date</dd>
    {% for row in prices %}<dt>Token price {{ row.code }}</dt><dd>{{ money(row.price, row.code, exact=true) if row.price is not none else 'not set' }}</dd>{% endfor %}
  </dl>
</section>
