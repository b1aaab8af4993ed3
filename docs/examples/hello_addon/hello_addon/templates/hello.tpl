{#- The Hello page (addon_client_area): greeting, the client's first name (none for a visitor),
    and the client's unpaid invoice count. A theme overrides it with
    templates/<theme>/modules/addons/hello/hello.tpl. -#}
<section class="card" id="hello-addon">
  {% if name %}
  <p class="hello-greeting">{{ greeting }}, {{ name }}!</p>
  <p class="hello-unpaid">{% if unpaid %}You have {{ unpaid }} unpaid invoice{{ "" if unpaid == 1 else "s" }}.{% else %}You have no unpaid invoices.{% endif %}</p>
  {% else %}
  <p class="hello-greeting">{{ greeting }}, visitor!</p>
  <p><a href="/login">Log in</a> to see how your account stands.</p>
  {% endif %}
</section>
