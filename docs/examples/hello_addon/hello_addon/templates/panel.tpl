{#- The Hello homepage panel's body (client_area_homepage_panels): greeting, first name, unpaid count. -#}
<div class="hello-panel">
  <p>{{ greeting }}, {{ name }}!</p>
  <p>{% if unpaid %}{{ unpaid }} unpaid invoice{{ "" if unpaid == 1 else "s" }} waiting.{% else %}Nothing to pay today.{% endif %}</p>
</div>
