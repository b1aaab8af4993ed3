<section class="card" id="signup-done" data-status="{{ enrolment.status }}">
  {% include "addons/solusio/client/panel.tpl" %}
  <p><a href="{{ url_for('client.clientarea') }}">Go to your client area</a></p>
</section>
