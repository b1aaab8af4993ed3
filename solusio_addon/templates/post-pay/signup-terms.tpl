<section class="card form-card wide" id="signup-terms">
  <p>Almost done{% if email %}, {{ email }}{% endif %}. Please accept the terms to create your cloud hosting account.</p>
  <form method="post" action="{{ complete_url }}" id="terms-form">
    {% include "addons/solusio/post-pay/_error-summary.tpl" %}
    <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
    <input type="hidden" name="token" value="{{ token }}">
    {% include "addons/solusio/post-pay/_terms-checkboxes.tpl" %}
    <button type="submit" class="btn btn-primary btn-block">Create my account</button>
  </form>
</section>
