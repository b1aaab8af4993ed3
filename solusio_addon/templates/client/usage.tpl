{#- Cloud usage: this month so far, per server, and the past usage invoices. -#}
<div id="solusio-usage">
{% if not enrolment or not enrolment.can_sso %}
  <p>You have no cloud hosting account yet. <a href="{{ landing_url }}">Learn more and sign up</a>.</p>
{% else %}
  <section class="card">
    <h2>This month so far</h2>
    <p class="muted small">From {{ report.period_start|date }} until now. Estimated: the invoice on the 1st of next month is final.</p>
    {% if report.error %}<p class="alert alert-info" id="usage-unavailable">{{ report.error }}</p>
    {% elif report.rows %}
    {% if report.token_price is not none %}
    <p class="usage-estimate" id="usage-estimate">Estimated to date: <strong>{{ report.total_text }}</strong>
      for {{ report.total_tokens|number }} tokens at {{ report.token_price|unit_price(report.currency) }} per token ({{ report.currency }}).</p>
    {% endif %}
    {% if day_chart %}
    <h3 id="usage-per-day">Tokens per day</h3>
    {{ day_chart }}
    {% endif %}
    <h3>Per server</h3>
    <div class="table-wrap" tabindex="0">
    <table class="table" id="usage-table">
      <thead><tr><th>Server</th><th>Plan</th><th class="num">Hours</th><th class="num">Tokens</th><th class="num">Estimated amount</th></tr></thead>
      <tbody>
      {% for row in report.rows %}
        <tr><td>{{ row.name }}{% if row.kind != 'Server' %} ({{ row.kind }}){% endif %}</td><td>{{ row.plan }}</td><td class="num">{{ row.hours }}</td><td class="num">{{ row.tokens|number }}</td><td class="num">{{ row.amount_text }}</td></tr>
      {% endfor %}
      </tbody>
      <tfoot><tr class="total"><th colspan="3">Total</th><td class="num">{{ report.total_tokens|number }}</td><td class="num" id="usage-total">{{ report.total_text or '-' }}</td></tr></tfoot>
    </table>
    </div>
    {% else %}<p id="usage-none">No usage yet this month.</p>{% endif %}
  </section>
  <section class="card">
    <h2>Past usage invoices</h2>
    {% if report.invoices %}
    <ul id="usage-invoices">
      {% for inv in report.invoices %}<li><a href="{{ url_for('client.invoice', invoice_id=inv.invoice_id) }}">Invoice #{{ inv.invoice_id }}</a>: {{ inv.period }}, {{ inv.total_text }} ({{ inv.status }})</li>{% endfor %}
    </ul>
    {% else %}<p class="muted">No usage invoices yet.</p>{% endif %}
  </section>
{% endif %}
</div>
