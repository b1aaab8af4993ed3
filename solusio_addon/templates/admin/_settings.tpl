<section class="card" id="solusio-pricing">
  <h2>Post-Pay Token Pricing</h2>
  <p class="muted">The total price of ONE token in each active currency, up to four decimal places (for example 0.0010).</p>
  {% if pricing.message %}<div class="alert alert-error" role="alert" id="prices-message">{{ pricing.message }}</div>{% endif %}
  <form method="post" action="{{ module_link }}&amp;tab=settings" class="grid-form">
    <input type="hidden" name="csrf_token" value="{{ csrf_token }}">
    <input type="hidden" name="action" value="prices">
    {% for row in pricing.rows %}
    <div class="field">
      <label for="{{ row.field }}">{{ row.code }}{% if row.is_default %} (default currency){% endif %}
        <input id="{{ row.field }}" name="{{ row.field }}" value="{{ pricing.fields.get(row.field, '') }}" inputmode="decimal"
               placeholder="{{ 'not set' if row.price is none else '' }}">
      </label>
      {% if row.price is none %}<small class="muted" data-unpriced="{{ row.code }}">No price yet: clients in {{ row.code }} cannot be invoiced.</small>{% endif %}
      {% if pricing.errors[row.code] %}<span class="field-error" data-field="{{ row.field }}">{{ pricing.errors[row.code] }}</span>{% endif %}
    </div>
    {% else %}
    <p>No active currency.</p>
    {% endfor %}
    {% if pricing.errors[''] %}<span class="field-error">{{ pricing.errors[''] }}</span>{% endif %}
    <button type="submit" class="primary">Save Prices</button>
  </form>
</section>
<section class="card" id="solusio-connection">
  <h2>API Connection</h2>
  <p class="muted">Currently {{ conn.url }}{% if conn.connected_as %} as {{ conn.connected_as }}{% endif %}.
     A new URL or API key replaces the saved one only when Test Connection succeeds; every successful test
     configures SolusIO's billing integration with a new secret.</p>
  {% if form.message %}<div class="alert alert-error" role="alert" id="connect-message">{{ form.message }}</div>{% endif %}
  <form method="post" action="{{ module_link }}&amp;tab=settings" class="grid-form">
    <input type="hidden" name="csrf_token" value="{{ csrf_token }}">
    <input type="hidden" name="action" value="connection">
    {% set api_key_placeholder = 'Saved (hidden): leave empty to keep it' %}
    {% include "addons/solusio/admin/_connection_fields.tpl" %}
    <button type="submit" class="primary">Test Connection</button>
  </form>
</section>
