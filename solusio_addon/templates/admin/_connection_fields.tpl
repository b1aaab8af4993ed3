{# The connection fields shared by the connect page and the Settings tab's API Connection panel. #}
<div class="field">
  <label for="solusio-url">Installation URL
    <input id="solusio-url" type="url" name="url" value="{{ form.fields.url }}" placeholder="https://solus.example.com" autocomplete="off">
  </label>
  <small class="muted">The URL you use to open SolusIO's web interface.</small>
  {% if form.errors.url %}<span class="field-error" data-field="url">{{ form.errors.url }}</span>{% endif %}
</div>
<div class="field">
  <label for="solusio-api-key">API Key
    <input id="solusio-api-key" type="password" name="api_key" value="" autocomplete="new-password"
           placeholder="{{ api_key_placeholder|default('Paste the API token') }}">
  </label>
  <small class="muted">SolusIO: Account &gt; API Tokens &gt; Generate API Token (as an administrator).</small>
  {% if form.errors.api_key %}<span class="field-error" data-field="api_key">{{ form.errors.api_key }}</span>{% endif %}
</div>
<details class="field"{% if form.fields.tls_mode != 'verify' or form.errors.tls_mode or form.errors.ca_bundle or form.errors.login_url_template %} open{% endif %}>
  <summary>Advanced: certificate check and SolusIO login URL</summary>
  <fieldset>
    <legend>Certificate check</legend>
    {% for value, text in form.tls_modes.items() %}
    <label class="check"><input type="radio" name="tls_mode" value="{{ value }}"{% if form.fields.tls_mode == value %} checked{% endif %}> {{ text }}</label>
    {% endfor %}
    {% if form.errors.tls_mode %}<span class="field-error" data-field="tls_mode">{{ form.errors.tls_mode }}</span>{% endif %}
    <label for="solusio-ca-bundle">CA bundle path (PEM)
      <input id="solusio-ca-bundle" name="ca_bundle" value="{{ form.fields.ca_bundle }}" placeholder="/etc/ssl/solusio-ca.pem">
    </label>
    {% if form.errors.ca_bundle %}<span class="field-error" data-field="ca_bundle">{{ form.errors.ca_bundle }}</span>{% endif %}
  </fieldset>
  <label for="solusio-login-template">SolusIO login URL (single sign-on)
    <input id="solusio-login-template" name="login_url_template" value="{{ form.fields.login_url_template }}">
  </label>
  <small class="muted">{{ '{url}' }} is the installation URL, {{ '{token}' }} the one-time token.</small>
  {% if form.errors.login_url_template %}<span class="field-error" data-field="login_url_template">{{ form.errors.login_url_template }}</span>{% endif %}
</details>
