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
<details class="field"{% if form.fields.tls_mode != 'verify' or form.errors.tls_mode or form.errors.ca_bundle or form.errors.login_url_template
                            or form.fields.proxy_mode != 'environment' or form.errors.proxy_mode or form.errors.proxy_url %} open{% endif %}>
  <summary>Advanced: certificate check, proxy and SolusIO login URL</summary>
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
  <fieldset>
    <legend>Proxy</legend>
    {% for value, text in form.proxy_modes.items() %}
    <label class="check" for="solusio-proxy-{{ value }}"><input id="solusio-proxy-{{ value }}" type="radio" name="proxy_mode" value="{{ value }}"{% if form.fields.proxy_mode == value %} checked{% endif %}> {{ text }}</label>
    {% endfor %}
    {% if form.errors.proxy_mode %}<span class="field-error" data-field="proxy_mode">{{ form.errors.proxy_mode }}</span>{% endif %}
    <label for="solusio-proxy-url">Proxy URL
      <input id="solusio-proxy-url" name="proxy_url" value="{{ form.fields.proxy_url }}" placeholder="http://proxy.example.com:3128"
             autocomplete="off" spellcheck="false" aria-describedby="solusio-proxy-url-help">
    </label>
    <small class="muted" id="solusio-proxy-url-help">With &ldquo;{{ form.proxy_modes.custom }}&rdquo;: http:// or https://, the proxy's host and port,
      and user:password@ if it asks for them. A saved password shows as &bull;&bull;&bull;&bull;: leave it to keep it.</small>
    {% if form.errors.proxy_url %}<span class="field-error" data-field="proxy_url">{{ form.errors.proxy_url }}</span>{% endif %}
  </fieldset>
  <label for="solusio-login-template">SolusIO login URL (single sign-on)
    <input id="solusio-login-template" name="login_url_template" value="{{ form.fields.login_url_template }}">
  </label>
  <small class="muted">{{ '{url}' }} is the installation URL, {{ '{token}' }} the one-time token.</small>
  {% if form.errors.login_url_template %}<span class="field-error" data-field="login_url_template">{{ form.errors.login_url_template }}</span>{% endif %}
</details>
