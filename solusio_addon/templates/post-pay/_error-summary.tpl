{#- A refused form's problems at its top: each links to its field; the first field gets the focus
    (``autofocus`` on it, named by ``first_invalid``). Variables: error_summary (rows of field, id,
    label, message), message. -#}
{% if error_summary %}
<div class="alert alert-error error-summary" role="alert" id="error-summary" aria-labelledby="error-summary-title">
  <p id="error-summary-title"><strong>{{ message or "Please correct the fields marked below." }}</strong></p>
  <ul>
    {% for row in error_summary %}
    <li>{% if row.id %}<a href="#{{ row.id }}">{{ row.label }}: {{ row.message }}</a>{% else %}{{ row.message }}{% endif %}</li>
    {% endfor %}
  </ul>
</div>
{% endif %}
