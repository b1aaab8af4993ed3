{# The SolusIO panel on the admin client page: the enrolment, the user as SolusIO has it, the actions. #}
<section class="card" id="solusio">
  <h2>SolusIO</h2>
  {% if enrolment is none %}
  <p class="muted" id="solusio-not-enrolled">The client is not enrolled in SolusIO post-pay.</p>
  {% else %}
  <dl class="details">
    <dt>Status</dt><dd data-field="status">{{ labels[enrolment.status] }}{% if enrolment.status_invoice_id %} (invoice #{{ enrolment.status_invoice_id }} overdue){% endif %}</dd>
    <dt>SolusIO user</dt><dd data-field="solusio_user_id">{% if enrolment.solusio_user_id %}#{{ enrolment.solusio_user_id }}{% else %}not created yet{% endif %}</dd>
    <dt>Limit group</dt><dd data-field="limit_group">{% if user and user.limit_group %}{{ user.limit_group.name }} (#{{ user.limit_group.id }}){% elif user %}none{% else %}unknown{% endif %}</dd>
    <dt>Exempt from automatic lock and suspend</dt><dd data-field="exempt">{{ 'Yes' if enrolment.exempt_from_overdue else 'No' }}</dd>
    <dt>Last status change</dt><dd data-field="status_changed_at">{% if enrolment.status_changed_at %}{{ enrolment.status_changed_at.strftime('%Y-%m-%d %H:%M') }} UTC{% else %}none since {{ 'provisioning' if enrolment.provisioned_at else 'signup' }}{% endif %}</dd>
    <dt>Last sync</dt><dd data-field="last_sync">{% if user %}read from SolusIO now: {{ user.status|capitalize }}, {{ user.email }}{% if user.status != enrolment.status.value and enrolment.status.value != 'closed' %} <strong class="field-error">differs from the enrolment</strong>{% endif %}{% elif problem %}SolusIO could not be read: {{ problem }}{% else %}nothing to read yet{% endif %}</dd>
    {% if enrolment.last_error %}<dt>Last problem</dt><dd data-field="last_error">{{ enrolment.last_error }}</dd>{% endif %}
  </dl>
  {% if enrolment.solusio_user_id %}
  <form method="post" action="{{ action_url }}" class="inline-form" id="solusio-actions">
    <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
    {% for name in actions %}<button type="submit" name="action" value="{{ name }}">{{ name|capitalize }}</button> {% endfor %}
    <button type="submit" name="action" value="{{ 'exempt_off' if enrolment.exempt_from_overdue else 'exempt_on' }}">{{ 'Remove the exemption' if enrolment.exempt_from_overdue else 'Exempt from automatic lock and suspend' }}</button>
    <button type="submit" name="action" value="resync_email">Re-sync email</button>
  </form>
  <p class="hint">Lock, unlock, suspend and unsuspend change the user in SolusIO first, then here; the client is not emailed. The next SolusioAutomation run applies the overdue rules again.</p>
  {% endif %}
  {% endif %}
</section>
