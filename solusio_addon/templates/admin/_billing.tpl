<section class="card" id="solusio-last-run">
  <h2>Last SolusioAutomation run</h2>
  {% if last_run %}
  {% set c = last_run.counters %}
  <dl class="details">
    <dt>Run as of</dt><dd data-field="as_of">{{ last_run.as_of|date }}</dd>
    <dt>Started</dt><dd>{{ last_run.started_at|datetime(seconds=true) }}{% if last_run.finished_at %}, finished {{ last_run.finished_at.strftime('%H:%M:%S') }}{% endif %}</dd>
    <dt>Status</dt><dd data-field="status"><span class="badge badge-{{ last_run.status }}">{{ last_run.status }}</span>{% if last_run.error %} {{ last_run.error }}{% endif %}</dd>
    <dt>Clients invoiced</dt><dd data-field="invoiced">{{ last_run.count('invoiced') }}</dd>
    <dt>Amounts</dt><dd data-field="amounts">{% for code, amount in last_run.amounts.items() %}<span data-currency="{{ code }}">{{ amount|money(code) }}</span>{% if not loop.last %}, {% endif %}{% else %}none{% endfor %}</dd>
    <dt>No usage / already billed</dt><dd>{{ last_run.count('no_usage') }} / {{ last_run.count('already_billed') }}</dd>
    <dt>Invoice emails</dt><dd>{{ last_run.count('emailed') }}</dd>
    <dt>Enrolments provisioned</dt><dd>{{ last_run.count('provisioned') }} (still pending: {{ last_run.count('pending') }})</dd>
    <dt>Locked</dt><dd data-field="locked">{{ last_run.count('locked') }}</dd>
    <dt>Suspended</dt><dd data-field="suspended">{{ last_run.count('suspended') }}</dd>
    <dt>Reactivated</dt><dd data-field="reactivated">{{ last_run.count('reactivated') }}</dd>
    <dt>Skipped</dt><dd data-field="skipped">{% for reason, n in last_run.skipped.items() %}<span data-reason="{{ reason }}">{{ reason }}: {{ n }}</span>{% if not loop.last %}; {% endif %}{% else %}none{% endfor %}</dd>
    <dt>Failures</dt><dd data-field="failed">{{ last_run.count('failed') }}</dd>
  </dl>
  {% if last_run.failures %}
  <ul class="failures" id="run-failures">
    {% for line in last_run.failures %}<li>{{ line }}</li>{% endfor %}
    {% if last_run.count('failed') > last_run.failures|length %}<li class="muted">and {{ last_run.count('failed') - last_run.failures|length }} more (see the cron output)</li>{% endif %}
  </ul>
  {% endif %}
  {% else %}
  <p class="muted" id="no-run">SolusioAutomation has not run yet. It runs with the daily cron, or now with <code>hostsim cron do --SolusioAutomation -vvv</code>.</p>
  {% endif %}
