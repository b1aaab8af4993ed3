{#- The acceptance checkboxes: the host's Terms of Service, and the Post-Pay Terms when set. -#}
<div class="form-field{% if errors.accept_tos %} has-error{% endif %}">
  <label><input type="checkbox" name="accept_tos" value="1" id="accept-tos"{% if first_invalid == 'accept_tos' %} autofocus{% endif %}{% if errors.accept_tos %} aria-invalid="true" aria-describedby="e-accept_tos"{% endif %}> I accept the {% if tos_url %}<a href="{{ tos_url }}" target="_blank" rel="noopener">Terms of Service</a>{% else %}Terms of Service{% endif %}</label>
  {% if errors.accept_tos %}<span class="field-error" id="e-accept_tos">{{ errors.accept_tos }}</span>{% endif %}
</div>
{% if postpay_terms_url %}
<div class="form-field{% if errors.accept_postpay %} has-error{% endif %}">
  <label><input type="checkbox" name="accept_postpay" value="1" id="accept-postpay"{% if first_invalid == 'accept_postpay' %} autofocus{% endif %}{% if errors.accept_postpay %} aria-invalid="true" aria-describedby="e-accept_postpay"{% endif %}> I accept the <a href="{{ postpay_terms_url }}" target="_blank" rel="noopener">Post-Pay Terms &amp; Conditions</a></label>
  {% if errors.accept_postpay %}<span class="field-error" id="e-accept_postpay">{{ errors.accept_postpay }}</span>{% endif %}
</div>
{% endif %}
