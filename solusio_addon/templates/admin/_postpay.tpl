<section class="card" id="solusio-postpay">
  <h2>Post-Pay Billing</h2>
  {% if pp.message %}<div class="alert alert-error" role="alert" id="postpay-message">{{ pp.message }}</div>{% endif %}
  {% if pp.groups_problem %}<div class="alert alert-error" role="alert" id="limit-groups-problem">SolusIO's limit groups cannot be listed: {{ pp.groups_problem }} The saved limit group is kept.</div>{% endif %}
  <form method="post" action="{{ module_link }}&amp;tab=postpay" class="grid-form">
    <input type="hidden" name="csrf_token" value="{{ csrf_token }}">
    <input type="hidden" name="action" value="postpay">
    <div class="field">
      <label for="pp-limit-group">{{ pp.labels.limit_group_id }}
        <select id="pp-limit-group" name="limit_group_id">
          <option value=""{% if not pp.fields.limit_group_id %} selected{% endif %}>(none: SolusIO's default)</option>
          {% for id, name in pp.options %}
          <option value="{{ id }}"{% if pp.fields.limit_group_id == id|string %} selected{% endif %}>{{ name }}</option>
          {% endfor %}
        </select>
      </label>
      <small class="muted">Applied to every new post-pay user. Limit groups are defined in SolusIO.</small>
      {% if pp.errors.limit_group_id %}<span class="field-error" data-field="limit_group_id">{{ pp.errors.limit_group_id }}</span>{% endif %}
    </div>
    <div class="field">
      <label for="pp-terms">{{ pp.labels.terms_url }}
        <input id="pp-terms" name="terms_url" value="{{ pp.fields.terms_url }}" placeholder="https://example.com/post-pay-terms">
      </label>
      <small class="muted">Optional: additional terms for invoicing and payment of usage.</small>
      {% if pp.errors.terms_url %}<span class="field-error" data-field="terms_url">{{ pp.errors.terms_url }}</span>{% endif %}
    </div>
    {% for key, help in [('grace_days', 'Days after an invoice is generated before it is overdue.'),
                         ('lock_days', 'Days after the due date before the SolusIO user is locked (no new servers).'),
                         ('suspend_days', 'Days after the due date before the SolusIO user is suspended (servers stopped).'),
                         ('lookback_months', 'How many past months the billing run checks for usage not invoiced yet.')] %}
    <div class="field">
      <label for="pp-{{ key }}">{{ pp.labels[key] }} ({{ 'months' if key == 'lookback_months' else 'days' }})
        <input id="pp-{{ key }}" name="{{ key }}" value="{{ pp.fields[key] }}" inputmode="numeric">
      </label>
      <small class="muted">{{ help }}</small>
      {% if pp.errors[key] %}<span class="field-error" data-field="{{ key }}">{{ pp.errors[key] }}</span>{% endif %}
    </div>
    {% endfor %}
    {% for key, help in pp.warning_help.items() %}
    <div class="field">
      <label for="pp-{{ key }}">{{ pp.labels[key] }} (days)
        <input id="pp-{{ key }}" name="{{ key }}" value="{{ pp.fields[key] }}" inputmode="numeric">
      </label>
      <small class="muted">{{ help }}</small>
      {% if pp.errors[key] %}<span class="field-error" data-field="{{ key }}">{{ pp.errors[key] }}</span>{% endif %}
    </div>
    {% endfor %}
    <button type="submit" class="primary">Save Changes</button>
  </form>
</section>