</section>
<section class="card" id="solusio-enrolments">
  <h2>Enrolments</h2>
  {% if billing_message %}<div class="alert alert-error" role="alert" id="billing-message">{{ billing_message }}</div>{% endif %}
  <nav class="filters" aria-label="Status">
    {% for key, href in filter_links.items() %}
    <a href="{{ href }}"{% if key == status_filter %} class="current" aria-current="page"{% endif %}>{{ key or 'all' }}</a>
    {% endfor %}
  </nav>
  {% if enrolments.items %}
  <div class="table-wrap" tabindex="0">
  <table class="list">
    <thead><tr><th>Client</th><th>Email</th><th>SolusIO user</th><th>Status</th><th>Why</th><th>Exempt from automatic lock/suspend</th></tr></thead>
    <tbody>
    {% for row in enrolments.items %}
    <tr data-client="{{ row.client_id }}">
      <td><a href="/admin/clients/{{ row.client_id }}">#{{ row.client_id }} {{ row.name }}</a></td>
      <td>{{ row.email }}</td>
      <td>{{ row.solusio_user_id if row.solusio_user_id is not none else '-' }}</td>
      <td><span class="badge badge-{{ row.status.value }}">{{ row.status.value }}</span>{% if row.failed %} <span class="badge badge-overdue" data-failed="link" title="Not retried automatically: resolve it in SolusIO">link failed</span>{% endif %}</td>
      <td{% if row.failed %} class="failure" data-field="failure"{% endif %}>{% if row.invoice_id %}<a href="/admin/invoices/{{ row.invoice_id }}" data-invoice="{{ row.invoice_id }}">invoice #{{ row.invoice_id }}</a> unpaid{% if row.invoice_due %}, due {{ row.invoice_due|date }}{% endif %}{% else %}{{ row.why or '-' }}{% endif %}{% if row.note %}<div class="failure" data-field="note">{{ row.note }}</div>{% endif %}</td>
      <td>
        <form method="post" action="{{ module_link }}&amp;tab=billing" class="inline-form">
          <input type="hidden" name="csrf_token" value="{{ csrf_token }}">
          <input type="hidden" name="action" value="exempt">
          <input type="hidden" name="client_id" value="{{ row.client_id }}">
          <input type="hidden" name="status" value="{{ status_filter }}">
          <input type="hidden" name="page" value="{{ enrolments.page }}">
          <input type="hidden" name="exempt" value="{{ '0' if row.exempt else '1' }}">
          <span data-exempt="{{ 'yes' if row.exempt else 'no' }}">{{ 'Yes' if row.exempt else 'No' }}</span>
          <button type="submit">{{ 'Remove exemption' if row.exempt else 'Exempt' }}</button>
        </form>
      </td>
    </tr>
    {% endfor %}
    </tbody>
  </table>
  </div>
  {% if enrolments.pages > 1 %}
  <nav class="pager" aria-label="Pages">
    {% if prev_link %}<a href="{{ prev_link }}" rel="prev">&larr; Previous</a>{% endif %}
    <span>Page {{ enrolments.page }} of {{ enrolments.pages }} ({{ enrolments.total }} total)</span>
    {% if next_link %}<a href="{{ next_link }}" rel="next">Next &rarr;</a>{% endif %}
  </nav>
  {% endif %}
  {% else %}
  <p class="muted">No enrolment{% if status_filter %} with status {{ status_filter }}{% endif %} yet.</p>
  {% endif %}
</section>
<section class="card" id="solusio-consistency">
  <h2>Consistency</h2>
  <p class="muted">Every enrolment is compared with its SolusIO user (email, status by the overdue rules, billing_user_id, limit group, users deleted in SolusIO), and SolusIO users whose billing_user_id names no enrolled client are listed. The daily SolusioAutomation run repairs the status, the limit group and the billing id of users the addon created (each repair in the activity log); the rest is listed here with what to do. Also <code>hostsim solusio reconcile [--fix] [--client N]</code>.</p>
  {% if consistency.run %}
  {% set r = consistency.run %}
  <p id="consistency-last">Last checked {{ r.finished_at|datetime }}{% if r.only_client %} (client #{{ r.only_client }} only){% endif %}: {{ r.enrolments }} enrolment(s), {{ r.users }} SolusIO user(s), {{ r.requests }} request(s); drift found <span data-field="found">{{ r.found }}</span>, repaired <span data-field="repaired">{{ r.repaired }}</span>, left <span data-field="reported">{{ consistency.total }}</span>.</p>
  {% else %}
  <p class="muted" id="consistency-never">Not checked yet.</p>
  {% endif %}
  {% if consistency.rows %}
  <div class="table-wrap" tabindex="0">
  <table class="list" id="drift">
    <thead><tr><th>Kind</th><th>Client</th><th>SolusIO user</th><th>What differs</th><th>What to do</th></tr></thead>
    <tbody>
    {% for d in consistency.rows %}
    <tr data-kind="{{ d.kind.value }}"{% if d.client_id %} data-client="{{ d.client_id }}"{% endif %}>
      <td>{{ d.kind.value }}</td>
      <td>{% if d.client_id %}<a href="/admin/clients/{{ d.client_id }}">#{{ d.client_id }}</a>{% else %}-{% endif %}</td>
      <td>{{ d.solusio_user_id if d.solusio_user_id is not none else '-' }}</td>
      <td>{{ d.detail }}</td>
      <td data-field="action">{{ d.action }}</td>
    </tr>
    {% endfor %}
    </tbody>
  </table>
  </div>
  {% if consistency.total > consistency.rows|length %}<p class="muted">and {{ consistency.total - consistency.rows|length }} more: <code>hostsim solusio reconcile</code> lists them all.</p>{% endif %}
  {% elif consistency.run %}
  <p id="consistency-clean">The host and SolusIO agree.</p>
  {% endif %}
  <form method="post" action="{{ module_link }}&amp;tab=billing">
    <input type="hidden" name="csrf_token" value="{{ csrf_token }}">
    <input type="hidden" name="action" value="reconcile">
    <button type="submit">Check now</button> <span class="muted">(changes nothing; reads every page of SolusIO users)</span>
  </form>
</section>
