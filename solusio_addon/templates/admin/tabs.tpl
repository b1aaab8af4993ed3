<nav class="filters solusio-tabs" aria-label="SolusIO sections">
  {% for key, text in tabs %}
  <a href="{{ module_link }}&amp;tab={{ key }}" data-tab="{{ key }}"{% if key == tab %} class="current" aria-current="page"{% endif %}>{{ text }}</a>
  {% endfor %}
</nav>
{% if saved %}<div class="alert alert-success" role="status" id="saved-message">{{ saved }}</div>{% endif %}
{% if price_warning %}<div class="alert alert-error" role="alert" id="price-warning">{{ price_warning }}</div>{% endif %}
{% if tab == 'overview' %}{% include "addons/solusio/admin/_overview.tpl" %}
{% elif tab == 'billing' %}{% include "addons/solusio/admin/_billing.tpl" %}
{% elif tab == 'postpay' %}{% include "addons/solusio/admin/_postpay.tpl" %}
{% else %}{% include "addons/solusio/admin/_settings.tpl" %}{% endif %}
