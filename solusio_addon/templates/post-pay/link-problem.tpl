<section class="card form-card wide" id="link-problem">
  <p role="alert">{{ message }}</p>
  <p>{% if show_login and not client %}<a class="btn btn-primary" href="{{ url_for('client.login', next=modulelink) }}">Log in</a> {% endif %}<a class="btn" href="{{ modulelink }}">Cloud Hosting</a></p>
</section>
