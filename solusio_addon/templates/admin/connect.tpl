<section class="card solusio-connect" id="solusio-connect">
  <h2>Connect to SolusIO</h2>
  <p>Enter the URL of your SolusIO installation and an API key, then click <strong>Test Connection</strong>.
     When the connection works, the URL and key are saved and SolusIO's billing integration is configured for this host.</p>
  {% if form.message %}<div class="alert alert-error" role="alert" id="connect-message">{{ form.message }}</div>{% endif %}
  <form method="post" action="{{ module_link }}" class="grid-form">
    <input type="hidden" name="csrf_token" value="{{ csrf_token }}">
    <input type="hidden" name="action" value="connect">
    {% include "addons/solusio/admin/_connection_fields.tpl" %}
    <button type="submit" class="primary" name="test" value="1">Test Connection</button>
  </form>
</section>
