<section class="card" id="solusio-not-enabled">
  <p>Cloud hosting is not available yet. Please check back later{% if not client %}, or <a href="{{ url_for('client.contact') }}">contact us</a>{% endif %}.</p>
</section>
