{#- The SolusIO post-pay landing page. Theme authors: copy this file to
    templates/<your theme>/modules/addons/solusio/post-pay/landing-page.tpl and change the copy
    (or {% extends "original:addons/solusio/post-pay/landing-page.tpl" %} and override one block).
    Variables: pricing (code, token_price, priced_codes, note), plans (name, tokens_per_hour,
    tokens_per_month, per_hour_text, per_month_text), plans_error, enrolment (None for visitors;
    status none|pending|active|locked|suspended, can_sso, invoice_id, invoice_due, problem),
    tos_url, postpay_terms_url, form, errors, error_summary (see _error-summary.tpl), first_invalid, message, signup_url, enrol_url, sso_url, retry_url,
    usage_url, landing_url, client, company_name. -#}
{% from "_field.html" import field %}
<div class="solusio-landing" id="solusio-landing">
{% block hero %}
<section class="hero">
  <h1>Cloud Hosting</h1>
  <p>Virtual machines in minutes, billed by the hour. Start and stop servers whenever you like and pay only for the hours they run.</p>
  {% if not client %}<a class="btn btn-primary" href="#signup">Sign up</a>{% elif enrolment and enrolment.status == 'none' %}<a class="btn btn-primary" href="#enrol">Enable cloud hosting</a>{% endif %}
</section>
{% endblock %}

{% if message and not error_summary %}<div class="alert alert-{{ 'error' if errors or message.startswith('Too many') else 'info' }}" role="alert" id="landing-message">{{ message }}</div>{% endif %}

{% block about %}
<div class="features">
  <section class="feature">
    <h2>What it is</h2>
    <p>Your own virtual servers in our cloud, managed in the SolusIO control panel: create, resize, reinstall and delete them yourself, at any time.</p>
  </section>
  <section class="feature" id="how-billing-works">
    <h2>How billing works</h2>
    <p>Each plan costs a number of tokens per hour. Every started hour counts, and a server never costs more in a month than its plan's monthly price.
       On the 1st of each month you receive one invoice for the previous month's usage. No orders, no prepayment.</p>
  </section>
</div>
{% endblock %}

{% block prices %}
<section class="card" id="prices">
  <h2>Prices</h2>
  {% if pricing and pricing.note %}<p class="muted">{{ pricing.note }}</p>{% endif %}
  {% if plans_error %}<p class="alert alert-info" id="prices-unavailable">{{ plans_error }}</p>{% endif %}
  {% if plans %}
  <div class="table-wrap" tabindex="0">
  <table class="table" id="price-table">
    <thead><tr><th>Plan</th><th class="num">Per hour</th><th class="num">At most per month</th></tr></thead>
    <tbody>
    {% for plan in plans %}
      <tr><td>{{ plan.name }}</td><td class="num">{{ plan.per_hour_text }}</td><td class="num">{{ plan.per_month_text }}</td></tr>
    {% endfor %}
    </tbody>
  </table>
  </div>
  {% set ip_plans = plans|selectattr("ip_per_hour_text")|list %}
  {% if ip_plans %}
  <h3 id="ip-prices">Additional IPs</h3>
  <div class="table-wrap" tabindex="0">
  <table class="table" id="ip-price-table">
    <thead><tr><th>On a server of plan</th><th class="num">Per IP per hour</th><th class="num">At most per IP per month</th></tr></thead>
    <tbody>
    {% for plan in ip_plans %}
      <tr><td>{{ plan.name }}</td><td class="num">{{ plan.ip_per_hour_text }}</td><td class="num">{{ plan.ip_per_month_text or "no cap" }}</td></tr>
    {% endfor %}
    </tbody>
  </table>
  </div>
  {% endif %}
  <p class="muted small">Prices in {{ pricing.code }}, excluding any taxes.
  {% if not client and pricing.priced_codes|length > 1 %}Show prices in:
    {% for code in pricing.priced_codes %}<a href="{{ landing_url }}&amp;currency={{ code }}"{% if code == pricing.code %} aria-current="true"{% endif %}>{{ code }}</a>{% if not loop.last %}, {% endif %}{% endfor %}
  {% endif %}</p>
  {% elif not plans_error %}<p class="muted">Plans will be listed here soon.</p>{% endif %}
</section>
{% endblock %}

{% block terms %}
<p class="muted small" id="terms-links">
  {% if tos_url %}<a href="{{ tos_url }}" target="_blank" rel="noopener">Terms of Service</a>{% endif %}
  {% if tos_url and postpay_terms_url %} · {% endif %}
  {% if postpay_terms_url %}<a href="{{ postpay_terms_url }}" target="_blank" rel="noopener">Post-Pay Terms &amp; Conditions</a>{% endif %}
</p>
{% endblock %}

{% block signup %}
{% if not client %}
<section class="card form-card wide" id="signup">
  <h2>Sign up</h2>
  <p class="muted">We will email you a link to confirm your address and accept the terms.</p>
  <form method="post" action="{{ signup_url }}" novalidate id="signup-form">
    {% include "addons/solusio/post-pay/_error-summary.tpl" %}
    <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
    <div class="form-row">
      {{ field('first_name', 'First name', form.first_name, errors=errors, autocomplete='given-name', required=true, autofocus=first_invalid == 'first_name') }}
      {{ field('last_name', 'Last name', form.last_name, errors=errors, autocomplete='family-name', required=true, autofocus=first_invalid == 'last_name') }}
    </div>
    {{ field('company', 'Company (optional)', form.company, errors=errors, autocomplete='organization', autofocus=first_invalid == 'company') }}
    {{ field('email', 'Email address', form.email, type='email', errors=errors, autocomplete='email', required=true, autofocus=first_invalid == 'email') }}
    {% if currencies %}
    <div class="form-field{% if errors.get('currency') %} has-error{% endif %}">
      <label for="f-currency">Currency of your account</label>
      <select id="f-currency" name="currency"{% if first_invalid == 'currency' %} autofocus{% endif %}{% if errors.get('currency') %} aria-invalid="true" aria-describedby="e-currency"{% endif %}>
        {% for code in currencies %}<option value="{{ code }}"{% if code == form.currency %} selected{% endif %}>{{ code }}</option>{% endfor %}
      </select>
      <span class="muted small">Your invoices will be in this currency.</span>
      {% if errors.get('currency') %}<span class="field-error" id="e-currency">{{ errors.currency }}</span>{% endif %}
    </div>
    {% endif %}
    {{ field('password', 'Password', '', type='password', errors=errors, autocomplete='new-password', required=true, autofocus=first_invalid == 'password') }}
    <p class="muted small">At least 10 characters, mixing three of: lower case, upper case, digits, symbols. It is the password of your account here and in the cloud control panel.</p>
    <button type="submit" class="btn btn-primary btn-block">Sign up</button>
  </form>
  <p class="muted">Already a client? <a href="{{ url_for('client.login', next=landing_url) }}">Log in</a> to enable cloud hosting.</p>
</section>
{% elif enrolment.status == 'none' %}
<section class="card form-card wide" id="enrol">
  <h2>Enable cloud hosting</h2>
  <form method="post" action="{{ enrol_url }}" novalidate id="enrol-form">
    {% include "addons/solusio/post-pay/_error-summary.tpl" %}
    <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
    {{ field('password', 'Password for the cloud control panel', '', type='password', errors=errors, autocomplete='new-password', required=true, autofocus=first_invalid == 'password') }}
    <p class="muted small">You will usually log in from here with one click; this password is for logging in to the control panel directly.</p>
    {% include "addons/solusio/post-pay/_terms-checkboxes.tpl" %}
    <button type="submit" class="btn btn-primary btn-block">Enable cloud hosting</button>
  </form>
</section>
{% else %}
<section class="card" id="enrolment-status" data-status="{{ enrolment.status }}">
  {% include "addons/solusio/client/panel.tpl" %}
</section>
{% endif %}
{% endblock %}
</div>
